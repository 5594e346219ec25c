import { describe, expect, it } from "vitest";
import { formatPlatform, parsePlatform, platformMatches } from "./platform.js";

describe("platform", () => {
  it("normalises the aliases the engine accepts", () => {
    expect(formatPlatform(parsePlatform("Linux/x86_64"))).toBe("linux/amd64");
    expect(formatPlatform(parsePlatform("linux/aarch64"))).toBe("linux/arm64");
    expect(formatPlatform(parsePlatform("linux/arm64/v8"))).toBe("linux/arm64");
    expect(formatPlatform(parsePlatform("linux/armhf"))).toBe("linux/arm/v7");
    expect(formatPlatform(parsePlatform("linux"))).toBe("linux");
  });

  it("matches what the platform names and ignores what it leaves out", () => {
    const image = { os: "linux", architecture: "amd64" };
    expect(platformMatches(parsePlatform("linux/amd64"), image)).toBe(true);
    expect(platformMatches(parsePlatform("linux"), image)).toBe(true);
    expect(platformMatches(parsePlatform("linux/arm64"), image)).toBe(false);
    expect(platformMatches(parsePlatform("windows/amd64"), image)).toBe(false);
    const arm = { os: "linux", architecture: "arm", variant: "v6" };
    expect(platformMatches(parsePlatform("linux/arm/v7"), arm)).toBe(false);
    expect(platformMatches(parsePlatform("linux/arm"), arm)).toBe(true);
  });
});
