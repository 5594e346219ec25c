// CommonJS dependencies that only some commands need (dockerode with its gRPC and SSH stacks,
// BuildKit's gRPC server, tar packers) are loaded on first use, not at start-up: `composec config`
// and `composec secret ls` must not pay tens of milliseconds for libraries they never call.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A loader for the CommonJS module `name`, which requires it the first time it is called. */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
