// Past a container the engine can no longer start: a dockerd stopped or killed in the middle of a
// start leaves the container's task in containerd (Engine 20.10), and every later start of that
// container fails with `task <id>: already exists` (client.ts retries it for about 5 s first).
// Only a new container gets past it, so `up`, `start`, `restart` (and `run`, whose dependencies
// come up through `up`) replace that one container themselves (a forced remove, then created and
// started anew), once per container, and say so; a replacement that meets the same keeps the error.
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
  return replacingStaleTasks(plan, {
    run: steps.execute,
    replace: steps.remove,
    next: async () => {
      const next = await steps.replan();
      if (next.errors.length > 0) throw new EngineError(next.errors.join("\n"));
      return next;
    },
    ...(steps.onWarning === undefined ? {} : { onWarning: steps.onWarning }),
  });
}

/** The steps of any command that starts containers (`up`, `start`, `restart`) past stale tasks. */
export interface ReplaceSteps<T> {
  /** Does the work (a plan carried out, a list of containers restarted). */
  run(work: T): Promise<void>;
  /** Replaces the container: a forced remove, and (unless `next`'s work makes it) its creation and start. */
  replace(container: StaleContainer): Promise<void>;
  /** The work left after a replacement, from what is there now. */
  next(): Promise<T>;
  onWarning?: (message: string) => void;
}

/**
 * Runs `first`; when a start in it meets a stale task, warns, replaces that container (once per
 * container: meeting it again keeps the error) and runs the work left. Resolves with every piece
 * of work run, first to last.
 */
export async function replacingStaleTasks<T>(first: T, steps: ReplaceSteps<T>): Promise<T[]> {
  const done = [first];
  const replaced = new Set<string>();
  for (;;) {
    try {
      await steps.run(done[done.length - 1] as T);
      return done;
    } catch (error) {
      const container = containerToReplace(error, replaced);
      if (container === undefined) throw error;
      replaced.add(container.name);
      steps.onWarning?.(
        `container ${container.name}: the engine still held a task for it from a start that a dockerd restart cut short; replacing the container (removed, created anew, started)`,
      );
      await steps.replace(container);
      done.push(await steps.next());
    }
  }
}
