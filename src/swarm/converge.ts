// Whether a deploy has converged, decided from what the Swarm reports (pure, so tested as data):
// a service is done when as many tasks as it asks for run from its current spec (its image and
// the secret and config versions it names) and no rolling update is still going on.
import type { ObservedTask, ServiceSpec } from "./types.js";

export interface ServiceTarget {
  name: string;
  id: string;
  spec: ServiceSpec;
  /** Desired running tasks; for a global service, the number of nodes. */
  replicas: number;
  /** Swarm's UpdateStatus.State, when an update has run. */
  updateState?: string;
  updateMessage?: string;
}

export interface ServiceProgress {
  name: string;
  running: number;
  replicas: number;
  done: boolean;
  /** Why the service will not converge: a failed update, or tasks that keep failing. */
  failure?: string;
}

/** Tasks failed since the deploy before a service counts as failing (Swarm restarts them forever). */
export const FAILED_TASKS_LIMIT = 3;

const UPDATE_FAILED = new Set(["paused", "rollback_started", "rollback_paused", "rollback_completed"]);

/** Each service's progress toward its spec; `since` (ISO time) is when this deploy started. */
export function convergence(
  targets: ServiceTarget[],
  tasks: ObservedTask[],
  since: string,
): ServiceProgress[] {
  return targets.map((target) => {
    const own = tasks.filter((t) => t.serviceId === target.id);
    const wanted = specReferences(target.spec);
    const current = own.filter(
      (t) =>
        t.desiredState === "running" &&
        t.image === target.spec.TaskTemplate.ContainerSpec.Image &&
        sameSet(t.refersTo, wanted),
    );
    const running = current.filter((t) => t.state === "running").length;
    const stale = own.filter((t) => t.desiredState === "running" && !current.includes(t)).length;
    const updating = target.updateState === "updating";
    const progress: ServiceProgress = {
      name: target.name,
      running,
      replicas: target.replicas,
      done: running === target.replicas && stale === 0 && !updating,
    };
    if (target.updateState !== undefined && UPDATE_FAILED.has(target.updateState)) {
      progress.done = false;
      progress.failure = `update ${target.updateState.replace("_", " ")}${target.updateMessage ? `: ${target.updateMessage}` : ""}`;
      return progress;
    }
    const failed = own
      .filter((t) => (t.state === "failed" || t.state === "rejected") && t.timestamp >= since)
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    if (!progress.done && failed.length >= FAILED_TASKS_LIMIT) {
      const last = failed[failed.length - 1] as ObservedTask;
      progress.failure = `${failed.length} tasks failed; the last: ${last.error ?? last.message} (${last.state})`;
    }
    return progress;
  });
}

/** The secret and config names a spec gives its tasks. */
export function specReferences(spec: ServiceSpec): string[] {
  const container = spec.TaskTemplate.ContainerSpec;
  return [
    ...(container.Secrets ?? []).map((s) => s.SecretName),
    ...(container.Configs ?? []).map((c) => c.ConfigName),
  ];
}

function sameSet(a: string[], b: string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/** `[=====>    ] 3/5`: a text progress bar for a service's running tasks. */
export function progressBar(running: number, replicas: number, width = 20): string {
  const filled = replicas === 0 ? width : Math.min(width, Math.round((running / replicas) * width));
  const bar = filled >= width ? "=".repeat(width) : `${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}`;
  return `[${bar}] ${running}/${replicas}`;
}
