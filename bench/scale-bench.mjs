// composec at scale (issue 15, part 4), against the Engine API floor measured in the same run:
//
//   up -d / down / down -t 0 of N services with K file secrets each (20x2 for reference, 200x2,
//   50x20): composec (node dist/cli/bin.js) and the floor (bench/up-floor.mjs: the same network and
//   containers through dockerode in one process, each container with its K secret files
//   bind-mounted read-only, all created and started in parallel; down stops and removes all in
//   parallel, down -t 0 is one forced DELETE each). Whole processes, spawn to exit, each under
//   /usr/bin/time for its peak memory (VmHWM). Each round runs both contestants (order rotated), two
//   projects each: one taken down with `down`, one with `down -t 0`.
//
//   logs -f of S chatty services (busybox printing numbered lines at a fixed rate, each line with
//   the service's secret in it, so masking works on every line): `composec logs -f` from right
//   after `up -d` until every container has exited. Lines per second, how long after the last
//   container exited it ended, lines lost, lines out of order within a container, values shown.
//
//   npm run bench:scale                   every case; writes bench/results/scale.md
//   node bench/scale-bench.mjs --cases 200x2 --rounds 1 --downs down-t0 --logs 0 --out /tmp/x.md
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Docker from "dockerode";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const floorPath = path.join(repoRoot, "bench/up-floor.mjs");
const IMAGE = "composec-test/busybox:1";
const TIME = "/usr/bin/time";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "20x2,200x2,50x20" },
    rounds: { type: "string", default: "3" },
    downs: { type: "string", default: "down,down-t0" },
    logs: { type: "string", default: "50" },
    lines: { type: "string", default: "2000" },
    rate: { type: "string", default: "200" },
    out: { type: "string", default: path.join(repoRoot, "bench/results/scale.md") },
  },
});
const cases = values.cases
  .split(",")
  .filter(Boolean)
  .map((c) => c.split("x").map(Number));
const rounds = Number(values.rounds);
const downs = values.downs.split(",");
const logServices = Number(values.logs);
const linesPer = Number(values.lines);
const rate = Number(values.rate);

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));
env.DOCKER_HOST ??= "unix:///var/run/docker.sock";
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

/**
 * Writes compose.yaml and the secret files of N services with K secrets each; returns the file and
 * the values. `extra` lines go into every service.
 */
async function writeProject(dir, n, k, command, extra = []) {
  await mkdir(path.join(dir, "secrets"), { recursive: true });
  const width = String(n).length;
  const lines = ["services:"];
  const secrets = ["secrets:"];
  const values = new Map();
  for (let i = 1; i <= n; i++) {
    const service = `svc-${String(i).padStart(width, "0")}`;
    lines.push(`  ${service}:`, `    image: ${IMAGE}`, `    command: ${JSON.stringify(command(service))}`);
    lines.push(`    init: true`, ...extra, `    secrets:`);
    for (let j = 1; j <= k; j++) {
      const name = `${service}-s${j}`;
      lines.push(`      - ${name}`);
      secrets.push(`  ${name}:`, `    file: ./secrets/${name}.txt`);
      // Made up for the run, never printed.
      const value = randomBytes(18).toString("base64");
      values.set(name, value);
      await writeFile(path.join(dir, "secrets", `${name}.txt`), value, { mode: 0o600 });
    }
  }
  const file = path.join(dir, "compose.yaml");
  await writeFile(file, `${[...lines, ...(k > 0 ? secrets : [])].join("\n")}\n`);
  return { file, values };
}

