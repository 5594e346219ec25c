// Secret sources resolved as `up` will resolve them, before anything is created (SECRETS-SPEC.md §3):
// a file must be a regular file (or a symlink to one) no larger than MAX_SECRET_BYTES; a FIFO must
// not hang the loader; nothing is ever created in place of a missing file.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { loadFail, loadOk, type Entry } from "./test-helpers.js";

const compose =
  "services:\n  web:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s:\n    file: ./source\n";

const withSource = (source: Entry | undefined, extra: Record<string, Entry> = {}) => ({
  "compose.yaml": compose,
  ...(source === undefined ? {} : { source }),
  ...extra,
});

describe("file sources", () => {
  it("a regular file is fine, empty included", async () => {
    await loadOk(withSource("value\n"));
    await loadOk(withSource(""));
  });

  it("a missing file is an error naming the path, and nothing is created in its place", async () => {
    const { errors, dir } = await loadFail(withSource(undefined));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
    expect(errors[0]).toContain("source");
    expect(existsSync(join(dir, "source"))).toBe(false);
    expect(readdirSync(dir)).toEqual(["compose.yaml"]);
  });

  it("a directory is an error", async () => {
    const { errors } = await loadFail(withSource({ directory: true }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
    expect(errors[0]).toContain("directory");
  });

  it("a FIFO is an error, and loading does not block on it", { timeout: 5_000 }, async () => {
    const { errors } = await loadFail(withSource({ fifo: true }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
    expect(errors[0]).toMatch(/FIFO|pipe/i);
  });

  it("a device is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": compose.replace("./source", "/dev/null"),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("/dev/null");
    expect(errors[0]).toContain("device");
  });

  it("a dangling symlink is an error that says so", async () => {
    const { errors } = await loadFail(withSource({ symlink: "./nowhere" }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
    expect(errors[0]).toContain("link");
  });

  it("a symlink to a file is followed", async () => {
    const { project, dir } = await loadOk(withSource({ symlink: "./real.txt" }, { "real.txt": "value" }));
    expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(dir, "source") });
  });

  it("a symlink to a directory is an error", async () => {
    const { errors } = await loadFail(withSource({ symlink: "./dir" }, { "dir/x": "x" }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("directory");
  });

  it(`up to ${MAX_SECRET_BYTES} bytes (1 MiB) is fine; one byte more is an error stating the limit`, async () => {
    expect(MAX_SECRET_BYTES).toBe(1024 * 1024);
    await loadOk(withSource({ size: MAX_SECRET_BYTES }));
    const { errors } = await loadFail(withSource({ size: MAX_SECRET_BYTES + 1 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
    expect(errors[0]).toContain(String(MAX_SECRET_BYTES + 1));
    expect(errors[0]).toContain(String(MAX_SECRET_BYTES));
  });

  it("a build secret's file is checked as well", async () => {
    const { errors } = await loadFail({
      "compose.yaml":
        "services:\n  app:\n    build:\n      context: .\n      secrets: [s]\nsecrets:\n  s:\n    file: ./missing\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:8:\d+ secrets\.s\.file: /);
  });

  it("every bad source of a project is reported in one run", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            secrets: [a, b, c, d]
        secrets:
          a:
            file: ./missing
          b:
            file: ./dir
          c:
            file: ./dangling
          d:
            environment: UNSET_VARIABLE
      `,
      "dir/.keep": "",
      dangling: { symlink: "./nowhere" },
    });
    expect(errors).toHaveLength(4);
    for (const key of ["a", "b", "c"]) expect(errors.join("\n")).toContain(`secrets.${key}.file`);
    expect(errors.join("\n")).toContain("secrets.d.environment");
  });
});

describe("environment sources", () => {
  it(`a value over ${MAX_SECRET_BYTES} bytes is an error stating the limit, never the value`, async () => {
    const value = "v".repeat(MAX_SECRET_BYTES + 1);
    const { errors } = await loadFail(
      { "compose.yaml": compose.replace("file: ./source", "environment: BIG") },
      { env: { BIG: value } },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.environment: /);
    expect(errors[0]).toContain(String(MAX_SECRET_BYTES));
    expect(errors[0]).not.toContain("vvvv");
  });

  it("exactly the limit is fine", async () => {
    await loadOk(
      { "compose.yaml": compose.replace("file: ./source", "environment: BIG") },
      { env: { BIG: "v".repeat(MAX_SECRET_BYTES) } },
    );
  });
});

describe("values are never kept", () => {
  it("neither the project nor any problem or warning holds a secret's value", async () => {
    // Compared as booleans so that a failure never prints the value.
    const fileValue = `file-${randomBytes(12).toString("hex")}`;
    const envValue = `env-${randomBytes(12).toString("hex")}`;
    const files = {
      "compose.yaml": `
        services:
          web:
            image: busybox
            secrets:
              - f
              - source: e
                mode: 0644
        secrets:
          f:
            file: ./f.txt
          e:
            environment: TOKEN
      `,
      "f.txt": fileValue,
    };
    const ok = await loadOk(files, { env: { TOKEN: envValue } });
    const text = JSON.stringify({ project: ok.project, warnings: ok.warnings });
    expect(text.includes(fileValue)).toBe(false);
    expect(text.includes(envValue)).toBe(false);
    const failed = await loadFail(
      {
        ...files,
        "compose.override.yaml": "services:\n  web:\n    secrets:\n      - source: f\n        mode: 9999\n",
      },
      { env: { TOKEN: envValue } },
    );
    const errors = JSON.stringify({
      errors: failed.errors,
      warnings: failed.warnings,
      problems: failed.problems,
    });
    expect(errors.includes(fileValue)).toBe(false);
    expect(errors.includes(envValue)).toBe(false);
  });
});
