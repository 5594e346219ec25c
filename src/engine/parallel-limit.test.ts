import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { DEFAULT_PARALLEL_LIMIT, parallelLimit, teardownLimit } from "./parallel-limit.js";

describe("parallelLimit", () => {
  it("is 8 unless COMPOSE_PARALLEL_LIMIT says otherwise", () => {
    expect(parallelLimit({})).toBe(DEFAULT_PARALLEL_LIMIT);
    expect(DEFAULT_PARALLEL_LIMIT).toBe(8);
    expect(parallelLimit({ COMPOSE_PARALLEL_LIMIT: "" })).toBe(8);
    expect(parallelLimit({ COMPOSE_PARALLEL_LIMIT: "1" })).toBe(1);
    expect(parallelLimit({ COMPOSE_PARALLEL_LIMIT: " 200 " })).toBe(200);
  });

  it("refuses what is not a whole number above 0, naming the variable and the value", () => {
    for (const value of ["0", "-4", "2.5", "many", "8x"]) {
      expect(() => parallelLimit({ COMPOSE_PARALLEL_LIMIT: value })).toThrow(EngineError);
      expect(() => parallelLimit({ COMPOSE_PARALLEL_LIMIT: value })).toThrow(
        `COMPOSE_PARALLEL_LIMIT=${JSON.stringify(value)}: must be a whole number above 0`,
      );
    }
  });

  it("lets four times as many stops and removes through", () => {
    expect(teardownLimit(DEFAULT_PARALLEL_LIMIT)).toBe(32);
    expect(teardownLimit(1)).toBe(4);
  });
});
