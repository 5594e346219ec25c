// Times `composec check` from a cold process start on the 200-service benchmark project
// (bench/gen-project.mjs), made a git repository and given 3 build contexts (every service builds
// from one of them; each Dockerfile has ENV, ARG, RUN and COPY; one .dockerignore). `config` on the
// same project is timed beside it, alternating, so the table shows what `check` adds to loading.
// With --up N it also times `up -d` on an N-service project that is already up (nothing to do), with
// the hint to run `check` on and off (COMPOSEC_CHECK_HINT=0), alternating: what the hint costs `up`.
//
//   npm run bench:check             full run; writes bench/results/check.md
//   options: --services 200 --secrets 3 --rounds 15 --warmup 2 --up 20 --up-rounds 10 --out FILE --keep
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateProject } from "./gen-project.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "200" },
    secrets: { type: "string", default: "3" },
    rounds: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
    up: { type: "string", default: "20" },
    "up-rounds": { type: "string", default: "10" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const services = Number(values.services);
const secrets = Number(values.secrets);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const upServices = Number(values.up);
const upRounds = Number(values["up-rounds"]);

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));

const timeBin = "/usr/bin/time";
const cpuFile = path.join(os.tmpdir(), `composec-check-bench-cpu-${process.pid}`);
/** CPU milliseconds (user + system) of each run, by command: what the machine's load cannot inflate. */
const cpuTimes = new Map();
const cpuKey = (argv, extraEnv) => `${argv.slice(2).join(" ")} ${JSON.stringify(extraEnv)}`;

/** Runs once (wall-clock milliseconds); check exits 1 when it finds something, hence okCodes. */
function timeOnce(argv, cwd, extraEnv = {}, okCodes = [0]) {
  const withCpu = existsSync(timeBin);
  const command = withCpu ? [timeBin, "-f", "%U %S", "-o", cpuFile, ...argv] : argv;
  const start = performance.now();
  const result = spawnSync(command[0], command.slice(1), {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - start;
  if (result.error) throw result.error;
  if (withCpu) {
    const last = readFileSync(cpuFile, "utf8").trim().split("\n").pop();
    const [user, system] = last.split(" ").map(Number);
    const key = cpuKey(argv, extraEnv);
    cpuTimes.set(key, [...(cpuTimes.get(key) ?? []), (user + system) * 1000]);
  }
  if (!okCodes.includes(result.status)) {
    throw new Error(
      `${argv.join(" ")} exited with ${result.status}:\n${result.stderr.toString().slice(0, 4000)}`,
    );
  }
  return elapsed;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), p90: at(0.9), runs: sorted.length };
}

const ms = (x) => x.toFixed(0);

/** Adds 3 build contexts to the generated project and makes it a git repository. */
async function addBuildContexts(dir) {
  for (let n = 1; n <= 3; n++) {
    const context = path.join(dir, `ctx-${n}`);
    await mkdir(path.join(context, "src"), { recursive: true });
    await writeFile(
      path.join(context, "Dockerfile"),
      [
        "FROM composec-test/busybox:1",
        "ARG RELEASE=dev",
        `ENV APP_NAME=app-${n} LOG_LEVEL=info`,
        "WORKDIR /app",
        "COPY src/ /app/src/",
        "RUN echo building $RELEASE > /app/release.txt",
        "",
      ].join("\n"),
    );
    await writeFile(path.join(context, ".dockerignore"), "*.log\n.env\n");
    await writeFile(path.join(context, "src", "main.sh"), "echo hello\n");
  }
  const file = path.join(dir, "compose.yaml");
  let index = 0;
  const text = (await readFile(file, "utf8")).replace(/^( {4}image: .*)$/gm, (line) => {
    index++;
    return `${line}\n    build:\n      context: ./ctx-${((index - 1) % 3) + 1}\n      args:\n        RELEASE: \${BENCH_RELEASE}`;
  });
  await writeFile(file, text);
  await writeFile(path.join(dir, ".gitignore"), "secrets/\n.env\n");
  execFileSync("git", ["init", "-q"], { cwd: dir });
  execFileSync("git", ["add", "compose.yaml", ".gitignore", "ctx-1", "ctx-2", "ctx-3"], { cwd: dir });
}

