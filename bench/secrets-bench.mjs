// Times `up -d` and `down` of a project of N services with K file secrets each, three ways, in one
// run, rounds alternating (the order rotates every round):
//
//   floor           the same network and containers made straight through the Engine API by this
//                   script run as its own process (dockerode), each container with its K secret files
//                   bind-mounted read-only at /run/secrets/<name>, created and started in parallel;
//                   down stops and removes them in parallel, then the network
//   composec        node dist/cli/bin.js up -d / down (tmpfs material, per-service directories)
//   composec-engine the same with COMPOSEC_SECRETS_DELIVERY=engine: the engine-side path (a tmpfs
//                   volume held by a holder container, written through the Engine API only)
//   docker-compose  Debian's docker-compose 1.29 (file secrets as binds; it ignores uid/gid/mode)
//
// Every contestant is a whole process, spawn to exit. Then the rotation latency: from starting `up -d` after a
// secret file changed to the new bytes readable inside the running container, no restart.
//
//   npm run bench:secrets            N=20, K=2, 7 rounds; writes bench/results/secrets.md
//   node bench/secrets-bench.mjs --services 20 --secrets 2 --rounds 3 --tools floor,composec
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { floorDown, PROJECT_LABEL } from "./floor-down.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const composeBin = process.env.DOCKER_COMPOSE ?? "/usr/bin/docker-compose";
const IMAGE = "composec-test/busybox:1";

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    services: { type: "string", default: "20" },
    secrets: { type: "string", default: "2" },
    rounds: { type: "string", default: "7" },
    tools: { type: "string", default: "floor,composec,docker-compose" },
    rotations: { type: "string", default: "7" },
    /** Delivery paths whose rotation latency is measured: local, engine. */
    "rotation-paths": { type: "string", default: "local" },
    title: { type: "string", default: "Secrets" },
    out: { type: "string", default: path.join(repoRoot, "bench/results/secrets.md") },
  },
});
const n = Number(values.services);
const k = Number(values.secrets);
const rounds = Number(values.rounds);
const tools = values.tools.split(",");
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));
env.DOCKER_HOST ??= "unix:///var/run/docker.sock";

const selfPath = fileURLToPath(import.meta.url);
const floorMode = process.argv[2] === "floor";
const dir = floorMode ? process.argv[5] : await mkdtemp(path.join(os.tmpdir(), "composec-secrets-bench-"));
const service = (i) => `svc-${String(i).padStart(2, "0")}`;
const secret = (i, j) => `s${i}_${j}`;
if (!floorMode) await mkdir(path.join(dir, "secrets"));
for (let i = 1; i <= (floorMode ? 0 : n); i++) {
  for (let j = 1; j <= k; j++) {
    await writeFile(path.join(dir, "secrets", `${secret(i, j)}.txt`), randomBytes(24).toString("base64"), {
      mode: 0o600,
    });
  }
}
const lines = ['version: "3.7"', "services:"];
for (let i = 1; i <= n; i++) {
  lines.push(
    `  ${service(i)}:`,
    `    image: ${IMAGE}`,
    `    command: ["sleep", "3600"]`,
    `    init: true`,
    `    secrets:`,
  );
  for (let j = 1; j <= k; j++) lines.push(`      - ${secret(i, j)}`);
}
lines.push("secrets:");
for (let i = 1; i <= n; i++) {
  for (let j = 1; j <= k; j++) lines.push(`  ${secret(i, j)}:`, `    file: ./secrets/${secret(i, j)}.txt`);
}
const file = path.join(dir, "compose.yaml");
if (!floorMode) await writeFile(file, `${lines.join("\n")}\n`);

