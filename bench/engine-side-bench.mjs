// Engine-side secret delivery against the local path and the raw API floor, in one run: `up -d`
// and `down` of 20 services with 2 file secrets each (the local path, the engine-side path forced
// on the same local engine, and the floor), then the rotation latency on both paths. The
// machinery is bench/secrets-bench.mjs's; this only picks its contestants and where it writes.
// Targets (issue 12): engine-side up within 1.5x of the local path; rotation visible within 500 ms.
//
//   npm run bench:engine-side        7 rounds; writes bench/results/engine-side.md
//   node bench/engine-side-bench.mjs --rounds 3
import { spawnSync } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const result = spawnSync(
  process.execPath,
  [
    path.join(here, "secrets-bench.mjs"),
    "--tools",
    "floor,composec,composec-engine",
    "--rotation-paths",
    "local,engine",
    "--title",
    "Engine-side secrets delivery",
    "--out",
    path.join(here, "results/engine-side.md"),
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
