// The dispatcher reads each definition through the source of its kind, reports every failure of
// one run together, each at its definition's field.
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProjectError } from "../errors.js";
import type { ConfigDefinition, ConfigSource } from "../model/project.js";
import { makeProject } from "../model/project-builder.js";
import { resolveConfigs } from "./resolve.js";
import { SecretValue } from "./secret-value.js";

const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const config = (key: string, source: ConfigSource): ConfigDefinition => ({
  key,
  name: key,
  source,
  labels: {},
  extensions: {},
});
const projectWith = (...definitions: ConfigDefinition[]) =>
  makeProject("resolve", [], { configs: Object.fromEntries(definitions.map((d) => [d.key, d])) });

describe("resolveConfigs", () => {
  it("reads a file, inline content, a variable (its raw bytes), and the store, each by its kind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "composec-resolve-"));
    writeFileSync(join(dir, "f"), Buffer.from([1, 2, 3]));
    const raw = Buffer.from([0x61, 0xff, 0x62]);
    let environReads = 0;
    const values = await resolveConfigs(
      projectWith(
        config("file", { kind: "file", path: join(dir, "f") }),
        config("content", { kind: "content", content: "inline" }),
        config("env", { kind: "environment", variable: "RAW" }),
        config("env2", { kind: "environment", variable: "RAW" }),
        config("store", { kind: "external", name: "kept" }),
      ),
      ["file", "content", "env", "env2", "store"],
      {
        variables: { RAW: raw.toString("utf8") },
        shell: { RAW: raw.toString("utf8") },
        environBytes: async () => (
          environReads++,
          Buffer.concat([Buffer.from("RAW="), raw, Buffer.from([0])])
        ),
        external: {
          read: async (name) => (name === "kept" ? new SecretValue(Buffer.from("stored")) : undefined),
          describe: async () => "not there",
        },
      },
    );
    expect(digest(values.get("file")!.bytes())).toBe(digest(Buffer.from([1, 2, 3])));
    expect(digest(values.get("content")!.bytes())).toBe(digest(Buffer.from("inline")));
    expect(digest(values.get("env")!.bytes())).toBe(digest(raw));
    expect(digest(values.get("env2")!.bytes())).toBe(digest(raw));
    expect(digest(values.get("store")!.bytes())).toBe(digest(Buffer.from("stored")));
    expect(environReads).toBe(1);
  });

  it("reports every failing source at its field, with the kind named", async () => {
    const error = await resolveConfigs(
      projectWith(
        config("ok", { kind: "content", content: "fine" }),
        config("missing", { kind: "file", path: "/nonexistent/composec-resolve" }),
        config("unset", { kind: "environment", variable: "UNSET_FOR_RESOLVE_TEST" }),
        config("external", { kind: "external", name: "x" }),
      ),
      ["ok", "missing", "unset", "external", "undefined"],
      { variables: {} },
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).problems).toEqual([
      { path: "configs.missing.file", message: '"/nonexistent/composec-resolve" cannot be opened (ENOENT)' },
      { path: "configs.unset.environment", message: "variable UNSET_FOR_RESOLVE_TEST is not set" },
      {
        path: "configs.external.external",
        message:
          '"x" is an external config, and the local secret store is not open; create it with `composec secret create x FILE`',
      },
      { path: "configs.undefined", message: 'config "undefined" is not defined' },
    ]);
  });
});
