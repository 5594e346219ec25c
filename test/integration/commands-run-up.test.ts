// Intent: `run` (one-off containers) and the `up` flags that shape a run (--abort-on-container-exit,
// --exit-code-from, --no-deps, --scale, --no-start), and the Engine API version check, through the
// built CLI against the real engine: names and labels as Compose makes them, exit codes returned as
// the CLI's own, dependencies started (or not), nothing made when a field is refused.
import { spawn, spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  cliPath,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
  waitFor,
} from "./helpers.js";

const LABEL = "com.docker.compose.project";
let name: string;
beforeEach(async () => {
  name = uniqueProjectName("run");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

async function containers(all = true) {
  return docker.listContainers({ all, filters: { label: [`${LABEL}=${name}`] } });
}

const project = `
services:
  app:
    image: ${images.busybox}
    command: ["sh", "-c", "echo default command"]
    environment:
      FROM_FILE: yes
    ports:
      - "127.0.0.1::80"
    depends_on: [db]
  db:
    image: ${images.busybox}
    command: sleep 600
    init: true
`;

describe("composec run", () => {
  it("makes a one-off container named and labelled as Compose does, after its dependencies", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const result = await cli(["-p", name, "run", "app"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("default command\n");
    expect(result.stderr).toContain(`Container ${name}-db-1  Started`);

    const all = await containers();
    const oneoff = all.find((c) => c.Labels["com.docker.compose.oneoff"] === "True");
    expect(oneoff?.Names[0]).toMatch(new RegExp(`^/${name}-app-run-[0-9a-f]{12}$`));
    expect(oneoff?.Labels).toMatchObject({ [LABEL]: name, "com.docker.compose.service": "app" });
    expect(oneoff?.Labels["com.docker.compose.container-number"]).toBeUndefined();
    // Not the service's own container, and its ports are not published (they would clash).
    expect(all.some((c) => c.Names[0] === `/${name}-app-1`)).toBe(false);
    expect(oneoff?.Ports.filter((port) => port.PublicPort)).toEqual([]);
    // `ps` leaves it out of nothing: it is the project's; `down` removes it.
    expect((await cli(["-p", name, "down"], { cwd: dir })).code).toBe(0);
    expect(await containers()).toEqual([]);
  });

  it("a command override, -e, -u, -w, and the command's exit code as the CLI's; --rm removes it", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const result = await cli(
      [
        "-p",
        name,
        "run",
        "--rm",
        "--no-deps",
        "-e",
        "EXTRA=1",
        "-u",
        "1000",
        "-w",
        "/tmp",
        "app",
        "sh",
        "-c",
        "echo $FROM_FILE $EXTRA $(id -u) $(pwd); echo oops >&2; exit 5",
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(5);
    expect(result.stdout).toBe("yes 1 1000 /tmp\n");
    expect(result.stderr).toContain("oops\n");
    // --no-deps: db was not started; --rm: nothing is left.
    expect(await containers()).toEqual([]);
  });

  it("passes stdin through (-T), and -d prints the name and returns at once", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const piped = await cli(["-p", name, "run", "--rm", "-T", "--no-deps", "app", "cat"], {
      cwd: dir,
      input: "from stdin\n",
    });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe("from stdin\n");

    const detached = await cli(["-p", name, "run", "-d", "--no-deps", "app", "sleep", "30"], { cwd: dir });
    expect(detached.code).toBe(0);
    const container = detached.stdout.trim();
    expect(container).toMatch(new RegExp(`^${name}-app-run-[0-9a-f]{12}$`));
    expect((await docker.getContainer(container).inspect()).State.Running).toBe(true);
  });

  it("gets a TTY when attached to one", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const inTerminal = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${cliPath} -p ${name} run --rm --no-deps app tty`, "/dev/null"],
      { cwd: dir, encoding: "utf8", input: "" },
    );
    expect(inTerminal.status).toBe(0);
    expect(inTerminal.stdout).toMatch(/\/dev\/pts\/\d+/);
    const piped = await cli(["-p", name, "run", "--rm", "--no-deps", "app", "sh", "-c", "tty || true"], {
      cwd: dir,
    });
    expect(piped.stdout).toBe("not a tty\n");
  });

  it("Ctrl-C (without a TTY) stops the one-off container; --rm still removes it; exit 130", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const child = spawn(
      process.execPath,
      [
        cliPath,
        "-p",
        name,
        "run",
        "--rm",
        "--no-deps",
        "-T",
        "app",
        "sh",
        "-c",
        "trap 'exit 3' TERM; echo ready; sleep 600 & wait",
      ],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor(() => stdout.includes("ready"), { what: "the one-off container's output" });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await containers()).toEqual([]);
  });

  it("an unknown service is a project error; --rm with -d a usage error", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const unknown = await cli(["-p", name, "run", "nope"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such service: "nope"');
    const both = await cli(["-p", name, "run", "--rm", "-d", "app"], { cwd: dir });
    expect(both.code).toBe(2);
    expect(await containers()).toEqual([]);
  });
});

const exiting = `
services:
  job:
    image: ${images.busybox}
    command: ["sh", "-c", "echo working; sleep 1; exit 7"]
  server:
    image: ${images.busybox}
    command: sleep 600
    init: true
`;

describe("up flags", () => {
  it("--abort-on-container-exit stops the rest when one exits and returns its code", async () => {
    const dir = await tempProject({ "compose.yaml": exiting });
    const result = await cli(["-p", name, "up", "--abort-on-container-exit"], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(7);
    expect(result.stdout).toContain("job-1     | working");
    expect(result.stdout).toContain("job-1 exited with code 7");
    expect(result.stderr).toContain("Aborting on container exit");
    expect((await containers(false)).length).toBe(0);
  });

  it("--exit-code-from returns the named service's code; it must name a service", async () => {
    const dir = await tempProject({ "compose.yaml": exiting });
    const result = await cli(["-p", name, "up", "--exit-code-from", "job"], { cwd: dir, timeoutMs: 60_000 });
    expect(result.code).toBe(7);
    const bad = await cli(["-p", name, "up", "--exit-code-from", "nope"], { cwd: dir });
    expect(bad.code).toBe(2);
    const detached = await cli(["-p", name, "up", "-d", "--abort-on-container-exit"], { cwd: dir });
    expect(detached.code).toBe(2);
  });

  it("--no-deps starts the named service alone; --scale sets the count; --no-start only creates", async () => {
    const dir = await tempProject({
      "compose.yaml": project.replace(
        'command: ["sh", "-c", "echo default command"]',
        "command: sleep 600\n    init: true",
      ),
    });
    const noDeps = await cli(["-p", name, "up", "-d", "--no-deps", "app"], { cwd: dir });
    expect(noDeps.code, noDeps.stderr).toBe(0);
    expect((await containers()).map((c) => c.Names[0])).toEqual([`/${name}-app-1`]);

    const scaled = await cli(["-p", name, "up", "-d", "--scale", "db=3"], { cwd: dir });
    expect(scaled.code, scaled.stderr).toBe(0);
    const names = (await containers()).map((c) => c.Names[0]).sort();
    expect(names).toEqual([`/${name}-app-1`, `/${name}-db-1`, `/${name}-db-2`, `/${name}-db-3`]);
    const down = await cli(["-p", name, "up", "-d", "--scale", "db=1"], { cwd: dir });
    expect(down.code).toBe(0);
    expect((await containers()).length).toBe(2);
    const badScale = await cli(["-p", name, "up", "-d", "--scale", "db"], { cwd: dir });
    expect(badScale.code).toBe(2);

    await cli(["-p", name, "down"], { cwd: dir });
    const noStart = await cli(["-p", name, "up", "--no-start"], { cwd: dir });
    expect(noStart.code).toBe(0);
    expect((await containers()).map((c) => c.State)).toEqual(["created", "created"]);
  });

  it("refuses a field the engine's API is too old for, naming both versions, and creates nothing", async () => {
    const { ApiVersion } = await docker.version();
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: sleep 600
    healthcheck:
      test: ["CMD", "true"]
      start_interval: 1s
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    if (Number(ApiVersion.split(".")[1]) >= 44) {
      expect(result.code).toBe(0);
      return;
    }
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `services.web.healthcheck.start_interval needs Docker Engine API 1.44 or newer, but the engine speaks API ${ApiVersion}`,
    );
    expect(await containers()).toEqual([]);
    const networks = await docker.listNetworks({ filters: { label: [`${LABEL}=${name}`] } });
    expect(networks).toEqual([]);
  });
});