async function benchCheck(dir) {
  await generateProject(dir, { services, secrets });
  await addBuildContexts(dir);
  const contestants = [
    { label: "composec check", argv: [process.execPath, cliPath, "check"], ok: [0, 1] },
    {
      label: "composec check --format sarif",
      argv: [process.execPath, cliPath, "check", "--format", "sarif"],
      ok: [0, 1],
    },
    { label: "composec config (loading alone)", argv: [process.execPath, cliPath, "config"], ok: [0] },
  ];
  // The very first run, before anything is in the page cache from a run of ours.
  const first = timeOnce(contestants[0].argv, dir, {}, contestants[0].ok);
  for (let i = 0; i < warmup; i++) for (const c of contestants) timeOnce(c.argv, dir, {}, c.ok);
  const samples = new Map(contestants.map((c) => [c.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contestants : [...contestants].reverse();
    for (const c of order) samples.get(c.label).push(timeOnce(c.argv, dir, {}, c.ok));
  }
  const findings = JSON.parse(
    spawnSync(process.execPath, [cliPath, "check", "--format", "json", "--severity", "note"], {
      cwd: dir,
      env,
      encoding: "utf8",
    }).stdout,
  ).findings.length;
  return {
    first,
    findings,
    rows: contestants.map((c) => ({
      label: c.label,
      ...stats(samples.get(c.label)),
      cpu: stats(cpuTimes.get(cpuKey(c.argv, {})) ?? [0]).median,
    })),
  };
}

async function benchUpHint(dir) {
  await generateProject(dir, { services: upServices, secrets: 1, basePort: 31000 });
  const name = `bench-check-${process.pid}`;
  const up = [process.execPath, cliPath, "-p", name, "up", "-d"];
  const down = [process.execPath, cliPath, "-p", name, "down"];
  try {
    timeOnce(up, dir);
    const on = [];
    const off = [];
    for (let round = 0; round < upRounds; round++) {
      const pair = [
        () => on.push(timeOnce(up, dir)),
        () => off.push(timeOnce(up, dir, { COMPOSEC_CHECK_HINT: "0" })),
      ];
      if (round % 2) pair.reverse();
      for (const run of pair) run();
    }
    const cpu = (extra) => stats(cpuTimes.get(cpuKey(up, extra)) ?? [0]).median;
    return {
      on: { ...stats(on), cpu: cpu({}) },
      off: { ...stats(off), cpu: cpu({ COMPOSEC_CHECK_HINT: "0" }) },
    };
  } finally {
    timeOnce(down, dir);
  }
}

async function main() {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\``);
  const loadBefore = os.loadavg()[0];
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-check-bench-"));
  try {
    const check = await benchCheck(path.join(dir, "big"));
    const table = [
      "| command | median (ms) | min (ms) | p90 (ms) | max (ms) | CPU, median (ms) | runs |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...check.rows.map(
        (r) =>
          `| ${r.label} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.p90)} | ${ms(r.max)} | ${ms(r.cpu)} | ${r.runs} |`,
      ),
    ];
    console.log(table.join("\n"));
    let upTable = [];
    if (upServices > 0) {
      const hint = await benchUpHint(path.join(dir, "up"));
      upTable = [
        `## What the hint costs \`up -d\` (${upServices} services, already up: nothing to do)`,
        "",
        "| up -d | median (ms) | min (ms) | p90 (ms) | max (ms) | CPU, median (ms) | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        `| hint on (default) | ${ms(hint.on.median)} | ${ms(hint.on.min)} | ${ms(hint.on.p90)} | ${ms(hint.on.max)} | ${ms(hint.on.cpu)} | ${hint.on.runs} |`,
        `| hint off (COMPOSEC_CHECK_HINT=0) | ${ms(hint.off.median)} | ${ms(hint.off.min)} | ${ms(hint.off.p90)} | ${ms(hint.off.max)} | ${ms(hint.off.cpu)} | ${hint.off.runs} |`,
        "",
        `Difference of the medians: ${ms(hint.on.median - hint.off.median)} ms wall-clock, ${ms(hint.on.cpu - hint.off.cpu)} ms CPU.`,
        "",
      ];
      console.log(upTable.join("\n"));
    }
    const cpus = os.cpus();
    const report = [
      "# `check` from a cold start",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Project: ${services} services, ${secrets} file secrets each (${services * secrets} in all), ` +
        "from `bench/gen-project.mjs`, plus 3 build contexts (each service builds from one; each " +
        "Dockerfile has ARG, ENV, WORKDIR, COPY and RUN; each context a .dockerignore), a build arg per " +
        "service, and a git repository (`git ls-files`/`check-ignore` run for the 600 secret files)",
      `- Findings on it: ${check.findings} (600 CS009: the generator writes the secret files 0644; 600 CS012 notes: no variable names the grants' paths; the build args' values are no credentials, and git ignores the secret files)`,
      "- CPU: user + system time of the process (`/usr/bin/time`), which the load of other work on the shared machine inflates far less than wall-clock time",
      `- Method: every run a new process (cold start: Node.js, the bundle, loading, reading 600 secret files, git); ` +
        `${rounds} rounds after ${warmup} warm-up round(s), commands alternating; the very first run ` +
        `(before any warm-up): ${ms(check.first)} ms`,
      `- Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${os.type()} ${os.release()}; ` +
        `1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after (the machine is shared)`,
      `- composec: as built in dist/; Node.js ${process.version}`,
      "- Rerun: `npm run build && npm run bench:check`",
      "",
      "Target: under 1 s cold.",
      "",
      ...table,
      "",
      ...upTable,
    ].join("\n");
    const out = values.out ?? path.join(repoRoot, "bench/results/check.md");
    await writeFile(out, report);
    console.error(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await rm(cpuFile, { force: true });
    if (values.keep) console.error(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`check-bench: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
