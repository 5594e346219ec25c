// The local secret store at scale (issue: 10,000 secrets; `secret ls` under 300 ms; resolving 50
// external secrets well under 100 ms, the key derived once per run). Two measurements:
//
// 1. `composec secret ls` from a cold process start (spawn to exit, stdout to /dev/null), with
//    10,000 secrets in the store, alternating with `composec --version` (the same CLI doing no
//    store work: its start-up floor), `node -e ""` (Node's own floor) and bench/store-ls-only.mjs
//    (the secret commands alone, without the rest of the CLI), order swapped every round.
// 2. Resolving 50 external secrets through openStoreSource (key-file mode, as `up` will) in a
//    fresh process each round, timed inside it from openStoreSource() to the 50th value: the
//    store's index of 10,000 read and parsed, the key file read once, 50 sealed files read,
//    authenticated and decrypted, 50 `use` lines appended to the audit log. Alternated with the
//    same 50 values read as file secrets (resolve.ts's readSecretFile), the work `up` does for a
//    project with file secrets: the difference is what the store adds.
//
//   npm run build && npm run bench:store
//   options: --secrets 10000 --resolve 50 --rounds 15 --warmup 2 --out FILE --keep
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const dist = (file) => pathToFileURL(path.join(repoRoot, "dist", file)).href;

const { values } = parseArgs({
  options: {
    secrets: { type: "string", default: "10000" },
    resolve: { type: "string", default: "50" },
    rounds: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    // Internal: the child process of measurement 2.
    child: { type: "string" },
    dir: { type: "string" },
  },
});
const secretCount = Number(values.secrets);
const resolveCount = Number(values.resolve);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);

const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));
const storeEnv = (dir) => ({
  ...baseEnv,
  COMPOSEC_HOME: path.join(dir, "home"),
  COMPOSEC_KEY_FILE: path.join(dir, "master.key"),
});
const resolvedNames = () =>
  Array.from({ length: resolveCount }, (_, i) => `bench-secret-${String(i * 7).padStart(5, "0")}`);

/** Measurement 2, in the child: prints the milliseconds of one resolution of 50 secrets. */
async function child(mode, dir) {
  const names = resolvedNames();
  if (mode === "store") {
    const { openStoreSource } = await import(dist("store/source.js"));
    const start = performance.now();
    const source = openStoreSource(storeEnv(dir), { project: "bench" });
    let bytes = 0;
    for (const name of names) {
      const value = await source.read(name);
      if (!value) throw new Error(`${name} is missing`);
      bytes += value.length;
      value.wipe();
    }
    process.stdout.write(`${performance.now() - start} ${bytes}\n`);
  } else {
    const { readSecretFile } = await import(dist("secrets/resolve.js"));
    const start = performance.now();
    let bytes = 0;
    for (const name of names) {
      const value = await readSecretFile(path.join(dir, "files", name));
      bytes += value.length;
      value.fill(0);
    }
    process.stdout.write(`${performance.now() - start} ${bytes}\n`);
  }
}

/** Fills a store with `secretCount` secrets (in batches: one lock and index write per batch). */
async function populate(dir) {
  const { openStore } = await import(dist("store/store.js"));
  const { SecretValue } = await import(dist("secrets/secret-value.js"));
  const env = storeEnv(dir);
  const store = openStore({ home: env.COMPOSEC_HOME, keyFile: env.COMPOSEC_KEY_FILE });
  const resolved = new Set(resolvedNames());
  await mkdir(path.join(dir, "files"), { mode: 0o700 });
  const batch = 500;
  for (let first = 0; first < secretCount; first += batch) {
    const entries = [];
    for (let i = first; i < Math.min(secretCount, first + batch); i++) {
      const name = `bench-secret-${String(i).padStart(5, "0")}`;
      const bytes = randomBytes(32 + (i % 64));
      // The same values as files, for the file-secret baseline.
      if (resolved.has(name)) await writeFile(path.join(dir, "files", name), bytes, { mode: 0o600 });
      entries.push({ name, value: new SecretValue(bytes), labels: { app: `app-${i % 20}`, tier: "bench" } });
    }
    await store.create(entries);
    if (process.stderr.isTTY)
      process.stderr.write(`\rpopulating: ${Math.min(secretCount, first + batch)}/${secretCount}`);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
}

function timeOnce(argv, env) {
  const start = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(
      `${argv.join(" ")} exited with ${result.status ?? result.signal}:\n${result.stderr.toString().slice(0, 2000)}`,
    );
  }
  return elapsed;
}

function childOnce(mode, dir) {
  const result = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), "--child", mode, "--dir", dir, "--resolve", String(resolveCount)],
    {
      env: baseEnv,
      encoding: "utf8",
    },
  );
  if (result.status !== 0)
    throw new Error(`resolution child (${mode}) failed:\n${result.stderr.slice(0, 2000)}`);
  const [ms, bytes] = result.stdout.trim().split(" ").map(Number);
  return { ms, bytes };
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], p90: at(0.9), runs: sorted.length };
}

function version(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", cwd: repoRoot });
  return (result.stdout || "").split("\n")[0].trim() || "unknown";
}

const ms = (x) => x.toFixed(0);
const ms1 = (x) => x.toFixed(1);

