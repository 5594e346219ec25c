// The pure core: a loaded project and a hand-made CheckInput in, findings out. Git's view, file
// modes and secret values come from the input here, not the disk, which is the point of the split.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadProject } from "../loader/index.js";
import { SecretValue } from "../secrets/secret-value.js";
import { checkProject } from "./check-project.js";
import type { CheckInput } from "./input.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function load(compose: string) {
  const dir = mkdtempSync(join(tmpdir(), "composec-check-unit-"));
  dirs.push(dir);
  writeFileSync(join(dir, "compose.yaml"), compose);
  writeFileSync(join(dir, "db.txt"), "on-disk-value-not-used");
  const loaded = await loadProject({ cwd: dir, env: {} });
  return { dir, ...loaded };
}

function input(loaded: Awaited<ReturnType<typeof load>>, extra: Partial<CheckInput>): CheckInput {
  return {
    sources: loaded.sources,
    variables: loaded.variables,
    shell: {},
    secretValues: new Map(),
    texts: new Map(),
    variableFiles: [],
    git: new Map(),
    modes: new Map(),
    exists: new Set(),
    ...extra,
  };
}

const compose = `services:
  app:
    image: busybox
    environment:
      COPY: in-memory-value-1
      DB_PASSWORD_FILE: /run/secrets/db
    secrets: [db]
secrets:
  db:
    file: ./db.txt
`;

describe("checkProject", () => {
  it("finds a secret's value as the input gives it, and places it on its line", async () => {
    const loaded = await load(compose);
    const findings = checkProject(
      loaded.project,
      input(loaded, { secretValues: new Map([["db", new SecretValue(Buffer.from("in-memory-value-1\n"))]]) }),
    );
    expect(findings.map((f) => [f.rule, f.location.line, f.where])).toEqual([
      ["CS001", 5, "services.app.environment.COPY"],
    ]);
    expect(JSON.stringify(findings)).not.toContain("in-memory-value-1");
  });

  it("takes git's view and the file modes from the input", async () => {
    const loaded = await load(compose);
    const file = join(loaded.dir, "db.txt");
    const findings = checkProject(
      loaded.project,
      input(loaded, { git: new Map([[file, "tracked"]]), modes: new Map([[file, 0o640]]) }),
    );
    expect(findings.map((f) => [f.rule, f.severity, f.location.line])).toEqual([
      ["CS008", "error", 10],
      ["CS009", "warning", 10],
    ]);
    const ignored = checkProject(
      loaded.project,
      input(loaded, { git: new Map([[file, "ignored"]]), modes: new Map([[file, 0o600]]) }),
    );
    expect(ignored).toEqual([]);
  });
});
