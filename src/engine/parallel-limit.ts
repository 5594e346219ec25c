// How many plan steps talk to the engine at once. A 2-core engine given 200 container starts at
// once answers them one after another, so the last answers came after 60 s and more: past
// COMPOSE_HTTP_TIMEOUT, and `up` of 200 services failed while the engine was merely busy. Fed a
// few at a time, the engine finishes the same work in the same time (measured on such an engine
// under load: 181 s for 200 containers with 8 in flight, 183 s with all 200, slowest answer 13 s
// against 181 s), and each call is answered well inside its deadline; with 32 in flight some
// answers still took over 60 s. An engine does not get faster past a few calls per core.
// COMPOSE_PARALLEL_LIMIT, docker-compose's name for it, sets the number.
import { EngineError } from "../errors.js";

/** Plan steps in flight at once when COMPOSE_PARALLEL_LIMIT is not set. */
export const DEFAULT_PARALLEL_LIMIT = 8;

/** The variable that sets it, as docker-compose names it. */
export const PARALLEL_LIMIT_VARIABLE = "COMPOSE_PARALLEL_LIMIT";

/**
 * Stops and removes of containers in flight at once, given the limit: four times it. The engine
 * does these side by side, unlike creates and starts: a forced remove of 20 containers took 2.7 s
 * sent all at once and 5 s sent 8 at a time (bench/results/up.md, 2026-12-04), and a stop mostly
 * waits out the container's grace, which 8 at a time would pay once per 8 containers.
 */
export function teardownLimit(limit: number): number {
  return limit * 4;
}

/** COMPOSE_PARALLEL_LIMIT from `env`: a whole number above zero, else 8. */
export function parallelLimit(env: Record<string, string | undefined>): number {
  const raw = env[PARALLEL_LIMIT_VARIABLE]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_PARALLEL_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new EngineError(
      `${PARALLEL_LIMIT_VARIABLE}=${JSON.stringify(env[PARALLEL_LIMIT_VARIABLE])}: must be a whole number above 0 (the default is ${DEFAULT_PARALLEL_LIMIT})`,
    );
  }
  return limit;
}
