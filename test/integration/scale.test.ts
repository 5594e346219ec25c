// composec at scale, end to end through the built CLI (issue 15, part 4), at sizes that fit CI's
// time: `up -d` and `down` of many services with secrets (every container holds exactly its own
// secrets, byte for byte; `down` leaves nothing), and `logs -f` of 50 chatty services with secrets
// (every line shown once, in order per container, every value masked). The timings and the full
// sizes (200 x 2, 50 x 20) are in `npm run bench:scale` (bench/scale-bench.mjs), not here.
// COMPOSEC_SCALE_SERVICES sets the first test's size (50 in CI; 100 under `npm run test:full`).
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FULL_SWEEPS } from "../sampling.js";
import { docker, images, PROJECT_LABEL, tempProject } from "./helpers.js";
import {
  cliOk,
  engineResources,
  materialGone,
  randomValue,
  sha256,
  spawnCli,
  trackProjects,
} from "./secrets-helpers.js";

const SERVICES = Number(process.env.COMPOSEC_SCALE_SERVICES ?? (FULL_SWEEPS ? 100 : 50));
const CHATTY = 50;
const LINES = 300;

/** compose.yaml of `n` services (svc-001...) with `k` file secrets each, and the files with their values. */
function project(
  n: number,
  k: number,
  command: (service: string) => string[],
  extra: string[] = [],
): { files: Record<string, string>; values: Map<string, string>; services: string[] } {
  const width = String(n).length;
  const lines = ["services:"];
  const secrets = ["secrets:"];
  const files: Record<string, string> = {};
  const values = new Map<string, string>();
  const services: string[] = [];
  for (let i = 1; i <= n; i++) {
    const service = `svc-${String(i).padStart(width, "0")}`;
    services.push(service);
    lines.push(
      `  ${service}:`,
      `    image: ${images.busybox}`,
      `    command: ${JSON.stringify(command(service))}`,
    );
    lines.push("    init: true", ...extra, "    secrets:");
    for (let j = 1; j <= k; j++) {
      const name = `${service}-s${j}`;
      const value = randomValue(name);
      values.set(name, value);
      files[`secrets/${name}.txt`] = value;
      lines.push(`      - ${name}`);
      secrets.push(`  ${name}:`, `    file: ./secrets/${name}.txt`);
    }
  }
  files["compose.yaml"] = `${[...lines, ...secrets].join("\n")}\n`;
  return { files, values, services };
}

describe("composec at scale", () => {
  const projectName = trackProjects();

  it(`up -d of ${SERVICES} services x 2 secrets gives each container exactly its own, and down leaves nothing`, async () => {
    const name = await projectName("scale-up");
    const { files, values, services } = project(SERVICES, 2, () => ["sleep", "3600"]);
    const dir = await tempProject(files);
    const hide = [...values.values()];
    await cliOk(["-p", name, "--progress", "quiet", "up", "-d"], { cwd: dir, hide, timeoutMs: 280_000 });

    const containers = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${PROJECT_LABEL}=${name}`] }),
    });
    expect(containers.map((c) => c.State).filter((state) => state !== "running")).toEqual([]);
    expect(containers.map((c) => c.Labels["com.docker.compose.service"]).sort()).toEqual(services);
    // What each container's own processes see at /run/secrets, read through its root.
    const wrong: string[] = [];
    for (const container of containers) {
      const service = container.Labels["com.docker.compose.service"] as string;
      const pid = (await docker.getContainer(container.Id).inspect()).State.Pid;
      const dir = `/proc/${pid}/root/run/secrets`;
      const names = (await readdir(dir)).sort();
      const expected = [`${service}-s1`, `${service}-s2`];
      if (JSON.stringify(names) !== JSON.stringify(expected))
        wrong.push(`${service} has ${names.join(", ")}`);
      for (const secret of expected) {
        const digest = sha256(await readFile(path.join(dir, secret)).catch(() => Buffer.alloc(0)));
        if (digest !== sha256(values.get(secret) as string)) wrong.push(`${service}: ${secret} differs`);
      }
    }
    expect(wrong).toEqual([]);

    await cliOk(["-p", name, "--progress", "quiet", "down", "-t", "0"], {
      cwd: dir,
      hide,
      timeoutMs: 280_000,
    });
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(materialGone(name)).toBe(true);
  }, 600_000);

  it(`logs -f of ${CHATTY} chatty services keeps every line, in order per container, values masked`, async () => {
    const name = await projectName("scale-logs");
    // Each says `ready`, waits for /go/now (made once logs -f shows every `ready`: it must be
    // following before any container exits), then prints numbered lines with its secret in each,
    // 100 a second in bursts.
    const { files, values } = project(
      CHATTY,
      1,
      (service) => [
        "sh",
        "-c",
        `s=$$(cat /run/secrets/${service}-s1); echo ready; until [ -e /go/now ]; do sleep 0.1; done; i=0; ` +
          `while [ $$i -lt ${LINES} ]; do j=0; while [ $$j -lt 10 ]; do echo "line $$i $$s"; ` +
          `i=$$((i+1)); j=$$((j+1)); done; sleep 0.1; done`,
      ],
      ["    volumes: [./go:/go:ro]"],
    );
    const dir = await tempProject(files);
    await mkdir(path.join(dir, "go"));
    const hide = [...values.values()];
    await cliOk(["-p", name, "--progress", "quiet", "up", "-d"], { cwd: dir, hide, timeoutMs: 280_000 });

    const logs = spawnCli(["-p", name, "logs", "-f"], dir);
    const out: Buffer[] = [];
    let ready = 0;
    const exited = new Promise<number | null>((resolve) => logs.on("close", resolve));
    logs.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      if (ready >= CHATTY) return;
      ready += (chunk.toString().match(/\| ready$/gm) ?? []).length;
      if (ready >= CHATTY) void writeFile(path.join(dir, "go", "now"), "");
    });
    let stderr = "";
    logs.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await exited;
    const text = Buffer.concat(out).toString("utf8");
    // A value in the output fails without being printed: only whether it is there.
    expect(hide.filter((value) => text.includes(value) || stderr.includes(value))).toEqual([]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });

    const next = new Map<string, number>();
    const problems: string[] = [];
    let lines = 0;
    for (const line of text.split("\n")) {
      const match = /^(\S+)\s+\| line (\d+) (.*)$/.exec(line);
      if (match === null) continue;
      lines++;
      const [, container, number, rest] = match as unknown as [string, string, string, string];
      const expected = next.get(container) ?? 0;
      if (Number(number) !== expected) problems.push(`${container}: line ${number} after ${expected - 1}`);
      if (rest !== "****") problems.push(`${container}: line ${number} not masked`);
      next.set(container, Number(number) + 1);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(next.size).toBe(CHATTY);
    expect([...next.values()].filter((count) => count !== LINES)).toEqual([]);
    expect(lines).toBe(CHATTY * LINES);
  }, 600_000);
});
