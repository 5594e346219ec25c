// Intent: lifecycle hooks as a user meets them through the built CLI against the real engine:
// `post_start` runs in the container right after it starts (by up, start, restart) (its user, working_dir and environment
// honoured, its output shown as `web-1 -> line`), `pre_stop` runs before `stop` and `down` stop it
// (proved by what it writes to a named volume, read after the container is gone), and a failing
// `post_start` fails `up` with its exit status, as Compose does.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  removeProjectResources,
  runInImage,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

let name: string;
beforeEach(async () => {
  name = uniqueProjectName("hooks");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

const project = `
services:
  web:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    volumes: [data:/data]
    post_start:
      - command: ["sh", "-c", "echo \\"$$GREETING from $$(id -u) in $$(pwd)\\" > /tmp/started; echo hook says hi"]
        user: "1234"
        working_dir: /tmp
        environment:
          GREETING: hello
    pre_stop:
      - command: sh -c 'echo stopping >> /data/pre_stop'
volumes:
  data:
`;

describe("lifecycle hooks", () => {
  it("post_start runs after the start, pre_stop before stop and down", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain("web-1 -> hook says hi");
    const read = await cli(["-p", name, "exec", "-T", "web", "cat", "/tmp/started"], { cwd: dir });
    expect(read.stdout).toBe("hello from 1234 in /tmp\n");

    const stop = await cli(["-p", name, "stop"], { cwd: dir });
    expect(stop.code, stop.stderr).toBe(0);
    const start = await cli(["-p", name, "start"], { cwd: dir });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain("web-1 -> hook says hi");
    // restart runs both, as Compose's does.
    const restart = await cli(["-p", name, "restart"], { cwd: dir });
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toContain("web-1 -> hook says hi");
    const down = await cli(["-p", name, "down"], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } }),
    ).toEqual([]);

    // The volume outlives the containers: pre_stop ran for stop, restart and down.
    const written = await runInImage(images.busybox, ["cat", "/data/pre_stop"], {
      binds: [`${name}_data:/data`],
    });
    expect(written.stdout).toBe("stopping\nstopping\nstopping\n");
  });

  it("a failing post_start fails up with its status and output; the plan shows the hooks", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    post_start:
      - command: ["sh", "-c", "echo cannot warm up >&2; exit 3"]
`,
    });
    const dry = await cli(["-p", name, "--dry-run", "up", "-d"], { cwd: dir });
    expect(dry.stdout).toMatch(/service:web:1, StartContainer \+1 post_start hook, created/);
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain("web-1 -> cannot warm up");
    expect(up.stderr).toMatch(
      /the post_start hook \(sh -c echo cannot warm up >&2; exit 3\) exited with status 3/,
    );
  });
});
