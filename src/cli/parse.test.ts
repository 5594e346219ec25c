import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseSeconds } from "./parse.js";

describe("parseSeconds", () => {
  it("reads whole seconds and leaves an absent flag undefined", () => {
    expect(parseSeconds("-t", "10")).toBe(10);
    expect(parseSeconds("-t", "0")).toBe(0);
    expect(parseSeconds("-t", undefined)).toBeUndefined();
  });

  it("refuses anything else as a usage error naming the flag", () => {
    expect(() => parseSeconds("-t", "5s")).toThrow(UsageError);
    expect(() => parseSeconds("-t", "-1")).toThrow(
      '-t "-1" is not a number of seconds; use a whole number such as 10',
    );
  });
});
