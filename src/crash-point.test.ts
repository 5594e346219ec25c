// The crash hook: inert unless COMPOSEC_TEST_CRASH_AT names a point, then SIGKILL at its n-th hit;
// and CRASH_POINTS lists exactly the points the code calls, so the crash suite misses none.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";

const load = async (value: string | undefined) => {
  vi.resetModules();
  if (value === undefined) vi.stubEnv("COMPOSEC_TEST_CRASH_AT", undefined as unknown as string);
  else vi.stubEnv("COMPOSEC_TEST_CRASH_AT", value);
  const kill = vi.spyOn(process, "kill").mockImplementation(() => true);
  const module = await import("./crash-point.js");
  return { ...module, kill };
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("crashPoint", () => {
  it("does nothing when the variable is unset or names another point", async () => {
    for (const value of [undefined, "", "store.sealed"]) {
      const { crashPoint, kill } = await load(value);
      crashPoint("up.delivered");
      crashPoint("up.delivered");
      expect(kill).not.toHaveBeenCalled();
    }
  });

  it("kills this process with SIGKILL at the named point", async () => {
    const { crashPoint, kill } = await load("up.delivered");
    crashPoint("store.sealed");
    expect(kill).not.toHaveBeenCalled();
    crashPoint("up.delivered");
    expect(kill).toHaveBeenCalledWith(process.pid, "SIGKILL");
  });

  it("name@n waits for the n-th time the point is reached", async () => {
    const { crashPoint, kill } = await load("store.sealed@3");
    crashPoint("store.sealed");
    crashPoint("store.sealed");
    expect(kill).not.toHaveBeenCalled();
    crashPoint("store.sealed");
    expect(kill).toHaveBeenCalledTimes(1);
  });
});

describe("CRASH_POINTS", () => {
  it("lists every point the code calls, and only those", async () => {
    const { CRASH_POINTS } = await load(undefined);
    const src = path.dirname(fileURLToPath(import.meta.url));
    const called = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (
          entry.name.endsWith(".ts") &&
          !entry.name.endsWith(".test.ts") &&
          entry.name !== "crash-point.ts"
        ) {
          for (const match of readFileSync(file, "utf8").matchAll(/crashPoint\("([^"]+)"\)/g))
            called.add(match[1]!);
        }
      }
    };
    walk(src);
    expect([...called].sort()).toEqual(Object.keys(CRASH_POINTS).sort());
  });
});
