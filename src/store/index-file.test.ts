// index.json: a damaged file is a clear error naming it, never a crash or a silently empty store.
import { describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import { parseIndex, serializeIndex, type SecretRecord, type StoreIndex } from "./index-file.js";

const record = (versions: number[], name = "a"): SecretRecord => ({
  name,
  id: "0011223344556677",
  created: "2026-01-01T00:00:00.000Z",
  labels: { env: "dev" },
  versions: versions.map((version) => ({ version, created: "2026-01-01T00:00:00.000Z", size: 3 })),
});

describe("index.json", () => {
  it("round-trips, one secret per line, including a name such as __proto__", () => {
    const index: StoreIndex = new Map([
      ["b", record([1], "b")],
      ["__proto__", record([3, 4], "__proto__")],
      ["a.b-c_d", record([1, 2], "a.b-c_d")],
    ]);
    const text = serializeIndex(index);
    expect(text.split("\n")).toHaveLength(6);
    const parsed = parseIndex("/s/index.json", text);
    expect([...parsed.keys()]).toEqual(["__proto__", "a.b-c_d", "b"]);
    expect(parsed.get("__proto__")).toEqual(record([3, 4], "__proto__"));
    expect(serializeIndex(new Map())).toBe('{"format":1,"secrets":[]}\n');
  });

  const cases: [string, string, RegExp][] = [
    ["truncated", serializeIndex(new Map([["a", record([1])]])).slice(0, 40), /not valid JSON/],
    ["garbage", "\u0000\u0001garbage", /not valid JSON/],
    ["not an object", "[]", /not an object/],
    ["unknown format", '{"format":2,"secrets":{}}', /unknown format 2/],
    ["no secrets", '{"format":1}', /"secrets" is not a list/],
    ["a secret without a name", '{"format":1,"secrets":[{"id":"0011223344556677"}]}', /a secret has no name/],
    [
      "record without id",
      '{"format":1,"secrets":[{"name":"a","created":"x","labels":{},"versions":[]}]}',
      /secret "a": no valid id/,
    ],
    [
      "no versions",
      '{"format":1,"secrets":[{"name":"a","id":"0011223344556677","created":"x","labels":{},"versions":[]}]}',
      /secret "a": no versions/,
    ],
    [
      "versions out of order",
      JSON.stringify({ format: 1, secrets: [record([2, 1])] }),
      /versions are not increasing/,
    ],
    [
      "a name twice",
      JSON.stringify({
        format: 1,
        secrets: [record([1]), record([1])],
      }),
      /secret "a" is listed twice/,
    ],
    [
      "negative size",
      JSON.stringify({
        format: 1,
        secrets: [{ ...record([1]), versions: [{ version: 1, created: "x", size: -1 }] }],
      }),
      /version 1 has no valid size/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`reports a corrupted index (${what}) naming the file`, () => {
      let error: unknown;
      try {
        parseIndex("/store/index.json", text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/^the secret store index \/store\/index\.json is corrupted: /);
      expect((error as Error).message).toMatch(message);
    });
  }
});
