// Intent: what the rest of the CLI says about `check`'s subject, through the built CLI: `config`
// warns of an `external` secret the local store lacks (as `up` would fail on it), and `up` prints a
// one-line hint to run `check` when `check` would find an error, and nothing otherwise. The secret
// values here are random and never printed.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

let name: string;
let home: string;
beforeEach(async () => {
  name = uniqueProjectName("chk");
  home = await mkdtemp(path.join(tmpdir(), "composec-check-home-"));
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
  await rm(home, { recursive: true, force: true });
});

describe("composec config and external secrets", () => {
  it("warns of an external secret missing from the local store, with its place, and not once it is there", async () => {
    const dir = await tempProject({
      "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    secrets: [api]\nsecrets:\n  api:\n    external: true\n`,
    });
    const env = { COMPOSEC_HOME: path.join(home, "store"), COMPOSEC_KEY_FILE: path.join(home, "key") };
    const missing = await cli(["config", "-q"], { cwd: dir, env });
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stderr).toBe(
      `warning: ${path.join(dir, "compose.yaml")}:7:15 secrets.api: external secret "api" is not in the local secret store at ${env.COMPOSEC_HOME} (COMPOSEC_HOME); \`up\` will fail until you create it with \`composec secret create api FILE\`\n`,
    );
    const value = path.join(home, "value");
    await writeFile(value, randomBytes(16).toString("hex"));
    expect((await cli(["secret", "create", "api", value], { env })).code).toBe(0);
    const present = await cli(["config", "-q"], { cwd: dir, env });
    expect(present.code).toBe(0);
    expect(present.stderr).toBe("");
  });
});

describe("composec up and the check hint", () => {
  const compose = (environment: string) =>
    `services:\n  app:\n    image: ${images.busybox}\n    command: ["sleep", "600"]\n    init: true\n    environment:\n${environment}    secrets: [db]\nsecrets:\n  db:\n    file: ./db.txt\n`;

  it("prints one line pointing at `check` when it would find an error, never the value", async () => {
    const value = randomBytes(12).toString("hex");
    const dir = await tempProject({
      "compose.yaml": compose(`      DB_PASSWORD: ${value}\n      DB_PASSWORD_FILE: /run/secrets/db\n`),
      "db.txt": { content: value, mode: 0o600 },
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const hints = result.stderr.split("\n").filter((line) => line.startsWith("hint:"));
    expect(hints).toEqual([
      "hint: `composec check` finds 1 error in this project (secrets that may leak out of its files); run it to see where",
    ]);
    expect(result.stderr + result.stdout).not.toContain(value.slice(0, 6));
  });

  it("prints no hint for a project `check` finds no error in", async () => {
    const dir = await tempProject({
      "compose.yaml": compose(`      DB_PASSWORD_FILE: /run/secrets/db\n`),
      "db.txt": { content: randomBytes(12).toString("hex"), mode: 0o600 },
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("hint:");
    expect(result.stderr).not.toContain("composec check");
  });
});
