// Leftover env-shim probes (src/compose/env-shim.ts): containers that were never started, made only to
// look into an image, and left behind when composec was killed before removing them. `down` and
// `up` remove them, by their label, like anything else of the project. Pure.
import type { ObservedState } from "./state.js";
import type { Operation } from "./types.js";

export const PROBE_CAUSE = "leftover env-shim probe";

/** One forced removal (with its anonymous volumes) per leftover probe in `state`, by name. */
export function probeRemovals(
  state: ObservedState,
): { resource: string; operation: Operation; cause: string }[] {
  return [...(state.probes ?? [])]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((probe) => ({
      resource: `probe:${probe.name}`,
      operation: {
        type: "RemoveContainer",
        container: { id: probe.id, name: probe.name },
        volumes: true,
        force: true,
      },
      cause: PROBE_CAUSE,
    }));
}
