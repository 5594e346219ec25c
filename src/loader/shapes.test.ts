import { describe, expect, it } from "vitest";
import * as z from "./shapes.js";

const issuesOf = (schema: z.AnySchema & { safeParse(value: unknown): unknown }, value: unknown) => {
  const result = schema.safeParse(value) as { success: boolean; error?: { issues: z.Issue[] } };
  return result.success ? [] : result.error!.issues;
};

describe("shapes", () => {
  it("checks scalars, with the schema's message or a default one", () => {
    expect(issuesOf(z.string(), "a")).toEqual([]);
    expect(issuesOf(z.string(), 1)).toEqual([
      { code: "invalid_type", path: [], input: 1, message: "must be a string" },
    ]);
    expect(issuesOf(z.int({ error: "whole" }), 1.5)[0]!.message).toBe("whole");
    expect(issuesOf(z.number(), Number.NaN)).toHaveLength(1);
    expect(issuesOf(z.boolean(), "true")).toHaveLength(1);
    expect(issuesOf(z.null(), null)).toEqual([]);
    expect(issuesOf(z.unknown(), undefined)).toEqual([]);
    expect(issuesOf(z.enum(["a", "b"]), "c")).toEqual([
      { code: "invalid_value", path: [], input: "c", message: "must be one of a, b" },
    ]);
  });

  it("returns the value itself, not a copy", () => {
    const value = { a: ["x"] };
    const result = z.looseObject({ a: z.array(z.string()) }).safeParse(value);
    expect(result.success && result.data).toBe(value);
  });

  it("reports nested problems with their paths, and a missing required attribute", () => {
    const schema = z.looseObject({
      name: z.string(),
      ports: z.optional(z.array(z.int())),
      labels: z.optional(z.record(z.string(), z.string())),
    });
    expect(
      issuesOf(schema, { ports: [1, "x"], labels: { a: 1 } }).map((issue) => [issue.path, issue.input]),
    ).toEqual([
      [["name"], undefined],
      [["ports", 1], "x"],
      [["labels", "a"], 1],
    ]);
  });

  it("lets optional attributes be left out and nullable ones be null", () => {
    const schema = z.looseObject({ a: z.optional(z.string()), b: z.nullable(z.string()) });
    expect(issuesOf(schema, { b: null })).toEqual([]);
    expect(issuesOf(schema, { a: null, b: "x" })).toHaveLength(1);
  });

  it("reports a union that no form fits once, with what each form found", () => {
    const schema = z.union([z.string(), z.looseObject({ source: z.string() })], {
      error: "a name or a mapping",
    });
    expect(issuesOf(schema, "x")).toEqual([]);
    const [issue] = issuesOf(schema, { source: 1 });
    expect(issue!.code).toBe("invalid_union");
    expect(issue!.message).toBe("a name or a mapping");
    expect(issue!.errors!.map((branch) => branch.map((inner) => inner.path))).toEqual([[[]], [["source"]]]);
  });

  it("runs checks on values of the right type, and check() leaves the original schema alone", () => {
    const plain = z.string();
    const digits = plain.check(z.regex(/^\d+$/, { error: "digits only" }));
    expect(issuesOf(plain, "x")).toEqual([]);
    expect(issuesOf(digits, "x")).toEqual([
      { code: "invalid_format", path: [], input: "x", message: "digits only" },
    ]);
    expect(issuesOf(digits, 1)[0]!.code).toBe("invalid_type");
  });

  it("lets a mapping check add issues under its own path, even when an attribute has a problem", () => {
    const schema = z.looseObject({ a: z.optional(z.string()) }).check(
      z.superRefine((value: Record<string, unknown>, context) => {
        for (const key of Object.keys(value)) {
          if (key !== "a")
            context.addIssue({ code: "custom", path: [key], input: key, message: `unknown ${key}` });
        }
      }),
    );
    const outer = z.looseObject({ inner: schema });
    expect(issuesOf(outer, { inner: { a: 1, b: 2 } }).map((issue) => [issue.path, issue.message])).toEqual([
      [["inner", "a"], "must be a string"],
      [["inner", "b"], "unknown b"],
    ]);
  });
});