function run(argv, extraEnv = {}) {
  const start = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), {
    env: { ...env, ...extraEnv },
    encoding: "utf8",
    timeout: 300_000,
    killSignal: "SIGKILL",
  });
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed:\n${result.stderr}`);
  return performance.now() - start;
}

const floor = {
  async up(project) {
    const start = performance.now();
    const network = `${project}_default`;
    await docker.createNetwork({ Name: network, Labels: { [PROJECT_LABEL]: project } });
    await Promise.all(
      Array.from({ length: n }, async (_, index) => {
        const i = index + 1;
        const name = `${project}-${service(i)}-1`;
        const container = await docker.createContainer({
          name,
          Image: IMAGE,
          Cmd: ["sleep", "3600"],
          Labels: { [PROJECT_LABEL]: project, "com.docker.compose.service": service(i) },
          HostConfig: {
            NetworkMode: network,
            Init: true,
            Mounts: Array.from({ length: k }, (_, j) => ({
              Type: "bind",
              Source: path.join(dir, "secrets", `${secret(i, j + 1)}.txt`),
              Target: `/run/secrets/${secret(i, j + 1)}`,
              ReadOnly: true,
            })),
          },
          NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [name, service(i)] } } },
        });
        await container.start();
      }),
    );
    return performance.now() - start;
  },
  async down(project) {
    const start = performance.now();
    await floorDown(docker, project);
    return performance.now() - start;
  },
};

// The floor runs as a small script of its own, like the tools it is compared with: a separate
// Node.js process (`secrets-bench.mjs floor up|down PROJECT DIR`) that pays its own start-up.
const floorProcess = {
  up: async (project) => run([process.execPath, selfPath, "floor", "up", project, dir]),
  down: async (project) => run([process.execPath, selfPath, "floor", "down", project, dir]),
};

if (floorMode) {
  await floor[process.argv[3]](process.argv[4]);
  process.exit(0);
}

const ENGINE = { COMPOSEC_SECRETS_DELIVERY: "engine" };
const contestants = {
  floor: floorProcess,
  composec: {
    up: async (project) =>
      run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "up", "-d"]),
    down: async (project) =>
      run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "down"]),
  },
  "composec-engine": {
    up: async (project) =>
      run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "up", "-d"], ENGINE),
    down: async (project) =>
      run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "down"], ENGINE),
  },
  "docker-compose": {
    up: async (project) => run([composeBin, "-p", project, "-f", file, "up", "-d"]),
    down: async (project) => run([composeBin, "-p", project, "-f", file, "down"]),
  },
};

const samples = Object.fromEntries(tools.map((tool) => [tool, { up: [], down: [] }]));
for (let round = 0; round < rounds + 1; round++) {
  const order = tools.map((_, index) => tools[(index + round) % tools.length]);
  for (const tool of order) {
    const project = `sbench${process.pid}r${round}${tool.replace(/[^a-z]/g, "")}`;
    try {
      const up = await contestants[tool].up(project);
      const down = await contestants[tool].down(project);
      // Round 0 warms caches (image layers, the engine's network code) and is not counted.
      if (round > 0) {
        samples[tool].up.push(up);
        samples[tool].down.push(down);
      }
    } catch (error) {
      console.error(`${tool}: ${error.message.split("\n")[0]}`);
      await floor.down(project).catch(() => undefined);
    }
  }
}

// Rotation: change one service's secret, time `up -d` until the container reads the new bytes;
// once per delivery path asked for.
const rotations = {};
for (const via of values["rotation-paths"].split(",")) {
  const rotation = (rotations[via] = []);
  const pathEnv = via === "engine" ? ENGINE : {};
  const project = `sbench${process.pid}rot${via}`;
  run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "up", "-d"], pathEnv);
  const container = docker.getContainer(`${project}-${service(1)}-1`);
  const startedAt = (await container.inspect()).State.StartedAt;
  for (let r = 0; r < Number(values.rotations); r++) {
    const value = randomBytes(24).toString("base64");
    const want = createHash("sha256").update(value).digest("hex");
    await writeFile(path.join(dir, "secrets", `${secret(1, 1)}.txt`), value);
    const start = performance.now();
    run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "up", "-d"], pathEnv);
    // The running container's view of the file, through its root in /proc (no exec round trip).
    const pid = (await container.inspect()).State.Pid;
    const seen = createHash("sha256")
      .update(await readFile(`/proc/${pid}/root/run/secrets/${secret(1, 1)}`))
      .digest("hex");
    if (seen !== want) throw new Error(`rotation (${via}): the container did not see the new bytes`);
    rotation.push(performance.now() - start);
  }
  if ((await container.inspect()).State.StartedAt !== startedAt)
    throw new Error(`rotation (${via}) restarted the container`);
  run([process.execPath, cliPath, "-p", project, "-f", file, "--progress", "quiet", "down"], pathEnv);
}
await rm(dir, { recursive: true, force: true });

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const ms = (value) => (Number.isNaN(value) ? "-" : Math.round(value).toString());
const rows = tools.map((tool) => {
  const up = median(samples[tool].up);
  const down = median(samples[tool].down);
  const floorUp = median(samples.floor?.up ?? []);
  const floorDown = median(samples.floor?.down ?? []);
  return `| ${tool} | ${ms(up)} | ${(up / floorUp).toFixed(2)}x | ${ms(down)} | ${(down / floorDown).toFixed(2)}x | ${samples[tool].up.length} |`;
});
const load = os
  .loadavg()
  .map((value) => value.toFixed(2))
  .join(", ");
const rotationText = Object.entries(rotations)
  .map(
    ([via, rotation]) =>
      `- ${via} path: median **${ms(median(rotation))} ms** over ${rotation.length} rotations (${rotation.map(ms).join(", ")} ms)`,
  )
  .join("\n");
const engineVsLocal =
  samples.composec && samples["composec-engine"]
    ? `\nEngine-side \`up -d\` vs the local path: **${(median(samples["composec-engine"].up) / median(samples.composec.up)).toFixed(2)}x** (target: at most 1.5x).\n`
    : "";
const report = `# ${values.title}: up -d and down with ${n} services x ${k} file secrets, and rotation

- Date: ${new Date().toISOString()}; Node.js ${process.version}; load average ${load}
- Method: ${rounds} counted rounds after one warm-up, tools alternating and the order rotated each
  round; every contestant a whole process; the floor is a small dockerode script making the same
  containers with the same files bind-mounted read-only, in parallel.
- Rerun: \`npm run build && ${values.title === "Secrets" ? "npm run bench:secrets" : "npm run bench:engine-side"}\`

| tool | up -d median (ms) | vs floor | down median (ms) | vs floor | runs |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}

${engineVsLocal}
Rotation, from starting \`composec up -d\` after a secret file changed to the new bytes readable in
the running container (no restart):

${rotationText}
`;
await writeFile(values.out, report);
console.log(report);
