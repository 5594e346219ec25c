// Times a rebuild with no change (every step served from BuildKit's cache) of one project with a
// build secret: composec against the same cached build sent straight to the Engine API. Two pairs,
// alternating within each round (and swapping who goes first every round), so drift on the machine
// hits all alike:
//
//   in process   composec: loadProject + buildServices (session serving the secret, context packed
//                with .dockerignore, progress decoded), against POST /build?version=2 of the same
//                context, packed beforehand, no session: the engine's own cached build time (the floor)
//   whole CLI    `node dist/cli/bin.js build --progress quiet`, against `curl` posting the same tar
//                (what a user waits for; Node.js's start-up is in it, measured alone as well)
//
//   npm run bench:build            full run; writes bench/results/build.md
//   options: --rounds 15 --warmup 2 --files 200 --out FILE --keep
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, URLSearchParams } from "node:url";
import { parseArgs } from "node:util";
import Docker from "dockerode";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const socketPath = process.env.COMPOSEC_DOCKER_SOCKET ?? "/var/run/docker.sock";
const api = "/v1.41";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
    files: { type: "string", default: "200" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const fileCount = Number(values.files);

const project = `bench-build-${process.pid.toString(36)}`;
const floorTag = `${project}-floor`;
// The secret is made up for the run and never printed; the child CLI gets it in its environment.
const token = `npm_${randomBytes(18).toString("hex")}`;
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key))),
  NPM_TOKEN: token,
};

/** The benchmark project: the seed's build example plus a context worth packing. */
async function writeProject(dir) {
  await mkdir(path.join(dir, "app"), { recursive: true });
  await writeFile(
    path.join(dir, "compose.yaml"),
    "services:\n  myapp:\n    build:\n      secrets:\n        - npm_token\n      context: .\n" +
      "secrets:\n  npm_token:\n    environment: NPM_TOKEN\n",
  );
  await writeFile(
    path.join(dir, "Dockerfile"),
    [
      "FROM composec-test/busybox:1",
      "COPY app/ /app/",
      "RUN --mount=type=secret,id=npm_token sha256sum /run/secrets/npm_token > /digest",
      "RUN find /app -type f | wc -l > /count",
      "",
    ].join("\n"),
  );
  await writeFile(path.join(dir, ".dockerignore"), "*.log\n");
  for (let i = 0; i < fileCount; i++) {
    await writeFile(path.join(dir, "app", `file-${i}.txt`), randomBytes(1024).toString("hex"));
  }
  await writeFile(path.join(dir, "debug.log"), "left out by .dockerignore\n");
}

/** POST /build of a prepared tar; resolves when the engine has answered in full. */
function postBuild(tar) {
  const query = new URLSearchParams({ version: "2", t: floorTag, dockerfile: "Dockerfile" });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath,
        method: "POST",
        path: `${api}/build?${query}`,
        headers: { "Content-Type": "application/x-tar" },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => {
          if (
            response.statusCode !== 200 ||
            body.includes('"errorDetail"') ||
            !body.includes("moby.image.id")
          ) {
            reject(new Error(`POST /build failed (HTTP ${response.statusCode}): ${body.slice(-500)}`));
          } else resolve();
        });
      },
    );
    request.on("error", reject);
    request.end(tar);
  });
}

function run(argv, cwd, what) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `${what} exited with ${result.status ?? result.signal}: ${result.stderr.toString().slice(-2000)}`,
    );
  }
  return result.stdout;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], p90: at(0.9), runs: sorted.length };
}

const ms = (x) => x.toFixed(0);

