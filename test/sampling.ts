// Long sweeps in the engine tests (kill points, fractions of a command's duration, engine restarts)
// run in full through `npm run test:full` (COMPOSEC_TEST_FULL=1) and as a seeded sample in CI, so
// that CI stays within its time and still, over many runs, tries every point. The seed is printed
// once per file; COMPOSEC_TEST_SEED=S replays a sample.
import { createHash, randomInt } from "node:crypto";

/** Whether this run sweeps everything (`npm run test:full`) rather than a sample. */
export const FULL_SWEEPS = process.env["COMPOSEC_TEST_FULL"] === "1";

/** The seed of this run's samples: COMPOSEC_TEST_SEED, or a fresh one. */
export const SAMPLE_SEED = process.env["COMPOSEC_TEST_SEED"]
  ? Number(process.env["COMPOSEC_TEST_SEED"])
  : randomInt(2 ** 31);

/** A small seeded generator (mulberry32): the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for one sweep, from the run's seed and the sweep's name (sweeps do not share draws). */
export function subSeed(seed: number, name: string): number {
  return createHash("sha256").update(`${seed}:${name}`).digest().readUInt32BE(0);
}

/**
 * The items a sweep named `name` tries in this run: all of them under `npm run test:full`, else
 * `count` drawn by the run's seed (kept in their original order), with a line saying how to
 * replay or widen it.
 */
export function sampled<T>(name: string, items: readonly T[], count: number): T[] {
  if (FULL_SWEEPS || count >= items.length) return [...items];
  const random = prng(subSeed(SAMPLE_SEED, name));
  const indexes = items.map((_, i) => i);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  const chosen = indexes.slice(0, count).sort((a, b) => a - b);
  console.log(
    `${name}: ${count} of ${items.length} points (seed ${SAMPLE_SEED}; COMPOSEC_TEST_SEED=${SAMPLE_SEED} replays, npm run test:full tries all)`,
  );
  return chosen.map((i) => items[i]!);
}
