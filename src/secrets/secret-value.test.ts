import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { SecretValue } from "./secret-value.js";

describe("SecretValue", () => {
  const value = new SecretValue(Buffer.from("hunter2-very-secret"));

  it("never prints its bytes through any conversion", () => {
    const renderings = [
      String(value),
      `${value}`,
      JSON.stringify({ value }),
      inspect(value),
      inspect({ nested: { value } }, { depth: 5 }),
      value + "",
    ];
    for (const text of renderings) expect(text.includes("hunter2")).toBe(false);
  });

  it("gives the exact bytes on purpose", () => {
    expect(value.bytes().equals(Buffer.from("hunter2-very-secret"))).toBe(true);
    expect(value.length).toBe(19);
  });

  it("wipes its bytes", () => {
    const wiped = new SecretValue(Buffer.from([1, 2, 3]));
    wiped.wipe();
    expect([...wiped.bytes()]).toEqual([0, 0, 0]);
  });
});
