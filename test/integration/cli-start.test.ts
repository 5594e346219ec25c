// The built executable runs its bundle with the V8 code cache the build made for it (see
// src/cli/launch.ts). A cache that V8 rejects changes no behaviour, only the start-up time, so
// nothing else would notice: this checks the build's cache fits the bundle and this Node.js.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LAUNCH_V8_FLAGS } from "../../src/cli/launch-flags.js";
import { cli, repoRoot } from "./helpers.js";

const dir = path.join(repoRoot, "dist/cli");

describe("the built executable", () => {
  it("has a code cache for exactly its bundle, which V8 accepts", () => {
    const hash = createHash("sha256")
      .update(readFileSync(path.join(dir, "composec.cjs")))
      .digest("hex")
      .slice(0, 16);
    const cacheFile = path.join(dir, `composec-${hash}.cache`);
    expect(readFileSync(cacheFile).length).toBeGreaterThan(10_000);
    expect(readFileSync(path.join(dir, "bin.js"), "utf8")).toContain(hash);
    // The same compilation as the launcher's, under its flags; V8 says whether it took the cache.
    const probe = spawnSync(
      process.execPath,
      [
        "-e",
        `const { readFileSync } = require("node:fs"); const { Script } = require("node:vm");
         require("node:v8").setFlagsFromString(process.argv[3]);
         const source = readFileSync(process.argv[1], "utf8");
         const script = new Script("(function (exports, require, module, __filename, __dirname) {" + source + "\\n})",
           { filename: process.argv[1], cachedData: readFileSync(process.argv[2]) });
         process.stdout.write(String(script.cachedDataRejected));`,
        path.join(dir, "composec.cjs"),
        cacheFile,
        LAUNCH_V8_FLAGS,
      ],
      { encoding: "utf8" },
    );
    expect(probe.stdout).toBe("false");
  });

  it("runs as `node dist/cli/bin.js` from any directory", async () => {
    const result = await cli(["--version"], { cwd: "/" });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
