// Times deploying a stack of N services with 2 file secrets each to a single-node Swarm, until
// every service has converged, two ways, in one run, alternating:
//
//   composec        node dist/cli/bin.js -p P deploy --detach=false
//   docker stack    docker stack deploy --detach=false --resolve-image never -c compose.yaml P
//                   (the docker CLI at /usr/local/bin/docker, against the same engine)
//
// Both read the same compose file (file secrets only: `docker stack deploy` takes no other
// source). Every measurement is a whole process, spawn to exit, output discarded; between
// rounds the stack is removed (`composec undeploy`, untimed, which waits until nothing is left).
// The engine is made a Swarm manager for the run when it is not one, and leaves that Swarm after.
//
//   npm run bench:deploy                 N=20, 3 rounds; writes bench/results/deploy.md
//   node bench/deploy-bench.mjs --services 5 --rounds 1 --out /tmp/x.md
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cliPath = path.join(repoRoot, "dist/cli/bin.js");
const dockerBin = process.env.DOCKER_CLI ?? "/usr/local/bin/docker";
const IMAGE = "composec-test/busybox:1";

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "20" },
    rounds: { type: "string", default: "3" },
    out: { type: "string" },
  },
});
const n = Number(values.services);
const rounds = Number(values.rounds);

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^COMPOSEC?_/.test(key)));

function run(argv, options = {}) {
  const started = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), {
    env: options.env ?? env,
    cwd: options.cwd,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const ms = performance.now() - started;
  if (result.status !== 0 && !options.mayFail) {
    throw new Error(`${argv.join(" ")} exited ${result.status}:\n${result.stderr}`);
  }
  return { ms, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function composeFile() {
  const width = String(n).length;
  const lines = ["services:"];
  const secrets = ["secrets:"];
  for (let i = 1; i <= n; i++) {
    const name = `svc-${String(i).padStart(width, "0")}`;
    lines.push(
      `  ${name}:`,
      `    image: ${IMAGE}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`,
      `    stop_grace_period: 1s`,
      `    secrets:`,
      `      - ${name}-a`,
      `      - source: ${name}-b`,
      `        target: b`,
      `        mode: 0400`,
    );
    secrets.push(
      `  ${name}-a:`,
      `    file: ./secrets/${name}-a.txt`,
      `  ${name}-b:`,
      `    file: ./secrets/${name}-b.txt`,
    );
  }
  return `${lines.join("\n")}\n${secrets.join("\n")}\n`;
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "composec-deploy-bench-"));
  const home = path.join(dir, "home");
  await writeFile(path.join(dir, "compose.yaml"), composeFile());
  await import("node:fs/promises").then((fs) => fs.mkdir(path.join(dir, "secrets")));
  for (let i = 1; i <= n; i++) {
    const name = `svc-${String(i).padStart(String(n).length, "0")}`;
    for (const part of ["a", "b"]) {
      await writeFile(path.join(dir, "secrets", `${name}-${part}.txt`), `${name}-${part}-${Math.random()}`, {
        mode: 0o600,
      });
    }
  }
  const info = JSON.parse(run([dockerBin, "info", "--format", "{{json .Swarm}}"]).stdout);
  const made = info.LocalNodeState === "inactive";
  if (made) run([dockerBin, "swarm", "init", "--advertise-addr", "127.0.0.1"]);
  const times = { composec: [], "docker stack": [] };
  const composecEnv = { ...env, COMPOSEC_HOME: home };
  const contestants = {
    composec: (stack) => [process.execPath, cliPath, "-p", stack, "deploy", "--detach=false"],
    "docker stack": (stack) => [
      dockerBin,
      "stack",
      "deploy",
      "--detach=false",
      "--resolve-image",
      "never",
      "-c",
      "compose.yaml",
      stack,
    ],
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ["composec", "docker stack"] : ["docker stack", "composec"];
      for (const tool of order) {
        const stack = `bench-deploy-${round}-${tool === "composec" ? "c" : "d"}`;
        const { ms } = run(contestants[tool](stack), { cwd: dir, env: composecEnv });
        times[tool].push(ms);
        process.stderr.write(`round ${round + 1}: ${tool} ${Math.round(ms)} ms\n`);
        run([process.execPath, cliPath, "-p", stack, "undeploy"], { cwd: dir, env: composecEnv });
      }
    }
  } finally {
    if (made) run([dockerBin, "swarm", "leave", "--force"], { mayFail: true });
    await rm(dir, { recursive: true, force: true });
  }
  const engine = run([
    dockerBin,
    "version",
    "--format",
    "{{.Server.Version}} (API {{.Server.APIVersion}}), docker CLI {{.Client.Version}}",
  ]).stdout.trim();
  const commit = run(["git", "rev-parse", "--short", "HEAD"], { cwd: repoRoot }).stdout.trim();
  const row = (tool) => {
    const list = times[tool];
    return `| ${tool} | ${Math.round(median(list))} ms | ${Math.round(Math.min(...list))} ms | ${Math.round(Math.max(...list))} ms | ${(median(list) / median(times["docker stack"])).toFixed(2)}x |`;
  };
  const text = `# \`deploy\` to a Swarm: composec against \`docker stack deploy\`

Measured ${new Date().toISOString().slice(0, 10)} at ${commit} by \`npm run bench:deploy\` (bench/deploy-bench.mjs): Docker Engine ${engine},
Node.js ${process.version}, ${os.cpus().length} CPUs, a single-node Swarm. ${n} services
(\`${IMAGE}\`, an idle shell that exits on SIGTERM, \`stop_grace_period: 1s\`), each with 2 file
secrets (one with \`target\` and \`mode\`): ${2 * n} secrets. Each contestant deploys the same file to a
fresh stack and waits until every service has converged (\`--detach=false\` for both); whole
processes, spawn to exit, ${rounds} rounds, order alternating; the stack is removed between rounds
(untimed).

| contestant | median | min | max | median / docker stack |
| --- | ---: | ---: | ---: | ---: |
${row("composec")}
${row("docker stack")}

composec's figure includes what \`docker stack deploy\` does not do: reading every secret before the
first call, the keyed digest of each value for its versioned name, and the check of old versions
to remove after convergence.
`;
  const out = values.out ?? path.join(repoRoot, "bench/results/deploy.md");
  await writeFile(out, text);
  process.stdout.write(text);
}

await main();
