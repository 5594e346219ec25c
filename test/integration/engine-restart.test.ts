// Intent: dockerd restarted between `up` and `down`, in the middle of `up`, and while `down` runs
// (against a second engine this test starts and restarts, never the main one): composec reports
// what is true, never hangs, and the next `up` / `down` finish the work and leave nothing behind:
// no container, network, volume, tmpfs or secret material.
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  demux,
  images,
  PROJECT_LABEL,
  tempProject,
  uniqueProjectName,
  type CliResult,
} from "./helpers.js";
import {
  IDLE,
  materialDir,
  materialGone,
  mountsUnder,
  randomValue,
  sha256,
  spawnCli,
} from "./secrets-helpers.js";
import { useSecondEngine } from "./second-engine.js";
import { prng } from "../sampling.js";

const engine = useSecondEngine({ images: [images.busybox], ssh: false });

// Every project a test makes is taken down on the second engine afterwards, its material too.
const projects: string[] = [];
afterEach(async () => {
  for (const name of projects.splice(0)) {
    await cli(["-p", name, "down", "-v", "-t", "0"], { env: engineEnv() });
    if (mountsUnder(materialDir(name)).length > 0) execFileSync("umount", ["-l", materialDir(name)]);
    execFileSync("rm", ["-rf", "--one-file-system", materialDir(name)]);
  }
  await cleanupTempProjects();
}, 120_000);

function project(prefix: string): string {
  const name = uniqueProjectName(prefix);
  projects.push(name);
  return name;
}

/**
 * The CLI pointed at the second engine's unix socket (a local engine: secrets are delivered), with
 * the default deadline per call (60 s): an engine that has just restarted on a loaded machine can
 * take over 20 s to start a container (tried: 4 starts did not answer within 20 s at load 55).
 */
function engineEnv(): Record<string, string | undefined> {
  return {
    DOCKER_HOST: `unix://${engine().socketPath}`,
    DOCKER_CONTEXT: undefined,
    COMPOSE_HTTP_TIMEOUT: undefined,
  };
}

function run(args: string[], cwd: string, timeoutMs = 120_000): Promise<CliResult> {
  return cli(args, { cwd, env: engineEnv(), timeoutMs });
}

