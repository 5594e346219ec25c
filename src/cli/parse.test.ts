import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseEnvFlags, parseIndex, parseScale, parseSeconds, parseTail, parseTimeFlag } from "./parse.js";

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

describe("parseTimeFlag", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  it("reads durations before now, unix timestamps and dates, as unix seconds", () => {
    expect(parseTimeFlag("--since", "10m", now)).toBe(now / 1000 - 600);
    expect(parseTimeFlag("--since", "1h30m", now)).toBe(now / 1000 - 5400);
    expect(parseTimeFlag("--since", "1700000000", now)).toBe(1700000000);
    expect(parseTimeFlag("--since", "2024-01-02T15:04:05Z", now)).toBe(
      Date.parse("2024-01-02T15:04:05Z") / 1000,
    );
  });

  it("refuses anything else as a usage error", () => {
    expect(() => parseTimeFlag("--since", "yesterday", now)).toThrow(UsageError);
  });
});

describe("parseTail, parseIndex, parseScale, parseEnvFlags", () => {
  it("parseTail takes a count or all", () => {
    expect(parseTail("5")).toBe(5);
    expect(parseTail("all")).toBe("all");
    expect(() => parseTail("-1")).toThrow(UsageError);
  });

  it("parseIndex takes 1 or more", () => {
    expect(parseIndex("2")).toBe(2);
    expect(() => parseIndex("0")).toThrow('--index "0" is not a container number');
  });

  it("parseScale reads service=count pairs", () => {
    expect(parseScale(["web=3", "db=0"])).toEqual({ web: 3, db: 0 });
    expect(() => parseScale(["web"])).toThrow('--scale "web" is not service=count');
  });

  it("parseEnvFlags keeps KEY=VALUE, fills a bare KEY from the environment, drops an unset one", () => {
    expect(parseEnvFlags(["A=1", "B", "C", "D=x=y"], { B: "two" })).toEqual(["A=1", "B=two", "D=x=y"]);
    expect(() => parseEnvFlags(["=1"], {})).toThrow(UsageError);
  });
});