async function main() {
  if (!existsSync(path.join(repoRoot, "dist/build/index.js")) || !existsSync(cliPath)) {
    throw new Error("dist/ is missing: run `npm run build`");
  }
  const { loadProject } = await import(path.join(repoRoot, "dist/loader/index.js"));
  const { buildServices } = await import(path.join(repoRoot, "dist/build/index.js"));
  const { createEngine } = await import(path.join(repoRoot, "dist/engine/client.js"));
  const engine = createEngine({ host: `unix://${socketPath}` });
  const docker = new Docker({ socketPath });
  const loadBefore = os.loadavg()[0];
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-build-bench-"));
  try {
    await writeProject(dir);
    // The floor's context: the same files .dockerignore keeps, as root, packed once, kept in memory.
    const tar = run(
      ["tar", "-C", dir, "--numeric-owner", "--owner=0", "--group=0", "--exclude=*.log", "-cf", "-", "."],
      dir,
      "tar",
    );

    // curl reads the same tar from a file next to the project.
    const tarFile = `${dir}.tar`;
    await writeFile(tarFile, tar);

    let steps;
    const contestants = [
      {
        name: "lib",
        label: "composec: loadProject + buildServices (in process)",
        run: async () => {
          const { project: loaded, variables } = await loadProject({ cwd: dir, projectName: project, env });
          const [built] = await buildServices(loaded, engine, { variables, shell: env, onLine: () => {} });
          steps = built.steps;
        },
      },
      {
        name: "api",
        label: "Engine API: POST /build, same context, no session (in process)",
        run: () => postBuild(tar),
      },
      {
        name: "cli",
        label: "composec build --progress quiet (whole CLI)",
        run: async () =>
          run(
            [process.execPath, cliPath, "-p", project, "build", "--progress", "quiet"],
            dir,
            "composec build",
          ),
      },
      {
        name: "curl",
        label: "curl POST /build, same tar (whole process)",
        run: async () =>
          run(
            [
              "curl",
              "-sf",
              "--unix-socket",
              socketPath,
              "-X",
              "POST",
              "-H",
              "Content-Type: application/x-tar",
              "--data-binary",
              `@${tarFile}`,
              "-o",
              "/dev/null",
              `http://localhost${api}/build?version=2&t=${floorTag}&dockerfile=Dockerfile`,
            ],
            dir,
            "curl",
          ),
      },
      {
        name: "node",
        label: 'node -e "" (Node.js start-up)',
        run: async () => run([process.execPath, "-e", ""], dir, "node"),
      },
    ];
    console.error(`project ${project}: ${fileCount} context files in ${dir}`);
    // Warm-up: the first build fills the cache (and checks every contestant works).
    for (let i = 0; i < warmup; i++) for (const contestant of contestants) await contestant.run();

    const samples = new Map(contestants.map((c) => [c.name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? contestants : [...contestants].reverse();
      for (const contestant of order) {
        const start = performance.now();
        await contestant.run();
        samples.get(contestant.name).push(performance.now() - start);
      }
      if (steps.cached !== steps.total)
        throw new Error(`round ${round + 1}: a step was rebuilt; the cache did not serve it`);
      if (process.stderr.isTTY) process.stderr.write(`\rround ${round + 1}/${rounds}`);
    }
    if (process.stderr.isTTY) process.stderr.write("\n");

    const rows = contestants.map((c) => ({ c, ...stats(samples.get(c.name)) }));
    const by = Object.fromEntries(rows.map((row) => [row.c.name, row]));
    const table = [
      "| what | median (ms) | min (ms) | p90 (ms) | runs |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...rows.map((r) => `| ${r.c.label} | ${ms(r.median)} | ${ms(r.min)} | ${ms(r.p90)} | ${r.runs} |`),
    ];
    const inProcess = by.lib.median / by.api.median;
    const whole = by.cli.median / by.curl.median;
    const notes = [
      `Every timed composec build was served from the cache (${steps.cached}/${steps.total} steps cached).`,
      "",
      `- **In process, composec / Engine API: ${inProcess.toFixed(2)}x** (target: at most 1.2x). This is the cost ` +
        "composec adds to the engine's own cached build: loading the project, resolving the secret, the " +
        "session, packing the context, decoding progress.",
      `- Whole CLI, composec / curl: ${whole.toFixed(2)}x (${ms(by.cli.median - by.curl.median)} ms more). ` +
        `Node.js's own start-up is ${ms(by.node.median)} ms of it; the rest is loading composec and its ` +
        "dependencies (dockerode with gRPC and ssh2, which every composec command loads at start today).",
    ];
    console.log([...table, "", ...notes].join("\n"));

    const out = values.out ?? path.join(repoRoot, "bench/results/build.md");
    const cpus = os.cpus();
    const gitDescribe = spawnSync("git", ["describe", "--always", "--dirty"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    const version = await docker.version();
    const report = [
      "# A rebuild with no change: composec vs the Engine API",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Project: the seed's build example (\`npm_token\` from NPM_TOKEN, read by one RUN step through a ` +
        `secret mount) with a COPY of ${fileCount} files of 2 kB and a second RUN; a .dockerignore (\`bench/build-bench.mjs\`)`,
      `- Method: ${rounds} rounds after ${warmup} warm-up round(s) (the first fills the cache), contestants ` +
        "alternating within each round and swapping order every round; wall-clock time until the engine's answer has ended",
      `- Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${os.type()} ${os.release()}; ` +
        `1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`,
      `- Engine: Docker ${version.Version} (API ${version.ApiVersion}); composec: commit ${gitDescribe.stdout.trim() || "unknown"} ` +
        `(as built in dist/); Node.js ${process.version}`,
      "- Rerun: `npm run build && npm run bench:build`",
      "",
      ...table,
      "",
      ...notes,
      "",
    ].join("\n");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, report);
    console.error(`wrote ${path.relative(process.cwd(), out)}`);
    await rm(tarFile, { force: true });
  } finally {
    const built = await docker.listImages({
      filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
    });
    for (const image of built)
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
    await docker
      .getImage(floorTag)
      .remove({ force: true })
      .catch(() => {});
    if (values.keep) console.error(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`build-bench: ${error.message}`);
  process.exitCode = 1;
});