async function ok(args: string[], cwd: string): Promise<CliResult> {
  const result = await run(args, cwd);
  expect(result.code, `composec ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
}

/** What of the project the second engine holds: containers, networks, volumes. */
async function objects(name: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = { label: [`${PROJECT_LABEL}=${name}`] };
  const [containers, networks, volumes] = await Promise.all([
    engine().docker.listContainers({ all: true, filters }),
    engine().docker.listNetworks({ filters }),
    engine().docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.length,
    networks: networks.length,
    volumes: (volumes.Volumes ?? []).length,
  };
}

/** Service -> state (`running`, `exited`, ...) by the engine's own list. */
async function engineStates(name: string): Promise<Record<string, string>> {
  const list = await engine().docker.listContainers({
    all: true,
    filters: { label: [`${PROJECT_LABEL}=${name}`] },
  });
  return Object.fromEntries(
    list.map((c) => [c.Labels["com.docker.compose.service"] ?? "?", c.State] as const).sort(),
  );
}

/** Service -> state as `composec ps -a --format json` prints it. */
function psStates(result: CliResult): Record<string, string> {
  return Object.fromEntries(
    result.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { Service: string; State: string })
      .map((c) => [c.Service, c.State] as const)
      .sort(),
  );
}

/** The sha256 of a file as the service's container reads it, on the second engine. */
async function digestIn(name: string, service: string, file: string): Promise<string | undefined> {
  const exec = await engine()
    .docker.getContainer(`${name}-${service}-1`)
    .exec({
      Cmd: ["sha256sum", file],
      AttachStdout: true,
      AttachStderr: true,
    });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  return ExitCode === 0 ? demux(Buffer.concat(chunks)).stdout.split(/\s+/)[0] : undefined;
}

async function containerId(name: string, service: string): Promise<string> {
  return (await engine().docker.getContainer(`${name}-${service}-1`).inspect()).Id;
}

/** Nothing of the project anywhere: engine objects, the tmpfs, the material directory. */
async function expectNothingLeft(name: string, when: string): Promise<void> {
  expect(await objects(name), `${when}: engine objects`).toEqual({ containers: 0, networks: 0, volumes: 0 });
  expect(mountsUnder(materialDir(name)), `${when}: tmpfs still mounted`).toEqual([]);
  expect(materialGone(name), `${when}: material directory left`).toBe(true);
}

/** What a reboot does beside the engine restart: the project's tmpfs is gone. */
function loseMaterial(name: string): void {
  execFileSync("umount", ["-l", materialDir(name)]);
  execFileSync("rm", ["-rf", "--one-file-system", materialDir(name)]);
}

// `once` has no restart policy: a stopped engine leaves it exited. `kept` (unless-stopped) is
// started again by the engine itself; it also has a tmpfs, a named volume and a second network.
const compose = `
services:
  once:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - token
      - source: token
        target: /etc/app/token
  kept:
    image: ${images.busybox}
    command: ${IDLE}
    restart: unless-stopped
    secrets: [token]
    tmpfs: [/scratch]
    volumes: [data:/data]
    networks: [default, back]
networks:
  back: {}
volumes:
  data: {}
secrets:
  token:
    file: ./token.txt
`;

async function secretProject(prefix: string): Promise<{ name: string; dir: string; digest: string }> {
  const name = project(prefix);
  const value = randomValue(prefix);
  const dir = await tempProject({ "compose.yaml": compose, "token.txt": value });
  return { name, dir, digest: sha256(value) };
}

async function expectDelivered(name: string, digest: string): Promise<void> {
  expect(await engineStates(name)).toEqual({ kept: "running", once: "running" });
  expect(await digestIn(name, "once", "/run/secrets/token")).toBe(digest);
  expect(await digestIn(name, "once", "/etc/app/token")).toBe(digest);
  expect(await digestIn(name, "kept", "/run/secrets/token")).toBe(digest);
}

describe("the second engine's restart()", () => {
  it("stops dockerd (nothing answers while it is down), starts it again with its objects kept", async () => {
    const container = await engine().docker.createContainer({
      Image: images.busybox,
      Cmd: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
      HostConfig: { RestartPolicy: { Name: "unless-stopped" } },
    });
    await container.start();
    let answeredWhileDown: boolean | undefined;
    await engine().restart({
      whileDown: async () => {
        answeredWhileDown = await engine()
          .docker.ping()
          .then(
            () => true,
            () => false,
          );
      },
    });
    expect(answeredWhileDown).toBe(false);
    expect(await engine().docker.ping()).toBeTruthy();
    // unless-stopped: the engine starts it again on its own once it is back.
    const info = await container.inspect();
    expect(info.State.Running).toBe(true);
    await container.remove({ force: true });
  }, 120_000);
});

describe("dockerd restarted between up and down", () => {
  it("the material survives: ps tells which container the engine left stopped, up starts it, down leaves nothing", async () => {
    const { name, dir, digest } = await secretProject("rs-between");
    await ok(["-p", name, "up", "-d"], dir);
    await expectDelivered(name, digest);
    const before = { once: await containerId(name, "once"), kept: await containerId(name, "kept") };

    await engine().restart();

    // The engine stopped both; it started `kept` again (unless-stopped), not `once`. The tmpfs is
    // composec's mount on the host: it outlives the engine, and ps says nothing is missing.
    const ps = await ok(["-p", name, "ps", "-a", "--format", "json"], dir);
    expect(psStates(ps)).toEqual(await engineStates(name));
    expect(psStates(ps)).toEqual({ kept: "running", once: "exited" });
    expect(ps.stderr).not.toMatch(/missing/);
    expect(mountsUnder(materialDir(name))).toEqual([materialDir(name)]);

    // up starts `once` again with the material in place: nothing to recreate.
    const up = await ok(["-p", name, "up", "-d"], dir);
    expect(up.stderr).not.toMatch(/Recreate/);
    await expectDelivered(name, digest);
    expect({ once: await containerId(name, "once"), kept: await containerId(name, "kept") }).toEqual(before);

    await ok(["-p", name, "down", "-v"], dir);
    await expectNothingLeft(name, "down after the restart");
  }, 240_000);

  it("a reboot (engine restarted, tmpfs gone): ps says the material is missing, up delivers it anew, down leaves nothing", async () => {
    const { name, dir, digest } = await secretProject("rs-reboot");
    await ok(["-p", name, "up", "-d"], dir);
    const before = { once: await containerId(name, "once"), kept: await containerId(name, "kept") };

    await engine().restart({ whileDown: async () => loseMaterial(name) });

    // Both are down: `kept`'s restart by the engine failed, its mount source is gone. ps says so,
    // and which services lack their material.
    const ps = await ok(["-p", name, "ps", "-a", "--format", "json"], dir);
    expect(psStates(ps)).toEqual(await engineStates(name));
    expect(psStates(ps)).toEqual({ kept: "exited", once: "exited" });
    for (const service of ["kept", "once"]) {
      expect(ps.stderr).toContain(`warning: service ${service}: its secret material is missing`);
    }

    // up delivers anew and recreates both (their mounts pointed at the lost tmpfs).
    await ok(["-p", name, "up", "-d"], dir);
    await expectDelivered(name, digest);
    expect(await containerId(name, "once")).not.toBe(before.once);
    expect(await containerId(name, "kept")).not.toBe(before.kept);

    await ok(["-p", name, "down", "-v"], dir);
    await expectNothingLeft(name, "down after the reboot");
  }, 240_000);
});

describe("down while the engine restarts", () => {
  it("down with the engine down is one clear error naming the endpoint; down once it is back cleans", async () => {
    const { name, dir } = await secretProject("rs-down");
    await ok(["-p", name, "up", "-d"], dir);
    let whileDown: CliResult | undefined;
    await engine().restart({
      whileDown: async () => void (whileDown = await run(["-p", name, "down", "-v"], dir)),
    });
    expect(whileDown!.code).toBe(1);
    expect(whileDown!.stderr).toBe(
      `error: cannot reach the Docker Engine: no socket at ${engine().socketPath}; start it (as root: \`bash scripts/engine.sh\`, or \`sudo dockerd\`), or point DOCKER_HOST or -H at a running engine\n`,
    );
    // Nothing was removed: the material stays while its containers exist.
    expect(mountsUnder(materialDir(name))).toEqual([materialDir(name)]);
    await ok(["-p", name, "down", "-v"], dir);
    await expectNothingLeft(name, "down after the restart");
  }, 240_000);
});

