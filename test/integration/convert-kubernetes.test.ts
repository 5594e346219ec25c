// Intent: `composec convert --kubernetes -o DIR` through the built CLI: one YAML file per object,
// each one the vendored Kubernetes schema accepts once parsed back; no secret value in any file
// unless --include-values, and then the Secret files are readable by their owner only.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Ajv } from "ajv";
import { load as parse } from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, repoRoot, tempProject } from "./helpers.js";
import { randomValue } from "./secrets-helpers.js";

afterEach(cleanupTempProjects);

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(
  JSON.parse(
    await readFile(path.join(repoRoot, "src/kubernetes/schema/kubernetes-subset.json"), "utf8"),
  ) as object,
  "k8s",
);

describe("composec convert --kubernetes", () => {
  it("writes schema-valid manifests; values only with --include-values", async () => {
    const value = randomValue("db-password");
    const example = await readFile(path.join(repoRoot, "examples/wordpress/compose.yaml"), "utf8");
    const dir = await tempProject({
      "compose.yaml": example,
      "db_password.txt": value,
      "db_root_password.txt": randomValue("root"),
    });
    const plain = await cli(["-p", "wp", "convert", "--kubernetes", "-o", "out"], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    const files = (await readdir(path.join(dir, "out"))).sort();
    expect(files).toEqual([
      "deployment-db.yaml",
      "deployment-wordpress.yaml",
      "secret-wp-db-password.yaml",
      "secret-wp-db-root-password.yaml",
      "service-wordpress.yaml",
    ]);
    for (const file of files) {
      const text = await readFile(path.join(dir, "out", file), "utf8");
      expect(text.includes(value) || text.includes(Buffer.from(value).toString("base64"))).toBe(false);
      const manifest = parse(text) as { kind: string };
      const check = ajv.getSchema(`k8s#/definitions/${manifest.kind}`)!;
      expect(check(manifest) ? [] : check.errors, file).toEqual([]);
    }

    const filled = await cli(["-p", "wp", "convert", "--kubernetes", "-o", "out", "--include-values"], {
      cwd: dir,
    });
    expect(filled.code, filled.stderr).toBe(0);
    expect(`${filled.stdout}${filled.stderr}`.includes(value)).toBe(false);
    expect(filled.stderr).toContain("hold the secret values (base64, not encrypted)");
    const secretFile = path.join(dir, "out", "secret-wp-db-password.yaml");
    const secret = parse(await readFile(secretFile, "utf8")) as { data: { value: string } };
    expect(Buffer.from(secret.data.value, "base64").toString()).toBe(value);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);

    const usage = await cli(["convert"], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("convert needs a target: --kubernetes");
  });
});
