// Generates a Compose project large enough for timings to mean something: N services, each with K
// file secrets of its own (short and long syntax), environment variables with interpolation, a
// published port on 127.0.0.1 (all distinct), a shared network and a shared named volume.
// The file is meant to be accepted as is by both composec and docker-compose 1.29 (Debian's), so the
// same input can be timed with both.
//
//   node bench/gen-project.mjs --out DIR [--services 200] [--secrets 3] [--base-port 20000]
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * Writes compose.yaml, .env and secrets/*.txt into `dir` (created if needed).
 * @param {string} dir
 * @param {{ services?: number, secrets?: number, basePort?: number, image?: string }} [options]
 * @returns {Promise<{ file: string, services: number, secrets: number }>}
 */
export async function generateProject(dir, options = {}) {
  const services = options.services ?? 200;
  const secretsPer = options.secrets ?? 3;
  const basePort = options.basePort ?? 20000;
  const image = options.image ?? "composec-test/busybox:1";
  if (basePort + services > 65535) throw new Error("gen-project: too many services for the port range");

  await mkdir(path.join(dir, "secrets"), { recursive: true });
  const width = String(services).length;
  const lines = ["services:"];
  const secretLines = ["secrets:"];
  const writes = [];

  for (let i = 1; i <= services; i++) {
    const name = `svc-${String(i).padStart(width, "0")}`;
    lines.push(
      `  ${name}:`,
      `    image: ${image}`,
      `    command: ["sh", "-c", "sleep 3600"]`,
      `    environment:`,
      `      SERVICE_NAME: ${name}`,
      `      SERVICE_INDEX: "${i}"`,
      // Interpolation from .env and a default, so the loaders do real work on every service.
      `      LOG_LEVEL: \${BENCH_LOG_LEVEL:-info}`,
      `      RELEASE: \${BENCH_RELEASE}`,
      `    ports:`,
      `      - "127.0.0.1:${basePort + i}:8080"`,
      `    networks:`,
      `      - backend`,
      `    volumes:`,
      `      - data:/data`,
      `    secrets:`,
    );
    for (let j = 1; j <= secretsPer; j++) {
      const secret = `${name}-s${j}`;
      // Alternate the short and the long syntax; the long one with a target and a mode.
      if (j % 2 === 1) {
        lines.push(`      - ${secret}`);
      } else {
        lines.push(`      - source: ${secret}`, `        target: secret_${j}`, `        mode: 0400`);
      }
      secretLines.push(`  ${secret}:`, `    file: ./secrets/${secret}.txt`);
      // Made-up values for a benchmark, never printed.
      writes.push(writeFile(path.join(dir, "secrets", `${secret}.txt`), randomBytes(16).toString("hex")));
    }
  }

  const yaml = [...lines, "networks:", "  backend: {}", "volumes:", "  data: {}", ...secretLines, ""].join(
    "\n",
  );
  const file = path.join(dir, "compose.yaml");
  writes.push(writeFile(file, yaml));
  writes.push(writeFile(path.join(dir, ".env"), "BENCH_RELEASE=2024.1\n"));
  await Promise.all(writes);
  return { file, services, secrets: services * secretsPer };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      services: { type: "string", default: "200" },
      secrets: { type: "string", default: "3" },
      "base-port": { type: "string", default: "20000" },
    },
  });
  if (!values.out) {
    console.error("usage: node bench/gen-project.mjs --out DIR [--services N] [--secrets K] [--base-port P]");
    process.exit(2);
  }
  const result = await generateProject(values.out, {
    services: Number(values.services),
    secrets: Number(values.secrets),
    basePort: Number(values["base-port"]),
  });
  console.log(`${result.file}: ${result.services} services, ${result.secrets} secrets`);
}