/** Runs argv under /usr/bin/time; resolves with its milliseconds and peak memory (MB), or throws. */
function measured(argv) {
  const start = performance.now();
  const result = spawnSync(TIME, ["-f", "@@maxrss %M", ...argv], {
    env,
    encoding: "utf8",
    maxBuffer: 256 << 20,
    timeout: 900_000,
    killSignal: "SIGKILL",
  });
  const ms = performance.now() - start;
  if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
  const rss = /@@maxrss (\d+)/.exec(result.stderr ?? "");
  if (result.status !== 0) {
    const why = (result.stderr ?? "").split("\n").find((line) => /error/i.test(line)) ?? "";
    throw new Error(`${argv.slice(1).join(" ")} failed (${result.status}): ${why.slice(0, 300)}`);
  }
  return { ms, mb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

function composec(project, file, ...args) {
  return [process.execPath, cliPath, "-p", project, "-f", file, "--progress", "plain", ...args];
}

/** Removes what a run left, by label, and composec's material of the project. */
function cleanup(project, file) {
  spawnSync(process.execPath, [floorPath, "down-forced", project], { env, stdio: "ignore" });
  spawnSync(process.execPath, [cliPath, "-p", project, "-f", file, "down", "-t", "0"], {
    env,
    stdio: "ignore",
  });
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

let seq = 0;
const loadAtStart = os.loadavg();

async function upDownCase(dir, n, k) {
  const { file } = await writeProject(dir, n, k, () => ["sleep", "3600"]);
  const secretsDir = path.join(dir, "secrets");
  const tools = {
    floor: {
      up: (p) => [process.execPath, floorPath, "up", p, String(n), IMAGE, secretsDir, String(k)],
      down: (p) => [process.execPath, floorPath, "down", p],
      "down-t0": (p) => [process.execPath, floorPath, "down-forced", p],
    },
    composec: {
      up: (p) => composec(p, file, "up", "-d"),
      down: (p) => composec(p, file, "down"),
      "down-t0": (p) => composec(p, file, "down", "-t", "0"),
    },
  };
  const names = Object.keys(tools);
  const samples = Object.fromEntries(
    names.map((tool) => [tool, { up: [], down: [], "down-t0": [], mb: [], failures: [] }]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const tool of order) {
      for (const how of downs) {
        const project = `scale-${process.pid}-${seq++}`;
        cleanup(project, file);
        let up;
        try {
          up = measured(tools[tool].up(project));
          samples[tool].up.push(up.ms);
          samples[tool].mb.push(up.mb);
          const down = measured(tools[tool][how](project));
          samples[tool][how].push(down.ms);
          samples[tool].mb.push(down.mb);
          process.stderr.write(
            `${n}x${k} round ${round + 1} ${tool}: up ${up.ms.toFixed(0)} ms (${up.mb.toFixed(0)} MB), ${how} ${down.ms.toFixed(0)} ms (${down.mb.toFixed(0)} MB); load ${os.loadavg()[0].toFixed(1)}\n`,
          );
        } catch (error) {
          // A failed down still leaves its up measured; the failure is reported, not hidden.
          const what = up === undefined ? "up" : how;
          samples[tool].failures.push(`${what}: ${error.message}`);
          const done = up === undefined ? "" : ` (up ${up.ms.toFixed(0)} ms, ${up.mb.toFixed(0)} MB)`;
          process.stderr.write(
            `${n}x${k} round ${round + 1} ${tool}: ${what} FAILED${done} ${error.message}\n`,
          );
        } finally {
          cleanup(project, file);
        }
      }
    }
  }
  return { n, k, samples };
}

/**
 * Each chatty service says `ready`, waits for /go/now (made once `logs -f` shows every `ready`:
 * a container that exited before `logs -f` began would be waited for, as Compose does), then prints
 * its numbered lines with its first secret in each (to be masked), `rate` a second.
 */
function chattyCommand(service) {
  const burst = Math.max(1, Math.round(rate / 10));
  return [
    "sh",
    "-c",
    // Compose reads `$$` as one `$`. A burst of lines every 0.1 s.
    `s=$$(cat /run/secrets/${service}-s1); echo ready; until [ -e /go/now ]; do sleep 0.1; done; i=0; ` +
      `while [ $$i -lt ${linesPer} ]; do j=0; ` +
      `while [ $$j -lt ${burst} ] && [ $$i -lt ${linesPer} ]; do echo "line $$i $$s"; i=$$((i+1)); j=$$((j+1)); done; ` +
      `sleep 0.1; done`,
  ];
}

/** Checks `logs -f` output: every line of every container once, in order, no value shown. */
function checkChattyOutput(stdout, services, lines, secretValues) {
  const next = new Map();
  let total = 0;
  let disorder = 0;
  let unmasked = 0;
  for (const line of stdout.split("\n")) {
    const match = /^(\S+)\s+\| line (\d+) (.*)$/.exec(line);
    if (!match) continue;
    total++;
    const [, container, number, rest] = match;
    const expected = next.get(container) ?? 0;
    if (Number(number) !== expected) disorder++;
    next.set(container, Number(number) + 1);
    if (rest !== "****") unmasked++;
  }
  for (const value of secretValues) if (stdout.includes(value)) unmasked++;
  const lost = services * lines - total;
  return { total, lost, disorder, unmasked, containers: next.size };
}

async function logsCase(dir, s) {
  const go = path.join(dir, "go");
  await mkdir(go, { recursive: true });
  const { file, values: secretValues } = await writeProject(dir, s, 2, chattyCommand, [
    `    volumes: ["${go}:/go:ro"]`,
  ]);
  const project = `scale-${process.pid}-logs`;
  cleanup(project, file);
  try {
    measured(composec(project, file, "up", "-d"));
    const child = spawn(TIME, ["-f", "@@maxrss %M", ...composec(project, file, "logs", "-f")], { env });
    const out = [];
    let err = "";
    let ready = 0;
    let start = 0;
    const exited = new Promise((resolve) => child.on("close", resolve));
    await new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        out.push(chunk);
        if (start > 0) return;
        ready += (chunk.toString().match(/\| ready$/gm) ?? []).length;
        if (ready < s) return;
        start = performance.now();
        writeFile(path.join(go, "now"), "").then(resolve, reject);
      });
      child.stderr.on("data", (chunk) => (err += chunk));
      exited.then(() => reject(new Error(`logs -f ended before every container was ready: ${err}`)));
    });
    const code = await exited;
    const endedAt = Date.now();
    const ms = performance.now() - start;
    if (code !== 0) throw new Error(`logs -f failed (${code}): ${err.slice(0, 300)}`);
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`] },
    });
    const finished = await Promise.all(
      containers.map(async (c) => Date.parse((await docker.getContainer(c.Id).inspect()).State.FinishedAt)),
    );
    const check = checkChattyOutput(Buffer.concat(out).toString("utf8"), s, linesPer, secretValues.values());
    const rss = /@@maxrss (\d+)/.exec(err);
    return {
      s,
      ms,
      linesPerSecond: check.total / (ms / 1000),
      lagMs: endedAt - Math.max(...finished),
      mb: rss ? Number(rss[1]) / 1024 : Number.NaN,
      ...check,
    };
  } finally {
    cleanup(project, file);
  }
}

async function main() {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\``);
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: install Debian's \`time\` package`);
  const results = [];
  let logs;
  const root = await mkdtemp(path.join(os.tmpdir(), "composec-scale-bench-"));
  try {
    for (const [n, k] of cases) results.push(await upDownCase(path.join(root, `${n}x${k}`), n, k));
    if (logServices > 0) logs = await logsCase(path.join(root, "logs"), logServices);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const report = render(results, logs);
  process.stdout.write(report);
  await writeFile(values.out, report);
  process.stderr.write(`wrote ${path.relative(process.cwd(), values.out)}\n`);
}

