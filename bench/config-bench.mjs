// Times `config` from a cold process start, composec against docker-compose 1.29 (Debian's), on one
// generated project (200 services x 3 file secrets by default). Both run in the same session,
// alternating within each round (and swapping who goes first every round) so drift on the machine
// (CPU frequency, page cache, other load) hits both alike. A bare `node -e ""` is timed too: it is
// the floor any Node.js CLI pays before reading a single byte of YAML.
//
//   npm run bench:config            full run; writes bench/results/config.md
//   node bench/config-bench.mjs --tools docker-compose,node   (e.g. before composec's config works)
//   options: --services 200 --secrets 3 --rounds 15 --warmup 2 --out FILE --keep
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateProject } from "./gen-project.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const composeBin = process.env.DOCKER_COMPOSE ?? "/usr/bin/docker-compose";

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "200" },
    secrets: { type: "string", default: "3" },
    rounds: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
    tools: { type: "string", default: "composec,docker-compose,node" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const services = Number(values.services);
const secrets = Number(values.secrets);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const selected = values.tools.split(",").map((t) => t.trim());

// A developer's COMPOSE_FILE or COMPOSE_PROJECT_NAME would change what either tool reads.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));

function tools(dir, file) {
  const all = {
    composec: {
      label: "composec config",
      argv: [process.execPath, cliPath, "-f", file, "config"],
      ready: () => existsSync(cliPath) || `${cliPath} is missing: run \`npm run build\``,
    },
    "docker-compose": {
      label: "docker-compose 1.29 config",
      argv: [composeBin, "-f", file, "config"],
      ready: () => existsSync(composeBin) || `${composeBin} is missing (Debian package docker-compose)`,
    },
    node: {
      label: 'node -e "" (startup floor)',
      argv: [process.execPath, "-e", ""],
      ready: () => true,
    },
  };
  return selected.map((name) => {
    const tool = all[name];
    if (!tool) throw new Error(`unknown tool ${name}; choose from ${Object.keys(all).join(", ")}`);
    return { name, cwd: dir, ...tool };
  });
}

/** Runs once; stdout goes to /dev/null, stderr is kept to explain a failure. Returns milliseconds. */
function timeOnce(tool) {
  const start = performance.now();
  const result = spawnSync(tool.argv[0], tool.argv.slice(1), {
    cwd: tool.cwd,
    env,
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - start;
  if (result.error) throw new Error(`${tool.label}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${tool.label} exited with ${result.status ?? result.signal}; it must accept the generated file:\n` +
        result.stderr.toString("utf8").slice(0, 4000),
    );
  }
  return elapsed;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], p90: at(0.9), runs: sorted.length };
}

function version(argv, cwd) {
  const result = spawnSync(argv[0], argv.slice(1), { env, encoding: "utf8", cwd });
  return (result.stdout || result.stderr || "").split("\n")[0].trim() || "unknown";
}

const ms = (x) => x.toFixed(0);

async function main() {
  // Other work on the machine shows up as noise; record how busy it was.
  const loadBefore = os.loadavg()[0];
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-bench-"));
  try {
    const { file } = await generateProject(dir, { services, secrets });
    const list = tools(dir, file);
    for (const tool of list) {
      const ready = tool.ready();
      if (ready !== true) throw new Error(ready);
    }
    console.error(`project: ${services} services x ${secrets} secrets in ${dir}`);
    // Warm-up runs validate that every tool accepts the file and bring both into the page cache, so
    // the timed runs measure process start and work, not the first read from disk.
    for (let i = 0; i < warmup; i++) for (const tool of list) timeOnce(tool);

    const samples = new Map(list.map((tool) => [tool.name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? list : [...list].reverse();
      for (const tool of order) samples.get(tool.name).push(timeOnce(tool));
      if (process.stderr.isTTY) process.stderr.write(`\rround ${round + 1}/${rounds}`);
    }
    if (process.stderr.isTTY) process.stderr.write("\n");

    const rows = list.map((tool) => ({ tool, ...stats(samples.get(tool.name)) }));
    const byName = Object.fromEntries(rows.map((row) => [row.tool.name, row]));
    const table = [
      "| command | median (ms) | min (ms) | p90 (ms) | runs |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...rows.map((r) => `| ${r.tool.label} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.p90)} | ${r.runs} |`),
    ];
    const notes = [];
    if (byName.composec && byName["docker-compose"]) {
      const ratio = byName["docker-compose"].median / byName.composec.median;
      notes.push(
        `docker-compose / composec, medians: **${ratio.toFixed(2)}x** ` +
          `(${ratio >= 1 ? "composec faster" : "composec slower"}).`,
      );
    }
    if (byName.composec && byName.node) {
      notes.push(
        `composec above the Node.js startup floor, medians: ${ms(byName.composec.median - byName.node.median)} ms.`,
      );
    }
    console.log([...table, "", ...notes].join("\n"));

    // A partial run (a tool left out) is for trying things; only a full one replaces the results.
    const complete = ["composec", "docker-compose"].every((name) => byName[name]);
    const out = values.out ?? (complete ? path.join(repoRoot, "bench/results/config.md") : undefined);
    if (out) {
      const cpus = os.cpus();
      const report = [
        "# `config` from a cold start: composec vs docker-compose 1.29",
        "",
        `- Date: ${new Date().toISOString()}`,
        `- Project: ${services} services, ${secrets} file secrets each (${services * secrets} in all), ` +
          "one network, one volume, interpolated environment, one published port per service " +
          "(`bench/gen-project.mjs`)",
        `- Method: ${rounds} rounds after ${warmup} warm-up round(s), tools alternating within each ` +
          "round and swapping order every round; wall-clock time of the whole process, stdout to /dev/null",
        `- Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${os.type()} ${os.release()}; ` +
          `1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`,
        `- composec: commit ${version(["git", "describe", "--always", "--dirty"], repoRoot)} (as built in dist/); ` +
          `Node.js: ${process.version}; docker-compose: ${version([composeBin, "version", "--short"])}`,
        "- Rerun: `npm run build && npm run bench:config`",
        "",
        ...table,
        "",
        ...notes,
        "",
      ].join("\n");
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, report);
      console.error(`wrote ${path.relative(process.cwd(), out)}`);
    }
  } finally {
    if (values.keep) console.error(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`config-bench: ${error.message}`);
  process.exitCode = 1;
});
