// The attribute registry: the README's table is what the registry generates (so the two cannot
// drift), and the registry lists exactly the service attributes the schema accepts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ATTRIBUTES,
  NOT_RUN,
  statusCounts,
  TABLE_END,
  TABLE_START,
  withAttributeTable,
} from "./attributes.js";
import { serviceSchema } from "./schema.js";

const root = join(import.meta.dirname, "../..");

describe("the attribute registry", () => {
  it("README.md's table is the one the registry generates (run `node scripts/attribute-table.mjs`)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme).toContain(TABLE_START);
    expect(readme).toContain(TABLE_END);
    expect(withAttributeTable(readme)).toBe(readme);
  });

  it("lists each attribute once", () => {
    const paths = ATTRIBUTES.map((attribute) => attribute.path);
    expect(paths.filter((path, index) => paths.indexOf(path) !== index)).toEqual([]);
  });

  it("lists exactly the service attributes the schema accepts", () => {
    // The schema's own keys (typed ones and those accepted untyped) against the registry's.
    const accepted = new Set((serviceSchema as unknown as { keys: string[] }).keys);
    for (const key of NOT_RUN.service.keys()) accepted.add(key);
    const listed = ATTRIBUTES.map((attribute) => /^services\.\*\.([a-z_0-9]+)$/.exec(attribute.path)?.[1])
      .filter((key): key is string => key !== undefined)
      .sort();
    expect([...accepted].sort()).toEqual(listed);
  });

  it("counts every attribute under one status", () => {
    const counts = statusCounts();
    expect(counts.run + counts.limited + counts["not-run"]).toBe(ATTRIBUTES.length);
    expect(counts.run).toBeGreaterThan(100);
  });

  it("warns about a not-run attribute with the registry's reason", () => {
    expect(NOT_RUN.deploy.get("placement")).toMatch(/^Swarm only/);
    expect(NOT_RUN.service.has("cpu_shares")).toBe(false);
  });
});
