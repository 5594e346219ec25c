// Times `up -d` and `down` of N-service projects (no secrets; composec-test/busybox:1 running
// `sleep` under an init, so stops are prompt), three ways, in one run, alternating:
//
//   floor           the same network and containers made straight through the Engine API by
//                   bench/up-floor.mjs (dockerode, one process): create the network, create and
//                   start every container in parallel; stop and remove every container in
//                   parallel, then the network; for `down -t 0`, one forced DELETE per container
//                   in parallel, then the network. What any tool built on the Engine API pays.
//   composec        node dist/cli/bin.js -p P up -d / down / down -t 0
//   docker-compose  Debian's docker-compose 1.29 (/usr/bin/docker-compose), same file
//
// Every measurement is a whole process, spawn to exit, output discarded. Each round runs every
// contestant once (up, down, up again, down -t 0, each timed), on project names of its own, with the order rotated
// every round so drift on the machine hits all alike. Reports median, min and p90, and the ratio of
// each median to the floor's. Then the peak memory (VmHWM, through /usr/bin/time -f %M) of
// composec's `up -d` and `down` at the largest N.
//
//   npm run bench:up                     N=20 and N=100, 7 rounds each; writes bench/results/up.md
//   node bench/up-bench.mjs --sizes 20 --rounds 3 --tools floor,composec --out /tmp/x.md
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const floorPath = path.join(repoRoot, "bench/up-floor.mjs");
const composeBin = process.env.DOCKER_COMPOSE ?? "/usr/bin/docker-compose";
const IMAGE = "composec-test/busybox:1";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "20,100" },
    rounds: { type: "string", default: "7" },
    warmup: { type: "string", default: "1" },
    tools: { type: "string", default: "floor,composec,docker-compose" },
    out: { type: "string" },
    "no-memory": { type: "boolean", default: false },
  },
});
const sizes = values.sizes.split(",").map(Number);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const selected = values.tools.split(",").map((tool) => tool.trim());

// A developer's COMPOSE_* would change what the tools read; docker-compose 1.29 wants DOCKER_HOST.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));
env.DOCKER_HOST ??= "unix:///var/run/docker.sock";

