// The `composec` executable, dist/cli/bin.js: it runs the CLI bundle (dist/cli/composec.cjs) with the
// V8 code cache the build made for that very bundle (scripts/bundle.mjs). A short command such as
// `config` spends much of its life compiling JavaScript on a cold start: with the cache, V8 takes
// the bytecode of everything a typical run needs instead of parsing and compiling it again.
//
// The cache's file name carries the bundle's hash, written into this file by the build, so a cache
// can never be applied to another bundle. V8 checks the rest itself (its version, its flags) and
// rejects a cache that does not fit; the bundle is then compiled as usual, only slower.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { constants, Script } from "node:vm";
import { LAUNCH_V8_FLAGS } from "./launch-flags.js";

declare const __dirname: string;
/** The first hex digits of the bundle's SHA-256, put here by the build. */
declare const COMPOSEC_BUNDLE_HASH: string;

// Set before anything is compiled: the code cache is only taken under the flags it was made with.
setFlagsFromString(LAUNCH_V8_FLAGS);

const bundle = join(__dirname, "composec.cjs");
const cacheFile = join(__dirname, `composec-${COMPOSEC_BUNDLE_HASH}.cache`);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache (a build that made none): compile as usual.
}

// The bundle runs as the CommonJS module it is, in the usual module wrapper.
const script = new Script(
  `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`,
  // `import()` in the bundle (of a package left outside it) loads as it would in a plain module.
  { filename: bundle, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER },
);
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(
  module.exports,
  createRequire(bundle),
  module,
  bundle,
  __dirname,
);

// The build runs a typical command with this set, then keeps the bytecode V8 compiled on the way.
if (process.env["COMPOSEC_WRITE_CODE_CACHE"] === "1") {
  process.on("exit", () => writeFileSync(cacheFile, script.createCachedData()));
}
