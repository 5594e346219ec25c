// Finding secret values inside other text, compared as bytes, never printed.
import { describe, expect, it } from "vitest";
import { SecretValue } from "../secrets/secret-value.js";
import { maskedPreview } from "./mask.js";
import { takes } from "./secret-files.js";
import { envLines } from "./input.js";
import { ValueIndex } from "./value-index.js";

const index = (entries: Record<string, string>) =>
  new ValueIndex(
    new Map(Object.entries(entries).map(([key, value]) => [key, new SecretValue(Buffer.from(value))])),
  );

describe("ValueIndex", () => {
  it("finds a value inside text, without its trailing newline, longest value first", () => {
    const values = index({ db: "hunter2-long\n", short: "hunter" });
    expect(values.find("url=x:hunter2-long@h")).toEqual({ key: "db", offset: 6, length: 12 });
    expect(values.find("hunter2-lon")).toEqual({ key: "short", offset: 0, length: 6 });
    expect(values.find("HUNTER2-LONG")).toBeUndefined();
  });

  it("leaves values under six bytes out", () => {
    expect(index({ pin: "ab12" }).empty).toBe(true);
  });

  it("finds every occurrence in a file's bytes", () => {
    const hits = index({ a: "abcdef-1" }).findAll("x abcdef-1 y abcdef-1");
    expect(hits.map((hit) => hit.offset)).toEqual([2, 13]);
  });
});

describe("maskedPreview", () => {
  it("shows at most four characters, never more than a quarter, and the length", () => {
    expect(maskedPreview(`ghp_${"x".repeat(36)}`)).toBe('"ghp_****" (40 characters)');
    expect(maskedPreview("abcdefgh")).toBe('"ab****" (8 characters)');
    expect(maskedPreview("abc")).toBe('"****" (3 characters)');
  });
});

describe("takes (COPY/ADD sources)", () => {
  it("takes the context root, a directory, a file or a glob that holds the path", () => {
    expect(takes(".", "config/key.txt")).toBe(true);
    expect(takes("./config/", "config/key.txt")).toBe(true);
    expect(takes("config/key.txt", "config/key.txt")).toBe(true);
    expect(takes("conf*", "config/key.txt")).toBe(true);
    expect(takes("index.html", "config/key.txt")).toBe(false);
    expect(takes("configs", "config/key.txt")).toBe(false);
  });
});

describe("envLines", () => {
  it("reads assignments with their lines, unquoted and without comments", () => {
    expect(envLines("# c\nA=1 # x\nexport B='two words'\n\nC=\"3\"")).toEqual([
      { name: "A", value: "1", line: 2, column: 1 },
      { name: "B", value: "two words", line: 3, column: 1 },
      { name: "C", value: "3", line: 5, column: 1 },
    ]);
  });
});