function render(results, logs) {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
  const load = (l) => l.map((v) => v.toFixed(1)).join(", ");
  const lines = [
    "# composec at scale: up -d / down against the Engine API floor, logs -f of chatty services",
    "",
    `Measured ${new Date().toISOString().slice(0, 16)}Z at ${head.stdout.trim()} by \`npm run bench:scale\` (bench/scale-bench.mjs), Node.js ${process.version},`,
    `${os.cpus().length} CPUs, load average ${load(loadAtStart)} at the start and ${load(os.loadavg())} at the end; ${rounds} round(s), order rotated every round.`,
    "",
    "| services x secrets | command | floor median | composec median | composec / floor | composec min-max | runs |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const label = { up: "up -d", down: "down", "down-t0": "down -t 0" };
  const ms = (v) => (v === undefined ? "-" : `${Math.round(v)} ms`);
  for (const { n, k, samples } of results) {
    for (const what of ["up", ...downs]) {
      const floor = stats(samples.floor[what]);
      const ours = stats(samples.composec[what]);
      const ratio = floor && ours ? `${(ours.median / floor.median).toFixed(2)}x` : "-";
      lines.push(
        `| ${n} x ${k} | ${label[what]} | ${ms(floor?.median)} | ${ms(ours?.median)} | ${ratio} | ${ours ? `${ms(ours.min)}-${ms(ours.max)}` : "-"} | ${ours?.n ?? 0} |`,
      );
    }
  }
  lines.push("", "Peak memory (VmHWM) of the composec CLI, highest of its runs:", "");
  lines.push("| services x secrets | composec peak | floor peak |", "| --- | ---: | ---: |");
  for (const { n, k, samples } of results) {
    const peak = (list) => (list.length ? `${Math.max(...list).toFixed(1)} MB` : "-");
    lines.push(`| ${n} x ${k} | ${peak(samples.composec.mb)} | ${peak(samples.floor.mb)} |`);
  }
  const failures = results.flatMap(({ n, k, samples }) =>
    Object.entries(samples).flatMap(([tool, s]) => s.failures.map((f) => `${n}x${k} ${tool}: ${f}`)),
  );
  if (failures.length > 0)
    lines.push("", "Failed runs (left out of the figures):", "", ...failures.map((f) => `- ${f}`));
  if (logs) {
    lines.push(
      "",
      `## logs -f of ${logs.s} chatty services`,
      "",
      `Each service prints ${linesPer} numbered lines at ${rate} lines a second (bursts every 0.1 s), every`,
      "line carrying the service's secret, which must come out masked; `composec logs -f` starts right",
      "after `up -d`; the containers begin once it shows each one's first line, and it ends when every",
      "container has exited. Lines per second are counted from that start to its end.",
      "",
      "| figure | value |",
      "| --- | ---: |",
      `| lines printed by the containers | ${logs.s * linesPer} |`,
      `| lines shown by logs -f | ${logs.total} |`,
      `| lines lost | ${logs.lost} |`,
      `| lines out of order within a container | ${logs.disorder} |`,
      `| lines showing a secret value | ${logs.unmasked} |`,
      `| containers seen | ${logs.containers} |`,
      `| lines per second through logs -f (whole run) | ${Math.round(logs.linesPerSecond)} |`,
      `| rate the containers printed at | ${logs.s * rate} |`,
      `| logs -f ended after the last container exited by | ${Math.round(logs.lagMs)} ms |`,
      `| peak memory of logs -f | ${logs.mb.toFixed(1)} MB |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
