import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import { EngineError } from "../errors.js";
import { apiVersionProblems, checkApiVersion, olderApi, usesVersionedFields } from "./api-version.js";

const project = makeProject("demo", [
  makeService("web", { healthcheck: { disable: false, test: ["CMD", "true"], startInterval: 1e9 } }),
  makeService("db"),
]);

describe("Engine API version check", () => {
  it("compares API versions numerically", () => {
    expect(olderApi("1.41", "1.44")).toBe(true);
    expect(olderApi("1.44", "1.44")).toBe(false);
    expect(olderApi("1.9", "1.10")).toBe(true);
    expect(olderApi("2.0", "1.44")).toBe(false);
  });

  it("refuses healthcheck.start_interval below API 1.44, naming the field and both versions", () => {
    expect(apiVersionProblems(project, ["web", "db"], "1.41")).toEqual([
      "services.web.healthcheck.start_interval needs Docker Engine API 1.44 or newer, but the engine speaks API 1.41; upgrade the engine, or remove the field",
    ]);
    expect(() => checkApiVersion(project, ["web"], "1.41")).toThrow(EngineError);
  });

  it("accepts it on a new enough engine, and ignores services not selected", () => {
    expect(apiVersionProblems(project, ["web"], "1.44")).toEqual([]);
    expect(apiVersionProblems(project, ["db"], "1.41")).toEqual([]);
    expect(usesVersionedFields(project, ["db"])).toBe(false);
    expect(usesVersionedFields(project, ["web"])).toBe(true);
  });

  it("refuses platform below API 1.41, where the engine ignores it", () => {
    const arm = makeProject("demo", [makeService("web", { platform: "linux/arm64" })]);
    expect(apiVersionProblems(arm, ["web"], "1.40")).toEqual([
      "services.web.platform needs Docker Engine API 1.41 or newer, but the engine speaks API 1.40; upgrade the engine, or remove the field",
    ]);
    expect(apiVersionProblems(arm, ["web"], "1.41")).toEqual([]);
  });
});