/** compose.yaml with `n` services, accepted as is by composec and docker-compose 1.29. */
function composeFile(n) {
  const width = String(n).length;
  const lines = ["services:"];
  for (let i = 1; i <= n; i++) {
    lines.push(
      `  svc-${String(i).padStart(width, "0")}:`,
      `    image: ${IMAGE}`,
      `    command: ["sleep", "3600"]`,
      `    init: true`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function contestants(file, n) {
  const all = {
    floor: {
      up: (project) => [process.execPath, floorPath, "up", project, String(n), IMAGE],
      down: (project) => [process.execPath, floorPath, "down", project],
      downNow: (project) => [process.execPath, floorPath, "down-forced", project],
    },
    composec: {
      up: (project) => [
        process.execPath,
        cliPath,
        "-p",
        project,
        "-f",
        file,
        "--progress",
        "plain",
        "up",
        "-d",
      ],
      down: (project) => [
        process.execPath,
        cliPath,
        "-p",
        project,
        "-f",
        file,
        "--progress",
        "plain",
        "down",
      ],
      downNow: (project) => [
        process.execPath,
        cliPath,
        "-p",
        project,
        "-f",
        file,
        "--progress",
        "plain",
        "down",
        "-t",
        "0",
      ],
    },
    "docker-compose": {
      up: (project) => [composeBin, "-p", project, "-f", file, "up", "-d"],
      down: (project) => [composeBin, "-p", project, "-f", file, "down"],
      downNow: (project) => [composeBin, "-p", project, "-f", file, "down", "-t", "0"],
    },
  };
  return Object.fromEntries(selected.map((tool) => [tool, all[tool]]));
}

/** A run that takes longer than this is killed and counted as failed (docker-compose 1.29 was seen to hang). */
const TIMEOUT_MS = 300_000;

/** Runs argv to its end; returns milliseconds, or throws with its output when it fails or hangs. */
function timed(argv) {
  const start = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), {
    env,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  const ms = performance.now() - start;
  if (result.error?.code === "ETIMEDOUT")
    throw new Error(`${argv.join(" ")}: killed after ${TIMEOUT_MS / 1000} s`);
  // A tool that could not be started at all (not installed) says so, not "failed (null)".
  if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${argv.join(" ")} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return ms;
}

/** Removes whatever a failed or interrupted run left, by the project label. */
function cleanup(project) {
  spawnSync(process.execPath, [floorPath, "down", project], { env, stdio: "ignore" });
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const median =
    sorted.length % 2 === 1
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { median, min: sorted[0], p90: at(0.9), n: sorted.length };
}

function peakMemory(argv) {
  const result = spawnSync("/usr/bin/time", ["-f", "%M", ...argv], { env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${argv.join(" ")} failed:\n${result.stderr}`);
  const kb = Number(result.stderr.trim().split("\n").pop());
  return kb / 1024;
}

const loadAtStart = os.loadavg()[0];

async function main() {
  if (selected.includes("composec") && !existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: run \`npm run build\``);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-up-bench-"));
  const results = [];
  const memory = [];
  let seq = 0;
  try {
    for (const n of sizes) {
      const file = path.join(dir, `compose-${n}.yaml`);
      await writeFile(file, composeFile(n));
      const tools = contestants(file, n);
      const names = Object.keys(tools);
      const samples = Object.fromEntries(
        names.map((tool) => [tool, { up: [], down: [], downNow: [], failures: [] }]),
      );
      for (let round = 0; round < warmup + rounds; round++) {
        const order = names.map((_, i) => names[(i + round) % names.length]);
        for (const tool of order) {
          // Two projects a round: one taken down gracefully, one with -t 0.
          for (const how of ["down", "downNow"]) {
            const project = `bench-${process.pid}-${seq++}`;
            cleanup(project);
            try {
              const up = timed(tools[tool].up(project));
              const down = timed(tools[tool][how](project));
              if (round >= warmup) {
                samples[tool].up.push(up);
                samples[tool][how].push(down);
              }
              process.stderr.write(
                `n=${n} round ${round + 1 - warmup}${round < warmup ? " (warm-up)" : ""} ${tool}: up ${up.toFixed(0)} ms, ${how === "down" ? "down" : "down -t 0"} ${down.toFixed(0)} ms\n`,
              );
            } catch (error) {
              // A failed or hung run is reported, not hidden, and does not stop the others.
              samples[tool].failures.push(error.message.split("\n")[0]);
              process.stderr.write(`n=${n} round ${round + 1 - warmup} ${tool}: FAILED ${error.message}\n`);
            } finally {
              cleanup(project);
            }
          }
        }
      }
      results.push({
        n,
        stats: Object.fromEntries(
          names.map((tool) => [
            tool,
            {
              up: stats(samples[tool].up),
              down: stats(samples[tool].down),
              downNow: stats(samples[tool].downNow),
              failures: samples[tool].failures,
            },
          ]),
        ),
      });
    }
    if (!values["no-memory"] && selected.includes("composec")) {
      const n = Math.max(...sizes);
      const file = path.join(dir, `compose-${n}.yaml`);
      const project = `bench-${process.pid}-mem`;
      cleanup(project);
      try {
        const tools = contestants(file, n);
        memory.push({ n, what: "up -d", mb: peakMemory(tools.composec.up(project)) });
        memory.push({ n, what: "down", mb: peakMemory(tools.composec.down(project)) });
      } finally {
        cleanup(project);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const report = render(results, memory);
  process.stdout.write(report);
  const out = values.out ?? (selected.length === 3 ? path.join(repoRoot, "bench/results/up.md") : undefined);
  if (out) {
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, report);
    process.stderr.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  }
}

function render(results, memory) {
  const engine = spawnSync(
    "docker",
    ["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"],
    {
      encoding: "utf8",
    },
  ).stdout.trim();
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: repoRoot,
    encoding: "utf8",
  }).stdout.trim();
  const ms = (value) => `${value.toFixed(0)} ms`;
  const lines = [
    "# `up -d` and `down`: composec against the Engine API floor and docker-compose 1.29",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at ${head} by \`npm run bench:up\` (bench/up-bench.mjs): Docker Engine ${engine || "?"},`,
    `Node.js ${process.version}, ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end. Whole processes, spawn to exit; ${rounds} rounds after ${warmup} warm-up, order rotated`,
    "every round. Services: `composec-test/busybox:1` running `sleep 3600` under `init: true`, one",
    "default network, no ports, no volumes, no secrets. The floor (bench/up-floor.mjs) makes the same",
    "network and containers with dockerode in one Node.js process: create and start all containers",
    "in parallel; for `down`, stop and remove all in parallel, then the network; for `down -t 0`, one",
    "forced DELETE per container, all in parallel, then the network. Each round makes two projects per",
    "contestant (so `up -d` has two samples a round): one taken down with `down`, one with `down -t 0`.",
    "",
  ];
  for (const { n, stats: byTool } of results) {
    lines.push(
      `## ${n} services`,
      "",
      "| contestant | command | median | min | p90 | median / floor |",
      "| --- | --- | ---: | ---: | ---: | ---: |",
    );
    const label = { up: "up -d", down: "down", downNow: "down -t 0" };
    for (const what of ["up", "down", "downNow"]) {
      const floor = byTool.floor?.[what].median;
      for (const [tool, s] of Object.entries(byTool)) {
        if (s[what].n === 0) {
          lines.push(`| ${tool} | ${label[what]} | failed | | | |`);
          continue;
        }
        const ratio = floor === undefined ? "" : `${(s[what].median / floor).toFixed(2)}x`;
        lines.push(
          `| ${tool} | ${label[what]} | ${ms(s[what].median)} | ${ms(s[what].min)} | ${ms(s[what].p90)} | ${ratio} |`,
        );
      }
    }
    for (const [tool, s] of Object.entries(byTool)) {
      if (s.failures.length === 0) continue;
      // The reasons without the per-run project names and paths, so equal failures read as one.
      const reasons = [...new Set(s.failures.map((failure) => failure.replace(/^.* -f \S+ /, "")))];
      lines.push(
        `${tool}: ${s.failures.length} of ${2 * (rounds + warmup)} runs failed and are left out of the figures (${reasons.join("; ")}).`,
        "",
      );
    }
    lines.push("");
  }
  if (memory.length > 0) {
    lines.push(
      "## Peak memory of the composec CLI (VmHWM, `/usr/bin/time -f %M`)",
      "",
      "| services | command | peak |",
      "| ---: | --- | ---: |",
    );
    for (const entry of memory) lines.push(`| ${entry.n} | ${entry.what} | ${entry.mb.toFixed(1)} MB |`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

await main();
