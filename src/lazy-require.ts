// CommonJS dependencies that only some commands need (dockerode with its gRPC and SSH stacks,
// BuildKit's gRPC server, tar packers) are loaded on first use, not at start-up: `composec config`
// and `composec secret ls` must not pay tens of milliseconds for libraries they never call.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// Made on first use: working out this module's URL costs a little at every start otherwise.
let require: NodeJS.Require | undefined;

/**
 * A loader for the CommonJS module `name`, which requires it the first time it is called. With
 * `vendored`, a file beside the build (`dist/vendor/...`, see scripts/bundle.mjs) is used instead
 * when it exists: a slimmed bundle of the same package.
 */
export function lazyRequire<T>(name: string, vendored?: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    const local = vendored === undefined ? undefined : fileURLToPath(new URL(vendored, import.meta.url));
    require ??= createRequire(import.meta.url);
    loaded = require(local !== undefined && existsSync(local) ? local : name) as T;
    return loaded;
  };
}