/** A CLI run started now: its stderr so far, and its end (code and how long it took). */
function start(
  args: string[],
  cwd: string,
): { stderr: () => string; done: Promise<CliResult & { ms: number }> } {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(engineEnv())) if (value !== undefined) env[key] = value;
  const started = Date.now();
  const child = spawnCli(args, cwd, env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  // Past this the CLI hangs by any measure: kill it, and the test says so (code 137).
  const killer = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
  const done = new Promise<CliResult & { ms: number }>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 128), stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { stderr: () => stderr, done };
}

/** A command that outlives this has hung (each call's deadline is 60 s). */
const HANG_MS = 180_000;

/** The first `error:` line of a run, for the log. */
function firstError(result: CliResult): string {
  return result.stderr.split("\n").find((line) => line.startsWith("error:")) ?? "";
}

/** A failed command's error: one line, saying which engine could not be reached or what failed. */
function expectClearError(result: CliResult, what: string): void {
  const lines = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
  expect(lines, `${what}: one error line in\n${result.stderr}`).toHaveLength(1);
  // The engine down, gone in the middle of a call, not answering, or answering an error about one
  // of the project's objects while it comes back.
  expect(lines[0], what).toMatch(
    /^error: (cannot reach the Docker Engine|the Docker Engine at \S+ (closed the connection during|did not answer) [A-Z]+ \/\S+|(container|network|volume) \S+: )/,
  );
}

