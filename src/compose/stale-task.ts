// `up` past a container the engine can no longer start: a dockerd stopped or killed in the middle
// of a start leaves the container's task in containerd (Engine 20.10), and every later start of
// that container fails with `task <id>: already exists` (client.ts retries it for about 5 s first).
// Only a new container gets past it, so `up` replaces that one container itself (a forced remove,
// then the plan made again from what is there, which creates and starts it anew), once per
// container, and says so; a replacement that meets the same keeps the error.
import { StaleTaskError } from "../engine/client.js";
import { EngineError } from "../errors.js";
import type { Plan } from "../plan/types.js";

/** A container as the engine names it. */
export interface StaleContainer {
  id: string;
  name: string;
}

/** The container whose start met a stale task somewhere in `error`'s causes, if any. */
export function staleTaskContainer(error: unknown): StaleContainer | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 10; depth++) {
    if (cause instanceof StaleTaskError) return cause.container;
    cause = cause.cause;
  }
  return undefined;
}

/** The container `up` replaces after `error`: one that met a stale task and was not replaced already. */
export function containerToReplace(
  error: unknown,
  replaced: ReadonlySet<string>,
): StaleContainer | undefined {
  const container = staleTaskContainer(error);
  return container === undefined || replaced.has(container.name) ? undefined : container;
}

export interface StaleTaskSteps {
  /** Carries out a plan (execute). */
  execute(plan: Plan): Promise<void>;
  /** Removes a container, forced. */
  remove(container: StaleContainer): Promise<void>;
  /** Observes the project again and plans `up` from what is there now. */
  replan(): Promise<Plan>;
  onWarning?: (message: string) => void;
}

/**
 * Carries out `plan`; when a start meets a stale task, replaces that container (see above) and
 * carries out the plan made anew. Resolves with every plan carried out, first to last.
 */
export async function executeReplacingStaleTasks(plan: Plan, steps: StaleTaskSteps): Promise<Plan[]> {
  const plans = [plan];
  const replaced = new Set<string>();
  for (;;) {
    try {
      await steps.execute(plans[plans.length - 1] as Plan);
      return plans;
    } catch (error) {
      const container = containerToReplace(error, replaced);
      if (container === undefined) throw error;
      replaced.add(container.name);
      steps.onWarning?.(
        `container ${container.name}: the engine still held a task for it from a start that a dockerd restart cut short; replacing the container (removed, created anew, started)`,
      );
      await steps.remove(container);
      const next = await steps.replan();
      if (next.errors.length > 0) throw new EngineError(next.errors.join("\n"));
      plans.push(next);
    }
  }
}
