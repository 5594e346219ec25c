// The loader's full generated-input sweep (src/loader/loader.property.test.ts with many cases), and
// its last result in bench/results/reliability.md. CI runs the same properties with a small sample.
//
//   npm run fuzz:loader                       5,000 cases per property, a fresh seed
//   node bench/fuzz-loader.mjs --runs 20000 --seed 123
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5000" },
    seed: { type: "string" },
    out: { type: "string", default: path.join(repoRoot, "bench/results/reliability.md") },
  },
});
const seed = values.seed ?? String(Date.now() % 2 ** 31);
const dir = mkdtempSync(path.join(os.tmpdir(), "composec-fuzz-report-"));
const report = path.join(dir, "counts.json");

const started = performance.now();
const result = spawnSync(
  "npx",
  ["vitest", "run", "--project", "unit", "src/loader/loader.property.test.ts"],
  {
    cwd: repoRoot,
    stdio: "inherit",
    env: {
      ...process.env,
      COMPOSEC_FUZZ_RUNS: values.runs,
      COMPOSEC_FUZZ_SEED: seed,
      COMPOSEC_FUZZ_REPORT: report,
    },
  },
);
const seconds = ((performance.now() - started) / 1000).toFixed(0);
let counts;
try {
  counts = JSON.parse(readFileSync(report, "utf8"));
} catch {
  counts = undefined;
}
rmSync(dir, { recursive: true, force: true });
const passed = result.status === 0;
const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
  cwd: repoRoot,
  encoding: "utf8",
}).stdout.trim();

const lines = [
  "# Reliability: the loader under generated input",
  "",
  `Last sweep: ${new Date().toISOString().slice(0, 10)} at ${head} by \`npm run fuzz:loader\` (bench/fuzz-loader.mjs),`,
  `seed ${seed}, ${values.runs} cases per property, ${seconds} s in all: **${passed ? "every property held" : "a property FAILED (see the run's output; the seed replays it)"}**.`,
  "",
  "The properties (src/loader/loader.property.test.ts, fast-check, the loader driven as a library):",
  "",
  "- a random valid project loads, and `config` of its `config` is the same text;",
  "- a random mutation of a valid file (a wrong type anywhere, an unknown key, Unicode, huge values,",
  "  deep nesting, anchors and merge keys, alias bombs, broken or truncated text, tabs, an empty or",
  "  oversized file, a recursive alias) ends, in bounded time and heap, with a project or with a",
  "  ProjectError whose every problem has a file, line and column: never another error, never a hang.",
  "",
  "Rerun: `npm run fuzz:loader` (or `node bench/fuzz-loader.mjs --runs N --seed S`). CI runs 150",
  "cases per property with a fresh seed, printed at the start (`COMPOSEC_FUZZ_SEED=S` replays it).",
  "",
];
if (counts) {
  lines.push(
    "| figure | value |",
    "| --- | ---: |",
    `| valid projects round-tripped through \`config\` twice | ${counts.roundTrips} |`,
    `| mutated files loaded | ${counts.mutations} |`,
    `| ... of which still valid (loaded) | ${counts.loaded} |`,
    `| ... of which refused with located problems | ${counts.refused} |`,
    `| located problems reported in all | ${counts.problems} |`,
    `| crashes (any error but ProjectError), hangs, unlocated problems | ${passed ? 0 : "see the run"} |`,
    `| slowest single load | ${counts.slowestMs} ms (limit 5,000 ms) |`,
    `| largest heap growth of a single load | ${counts.largestHeapGrowthMb} MB (limit 256 MB) |`,
    "",
    "Mutations tried, by kind:",
    "",
    "| kind | cases |",
    "| --- | ---: |",
    ...Object.entries(counts.byKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `| ${kind} | ${n} |`),
    "",
  );
}
writeFileSync(values.out, `${lines.join("\n")}\n`);
process.stderr.write(`wrote ${path.relative(process.cwd(), values.out)}\n`);
process.exit(passed ? 0 : 1);