describe("down while the engine restarts under it", () => {
  it("down stopping a slow container when dockerd restarts: ends with an error or done; down again cleans", async () => {
    const name = project("rs-middown");
    const value = randomValue("middown");
    // `slow` ignores SIGTERM: its stop lasts its whole 4 s grace, and the engine goes down meanwhile.
    const dir = await tempProject({
      "compose.yaml": `
services:
  slow:
    image: ${images.busybox}
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]
    stop_grace_period: 4s
    secrets: [token]
  kept:
    image: ${images.busybox}
    command: ${IDLE}
    restart: unless-stopped
    depends_on: [slow]
    secrets: [token]
secrets:
  token:
    file: ./token.txt
`,
      "token.txt": value,
    });
    await ok(["-p", name, "up", "-d"], dir);
    const down = start(["-p", name, "down", "-v"], dir);
    // `kept` goes first (it depends on slow); once slow's stop has begun, restart the engine.
    await waitForText(down.stderr, /slow-1\s+Stopping/, 60_000);
    await engine().restart();
    const result = await down.done;
    console.log(
      `engine faults: down cut by a restart: exit ${result.code} after ${result.ms} ms ${firstError(result)}`,
    );
    expect(result.code, result.stderr).not.toBe(137);
    if (result.code !== 0) expectClearError(result, "down cut by the restart");
    await ok(["-p", name, "down", "-v"], dir);
    await expectNothingLeft(name, "down after the restart");
  }, 300_000);
});