async function main() {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\``);
  const loadBefore = os.loadavg()[0];
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-store-bench-"));
  try {
    const populateStart = performance.now();
    await populate(dir);
    const populateMs = performance.now() - populateStart;
    console.error(`store: ${secretCount} secrets in ${dir} (${(populateMs / 1000).toFixed(1)} s to create)`);

    const env = storeEnv(dir);
    const commands = [
      {
        name: "ls",
        label: `composec secret ls (${secretCount} secrets, table)`,
        argv: [process.execPath, cliPath, "secret", "ls"],
      },
      {
        name: "ls-json",
        label: "composec secret ls --format json",
        argv: [process.execPath, cliPath, "secret", "ls", "--format", "json"],
      },
      {
        name: "ls-q",
        label: "composec secret ls -q",
        argv: [process.execPath, cliPath, "secret", "ls", "-q"],
      },
      {
        name: "ls-only",
        label: "secret ls, program with only the secret commands (bench/store-ls-only.mjs)",
        argv: [process.execPath, path.join(repoRoot, "bench/store-ls-only.mjs"), "secret", "ls"],
      },
      {
        name: "version",
        label: "composec --version (the CLI's start-up floor)",
        argv: [process.execPath, cliPath, "--version"],
      },
      { name: "node", label: 'node -e "" (Node\'s floor)', argv: [process.execPath, "-e", ""] },
    ];
    for (let i = 0; i < warmup; i++) {
      for (const command of commands) timeOnce(command.argv, env);
      childOnce("store", dir);
      childOnce("files", dir);
    }
    const samples = new Map(commands.map((c) => [c.name, []]));
    const resolveSamples = { store: [], files: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? commands : [...commands].reverse();
      for (const command of order) samples.get(command.name).push(timeOnce(command.argv, env));
      for (const mode of round % 2 === 0 ? ["store", "files"] : ["files", "store"]) {
        resolveSamples[mode].push(childOnce(mode, dir).ms);
      }
      if (process.stderr.isTTY) process.stderr.write(`\rround ${round + 1}/${rounds}`);
    }
    if (process.stderr.isTTY) process.stderr.write("\n");

    const rows = commands.map((c) => ({ label: c.label, name: c.name, ...stats(samples.get(c.name)) }));
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    const store = stats(resolveSamples.store);
    const files = stats(resolveSamples.files);
    const lsTable = [
      "| command | median (ms) | min (ms) | p90 (ms) | runs |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...rows.map((r) => `| ${r.label} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.p90)} | ${r.runs} |`),
    ];
    const resolveTable = [
      `| ${resolveCount} secrets resolved (fresh process each run) | median (ms) | min (ms) | p90 (ms) | runs |`,
      "| --- | ---: | ---: | ---: | ---: |",
      `| external, from the store (openStoreSource, key file) | ${ms1(store.median)} | ${ms1(store.min)} | ${ms1(store.p90)} | ${store.runs} |`,
      `| the same values as file secrets (readSecretFile) | ${ms1(files.median)} | ${ms1(files.min)} | ${ms1(files.p90)} | ${files.runs} |`,
    ];
    const notes = [
      `- \`secret ls\` median ${ms(byName.ls.median)} ms (target: under 300 ms); ` +
        `${ms(byName.ls.median - byName.version.median)} ms above \`composec --version\`, which is the CLI's start-up alone.`,
      `- ${resolveCount} external secrets: median ${ms1(store.median)} ms, ` +
        `${ms1(store.median - files.median)} ms more than the same ${resolveCount} as file secrets (target: well under 100 ms).`,
    ];
    console.log([...lsTable, "", ...resolveTable, "", ...notes].join("\n"));

    const out = values.out ?? path.join(repoRoot, "bench/results/store.md");
    const cpus = os.cpus();
    const report = [
      "# The local secret store: `secret ls` and resolving external secrets",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Store: ${secretCount} secrets of 32-95 random bytes, two labels each, key-file mode ` +
        `(created through the library in batches of 500: ${(populateMs / 1000).toFixed(1)} s)`,
      `- Method: ${rounds} rounds after ${warmup} warm-up round(s), commands alternating and swapping order ` +
        "every round. `ls`: wall-clock time of the whole process, stdout to /dev/null. Resolution: a fresh " +
        `process per run, timed inside it from \`openStoreSource()\` to the ${resolveCount}th value (module ` +
        "loading excluded: in the CLI the store is in the one bundled file), against the same values read as " +
        "file secrets in the same way",
      `- Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${os.type()} ${os.release()}; ` +
        `1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`,
      `- composec: commit ${version(["git", "describe", "--always", "--dirty"])} (as built in dist/); Node.js ${process.version}`,
      "- Rerun: `npm run build && npm run bench:store`",
      "",
      "## `secret ls` from a cold start",
      "",
      ...lsTable,
      "",
      `## Resolving ${resolveCount} external secrets`,
      "",
      ...resolveTable,
      "",
      "## Summary",
      "",
      ...notes,
      "",
    ].join("\n");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, report);
    console.error(`wrote ${path.relative(process.cwd(), out)}`);
  } finally {
    if (values.keep) console.error(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

if (values.child) {
  await child(values.child, values.dir);
} else {
  await main().catch((error) => {
    console.error(`store-bench: ${error.message}`);
    process.exitCode = 1;
  });
}
