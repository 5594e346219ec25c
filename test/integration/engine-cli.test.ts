// Intent: `up`, `down` and `ps` as a user runs them (the built CLI, its exit code and output)
// against the real engine: Compose's names and labels, idempotence, recreation on change,
// depends_on order, clean failures that create nothing, `down` of a project that is not there,
// attached mode and Ctrl-C.
import { spawn } from "node:child_process";
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
  name = uniqueProjectName("cli");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

async function projectContainers(all = true) {
  return docker.listContainers({ all, filters: { label: [`${LABEL}=${name}`] } });
}

// `init: true`: busybox's sleep ignores SIGTERM as PID 1; under the init it stops at once.
const twoServices = (webCommand = "sleep 600") => `
services:
  web:
    image: ${images.busybox}
    command: ${webCommand}
    init: true
    labels:
      team: docs
    depends_on:
      db:
        condition: service_healthy
  db:
    image: ${images.busybox}
    command: sleep 600
    init: true
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
`;

describe("composec up / down / ps", () => {
  it("up -d creates the network and containers with Compose's names and labels; a second up changes nothing", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    const first = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(first.stderr).toContain(`Network ${name}_default  Created`);
    expect(first.stderr).toContain(`Container ${name}-web-1  Started`);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("");

    const web = await docker.getContainer(`${name}-web-1`).inspect();
    expect(web.State.Running).toBe(true);
    expect(web.Config.Labels).toMatchObject({
      [LABEL]: name,
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
      "com.docker.compose.depends_on": "db:service_healthy:false",
      "com.docker.compose.project.working_dir": dir,
      team: "docs",
    });
    expect(web.Config.Labels["com.docker.compose.config-hash"]).toMatch(/^[0-9a-f]{64}$/);
    const network = await docker.getNetwork(`${name}_default`).inspect();
    expect(network.Labels).toMatchObject({ [LABEL]: name, "com.docker.compose.network": "default" });

    // depends_on service_healthy: web started only once db was healthy.
    const order = first.stderr.split("\n");
    expect(order.indexOf(`Container ${name}-db-1  Healthy`)).toBeLessThan(
      order.indexOf(`Container ${name}-web-1  Starting`),
    );

    const second = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`Container ${name}-web-1  Running`);
    expect(second.stderr).not.toContain("Created");
    expect((await docker.getContainer(`${name}-web-1`).inspect()).Id).toBe(web.Id);
  });

  it("recreates a changed service and leaves the unchanged one alone", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir })).code).toBe(0);
    const web = await docker.getContainer(`${name}-web-1`).inspect();
    const db = await docker.getContainer(`${name}-db-1`).inspect();

    const changed = await tempProject({ "compose.yaml": twoServices("sleep 601") });
    const result = await cli([
      "-p",
      name,
      "--project-directory",
      dir,
      "-f",
      `${changed}/compose.yaml`,
      "up",
      "-d",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Container ${name}-web-1  Recreate`);
    expect(result.stderr).toContain(`Container ${name}-web-1  Recreated`);
    const after = await docker.getContainer(`${name}-web-1`).inspect();
    expect(after.Id).not.toBe(web.Id);
    expect(after.Config.Cmd).toEqual(["sleep", "601"]);
    expect(after.State.Running).toBe(true);
    expect((await docker.getContainer(`${name}-db-1`).inspect()).Id).toBe(db.Id);
  });

  it("--force-recreate replaces unchanged containers; --no-recreate keeps changed ones", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir })).code).toBe(0);
    const before = await docker.getContainer(`${name}-db-1`).inspect();
    const forced = await cli(["-p", name, "up", "-d", "--force-recreate", "db"], { cwd: dir });
    expect(forced.code).toBe(0);
    const after = await docker.getContainer(`${name}-db-1`).inspect();
    expect(after.Id).not.toBe(before.Id);

    const changed = await tempProject({ "compose.yaml": twoServices("sleep 601") });
    const kept = await cli([
      "-p",
      name,
      "--project-directory",
      dir,
      "-f",
      `${changed}/compose.yaml`,
      "up",
      "-d",
      "--no-recreate",
    ]);
    expect(kept.code).toBe(0);
    expect((await docker.getContainer(`${name}-web-1`).inspect()).Config.Cmd).toEqual(["sleep", "600"]);

    const both = await cli(["-p", name, "up", "-d", "--force-recreate", "--no-recreate"], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--force-recreate and --no-recreate contradict each other");
  });

  it("--dry-run prints the plan and creates nothing", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    const result = await cli(["-p", name, "--dry-run", "up", "-d"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:db:1, CreateContainer, no existing container",
        "[2] -> #3 service:db:1, StartContainer, created",
        "[1] -> #4 service:web:1, CreateContainer, no existing container",
        "[3] -> #5 service:db:1, WaitContainer, web needs it healthy",
        "[4,5] -> #6 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
    expect(await projectContainers()).toEqual([]);
  });

  it("ps lists containers as a table, as JSON lines, as ids and as services", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir })).code).toBe(0);

    const table = await cli(["-p", name, "ps"], { cwd: dir });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([`${name}-db-1`, `${name}-web-1`]);
    expect(lines[1]).toContain('"sleep 600"');

    const json = await cli(["-p", name, "ps", "--format", "json"], { cwd: dir });
    const rows = json.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { Name: string; Service: string; State: string; Project: string });
    expect(rows.map((row) => [row.Name, row.Service, row.State, row.Project])).toEqual([
      [`${name}-db-1`, "db", "running", name],
      [`${name}-web-1`, "web", "running", name],
    ]);

    const ids = await cli(["-p", name, "ps", "-q"], { cwd: dir });
    expect(ids.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect((await cli(["-p", name, "ps", "--services"], { cwd: dir })).stdout).toBe("db\nweb\n");

    await docker.getContainer(`${name}-web-1`).stop({ t: 0 });
    expect((await cli(["-p", name, "ps", "--services"], { cwd: dir })).stdout).toBe("db\n");
    expect((await cli(["-p", name, "ps", "-a", "--services"], { cwd: dir })).stdout).toBe("db\nweb\n");
  });

  it("down removes containers and network; down again, and down of an unknown project, say nothing to do", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir })).code).toBe(0);
    const result = await cli(["-p", name, "down"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Container ${name}-web-1  Removed`);
    expect(result.stderr).toContain(`Network ${name}_default  Removed`);
    // Dependents stop before what they depend on.
    const order = result.stderr.split("\n");
    expect(order.indexOf(`Container ${name}-web-1  Stopped`)).toBeLessThan(
      order.indexOf(`Container ${name}-db-1  Stopping`),
    );
    expect(await projectContainers()).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`${LABEL}=${name}`] } })).toEqual([]);

    const again = await cli(["-p", name, "down"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("nothing to do");

    // No compose file at all: -p alone names the project.
    const empty = await tempProject({ "README.md": "no compose file here\n" });
    const unknown = await cli(["-p", name, "down"], { cwd: empty });
    expect(unknown.code).toBe(0);
    expect(unknown.stderr).toContain("nothing to do");
  });

  it("a missing image is one clear error and nothing is created", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: sleep 600
  ghost:
    image: composec-test/does-not-exist:1
    # Tests never go to a registry: the image is missing and may not be pulled.
    pull_policy: never
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: service "ghost": image "composec-test/does-not-exist:1" is not present on the engine',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await projectContainers()).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`${LABEL}=${name}`] } })).toEqual([]);
  });

  it("secrets over plain tcp (no TLS) are refused before anything is made: they would cross in clear", async () => {
    const dir = await tempProject({
      "token.txt": "s3cret\n",
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    secrets: [token]
secrets:
  token:
    file: ./token.txt
`,
    });
    // Nothing listens on this port: the refusal must come before the first engine call.
    const result = await cli(["-p", name, "-H", "tcp://127.0.0.1:1", "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "have secrets or configs; secrets are not sent to the engine at tcp://127.0.0.1:1: it is plain tcp without TLS",
    );
    expect(result.stderr).toContain("DOCKER_TLS_VERIFY");
    expect(result.stderr).not.toContain("s3cret");
    // Forced to the local path, the same engine is refused for what it cannot see.
    const local = await cli(
      ["-p", name, "-H", "tcp://127.0.0.1:1", "--secrets-delivery", "local", "up", "-d"],
      {
        cwd: dir,
      },
    );
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(
      "--secrets-delivery asks for local secrets delivery, but the engine at tcp://127.0.0.1:1 is not on this host",
    );
    expect(await docker.listNetworks({ filters: { label: [`${LABEL}=${name}`] } })).toEqual([]);
  });

  it("an engine that is not there is an error saying how to start one", async () => {
    const dir = await tempProject({ "compose.yaml": twoServices() });
    const result = await cli(["-p", name, "-H", "unix:///tmp/composec-absent.sock", "up", "-d"], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: cannot reach the Docker Engine: no socket at /tmp/composec-absent.sock; start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`), or point DOCKER_HOST or -H at a running engine\n",
    );
  });

  it("up with a service name starts it and its dependencies only", async () => {
    const dir = await tempProject({
      "compose.yaml": `${twoServices()}
  other:
    image: ${images.busybox}
    command: sleep 600
    init: true
`,
    });
    const result = await cli(["-p", name, "up", "-d", "web"], { cwd: dir });
    expect(result.code).toBe(0);
    const services = (await projectContainers()).map(
      (container) => container.Labels["com.docker.compose.service"],
    );
    expect(services.sort()).toEqual(["db", "web"]);
    const unknown = await cli(["-p", name, "up", "-d", "nope"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no such service: "nope"; the project's services are: db, other, web`);
  });

  it("attached up prints each container's output with its prefix and returns when they exit", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  hello:
    image: ${images.busybox}
    command: ["sh", "-c", "echo one; echo two >&2"]
  other:
    image: ${images.busybox}
    command: ["sh", "-c", "sleep 0.5; echo three"]
`,
    });
    const result = await cli(["-p", name, "up"], { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "hello-1  | one",
        "hello-1  | two",
        "other-1  | three",
        "hello-1 exited with code 0",
        "other-1 exited with code 0",
      ]),
    );
  });

  it("Ctrl-C during attached up stops the containers and exits 130", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  loop:
    image: ${images.busybox}
    command: ["sh", "-c", "trap 'echo stopping; exit 0' TERM; echo ready; while true; do sleep 0.1; done"]
`,
    });
    const { code, stdout } = await interruptWhen(["-p", name, "up"], dir, (out) => out.includes("ready"));
    expect(code).toBe(130);
    expect(stdout).toContain("loop-1  | stopping");
    const info = await docker.getContainer(`${name}-loop-1`).inspect();
    expect(info.State.Running).toBe(false);
  });

  it.each([
    ["Ctrl-C (SIGINT)", "SIGINT", 130],
    ["SIGTERM", "SIGTERM", 143],
  ] as const)(
    "%s during up -d stops the plan cleanly, and the next up finishes it",
    async (_what, signal, status) => {
      const dir = await tempProject({
        "compose.yaml": `
services:
  slow:
    image: ${images.busybox}
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 600"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      # Failures in the start period do not count: it turns healthy, not unhealthy, after 3 s.
      start_period: 30s
  app:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    depends_on:
      slow:
        condition: service_healthy
`,
      });
      const interrupted = await interruptWhen(
        ["-p", name, "up", "-d"],
        dir,
        (_out, err) => err.includes("Waiting"),
        signal,
      );
      expect(interrupted.code).toBe(status);
      expect(interrupted.stderr).toContain("interrupted");
      expect((await docker.getContainer(`${name}-app-1`).inspect()).State.Status).toBe("created");

      const rerun = await cli(["-p", name, "up", "-d"], { cwd: dir });
      expect(rerun.code).toBe(0);
      expect((await docker.getContainer(`${name}-app-1`).inspect()).State.Running).toBe(true);
    },
  );
});

/** Runs the CLI, sends `signal` once `ready(stdout, stderr)` holds, and resolves with how it ended. */
async function interruptWhen(
  args: string[],
  cwd: string,
  ready: (stdout: string, stderr: string) => boolean,
  signal: "SIGINT" | "SIGTERM" = "SIGINT",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await waitFor(() => ready(stdout, stderr), { what: "the CLI to get going", timeoutMs: 30_000 });
  child.kill(signal);
  const code = await exited;
  return { code, stdout, stderr };
}