async function waitForText(text: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(text())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const SEED = Number(process.env["ENGINE_FAULT_SEED"] ?? randomInt(2 ** 31));
/** Restarts in the middle of `up` per run: one in CI (each costs a restart and three commands); `npm run test:engine-faults` sweeps more. */
const POINTS = Number(process.env["ENGINE_FAULT_POINTS"] ?? 1);

/**
 * Ten services with secrets (five also at an absolute target), half restarted by the engine
 * (unless-stopped), chained by depends_on in threes, two networks and a volume.
 */
function tenServices(): string {
  const services = Array.from({ length: 10 }, (_, i) =>
    [
      `  s${i}:`,
      `    image: ${images.busybox}`,
      `    command: ${IDLE}`,
      ...(i % 2 === 1 ? ["    restart: unless-stopped"] : []),
      ...(i % 3 === 0 ? [] : [`    depends_on: [s${i - 1}]`]),
      "    secrets:",
      "      - token",
      ...(i % 2 === 0 ? ["      - source: token", "        target: /etc/app/token"] : []),
      ...(i < 3 ? ["    networks: [default, back]"] : []),
      ...(i === 0 ? ["    volumes: [data:/data]"] : []),
    ].join("\n"),
  );
  return `services:\n${services.join("\n")}\nnetworks:\n  back: {}\nvolumes:\n  data: {}\nsecrets:\n  token:\n    file: ./token.txt\n`;
}

interface FaultOutcome {
  point: number;
  offsetMs: number;
  signal: "SIGTERM" | "SIGKILL";
  exit: number;
  ms: number;
  error: string;
  /** The next `up` met a task the killed dockerd left behind, and replaced that container itself. */
  staleTask?: boolean;
}

describe("dockerd restarted in the middle of up", () => {
  it(
    `up of 10 services with secrets, the engine restarted at ${POINTS} seeded points: up ends, up again finishes, down leaves nothing`,
    async () => {
      console.log(`engine faults: seed ${SEED}, ${POINTS} points`);
      const random = prng(SEED);
      const value = randomValue("midup");
      const digest = sha256(value);
      const dir = await tempProject({ "compose.yaml": tenServices(), "token.txt": value });

      // How long an undisturbed `up` takes here and now: the restarts fall within it (a replay can
      // fix it with ENGINE_FAULT_WINDOW_MS, so that the same seed gives the same offsets).
      let windowMs = Number(process.env["ENGINE_FAULT_WINDOW_MS"] ?? 0);
      if (!(windowMs > 0)) {
        const reference = project("rs-ref");
        windowMs = (await start(["-p", reference, "up", "-d"], dir).done).ms;
        await ok(["-p", reference, "down", "-v"], dir);
      }
      console.log(
        `engine faults: offsets within ${windowMs} ms (an undisturbed up of 10 services; ENGINE_FAULT_SEED=${SEED} ENGINE_FAULT_WINDOW_MS=${windowMs} ENGINE_FAULT_POINTS=${POINTS} replays this run)`,
      );

      const outcomes: FaultOutcome[] = [];
      for (let point = 0; point < POINTS; point++) {
        const offsetMs = Math.floor(random() * windowMs);
        const signal: FaultOutcome["signal"] = random() < 0.5 ? "SIGTERM" : "SIGKILL";
        const name = project(`rs-midup${point}`);
        const up = start(["-p", name, "up", "-d"], dir);
        await new Promise((resolve) => setTimeout(resolve, offsetMs));
        await engine().restart({ signal });
        const result = await up.done;
        const outcome = {
          point,
          offsetMs,
          signal,
          exit: result.code,
          ms: result.ms,
          error: firstError(result),
        };
        const where = `point ${point} (${signal} at ${offsetMs} ms, seed ${SEED})`;
        console.log(`engine faults: cut up: ${JSON.stringify(outcome)}`);
        expect(result.code, `${where}: up hung\n${result.stderr}`).not.toBe(137);
        if (result.code !== 0) expectClearError(result, where);

        // A dockerd killed in the middle of a start can leave the container's task behind in
        // containerd (an engine defect): `up` replaces that container itself and says so.
        const again = await run(["-p", name, "up", "-d"], dir);
        const staleTask = /the engine still held a task for it .*replacing the container/.test(again.stderr);
        expect(again.code, `${where}: up again\n${again.stderr}`).toBe(0);
        // The start that met it shows no Error line (the warning and the replacement's lines say it);
        // the command itself did not fail.
        expect(again.stderr, `${where}: up again`).not.toMatch(/^error:/m);
        if (staleTask) expect(again.stderr, `${where}: up again`).not.toMatch(/already exists/);
        outcomes.push({ ...outcome, staleTask });
        console.log(
          `engine faults: point ${point}: the next up ${staleTask ? "met a stale task and replaced the container" : "finished"}`,
        );
        const states = await engineStates(name);
        expect(Object.values(states), `${where}: after up again`).toEqual(Array(10).fill("running"));
        for (let i = 0; i < 10; i++) {
          expect(await digestIn(name, `s${i}`, "/run/secrets/token"), `${where}: s${i}`).toBe(digest);
          if (i % 2 === 0)
            expect(await digestIn(name, `s${i}`, "/etc/app/token"), `${where}: s${i}`).toBe(digest);
        }
        await ok(["-p", name, "down", "-v"], dir);
        await expectNothingLeft(name, `${where}: down`);
      }
      const results = process.env["ENGINE_FAULT_RESULTS"];
      if (results) {
        await writeFile(
          results,
          JSON.stringify({ seed: SEED, points: POINTS, windowMs, outcomes }, null, 2) + "\n",
        );
      }
    },
    120_000 + POINTS * 300_000,
  );
});
