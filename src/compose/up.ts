// `up` as a library function: check what can be checked without the engine, observe, plan,
// refuse the plan if it cannot succeed, then execute it (or only return it: `--dry-run`).
import { EngineError, ProjectError } from "../errors.js";
import { resourceTitle } from "../model/names.js";
import type { Project, Service } from "../model/project.js";
import type { Engine } from "../engine/client.js";
import { execute } from "../engine/execute.js";
import { observe, toObservedContainer } from "../engine/observe.js";
import type { ProgressListener } from "../engine/progress.js";
import { systemClock, waitRunningOrHealthy, type Clock } from "../engine/wait.js";
import { selectServices } from "../plan/graph.js";
import type { Plan } from "../plan/types.js";
import { planUp, type UpPlanOptions } from "../plan/up-plan.js";

export interface UpOptions extends UpPlanOptions {
  /** Plan only: nothing is changed on the engine. */
  dryRun?: boolean;
  /** `--wait`: after starting, wait until every selected container runs (healthy, if it has a check). */
  wait?: boolean;
  /** `--wait-timeout`, in seconds. */
  waitTimeoutSeconds?: number;
  onProgress?: ProgressListener;
  /** Warnings that do not stop `up` (orphans, foreign networks). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  clock?: Clock;
}

export interface UpResult {
  plan: Plan;
}

/** Brings `project` up on `engine`; resolves with the plan it carried out. */
export async function up(project: Project, engine: Engine, options: UpOptions = {}): Promise<UpResult> {
  const selected = selectServices(project, options.services ?? []);
  refuseSecrets(project, selected);

  const state = await observe(engine, project.name, { project, services: selected });
  const plan = planUp(project, state, options);
  for (const warning of plan.warnings) options.onWarning?.(warning);
  if (plan.errors.length > 0) throw new EngineError(plan.errors.join("\n"));
  if (options.dryRun) return { plan };

  for (const entry of plan.unchanged) {
    options.onProgress?.({ resource: resourceTitle.container(entry.name), status: "Running" });
  }
  const signal = options.signal;
  try {
    await execute(plan, engine, {
      project,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(signal === undefined ? {} : { signal }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    throw new EngineError(
      `${error.message}\nRun \`composec up\` again once the cause is fixed, or \`composec down\` to remove what was made.`,
      { ...(error.resource === undefined ? {} : { resource: error.resource }), cause: error },
    );
  }
  if (options.wait) await waitForServices(project, engine, selected, options);
  return { plan };
}

/**
 * Runtime secret delivery is the next piece of work; until it lands a service with secrets is
 * refused before anything is created, rather than started without its secrets.
 */
function refuseSecrets(project: Project, selected: Set<string>): void {
  const problems = [...selected]
    .map((name) => project.services[name] as Service)
    .filter((service) => service.secrets.length > 0)
    .map((service) => ({
      path: `services.${service.name}.secrets`,
      message: `service "${service.name}" uses secrets (${service.secrets.map((secret) => secret.source).join(", ")}), which this version of composec cannot deliver yet; remove them to run the service without, or wait for runtime secrets`,
    }));
  if (problems.length > 0) throw new ProjectError(problems);
}

async function waitForServices(
  project: Project,
  engine: Engine,
  selected: Set<string>,
  options: UpOptions,
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const timeout = options.waitTimeoutSeconds;
  const containers = (await engine.listProjectContainers(project.name, { all: true }))
    .map(toObservedContainer)
    .filter((container) => !container.oneoff && selected.has(container.service))
    .sort((a, b) => a.name.localeCompare(b.name));
  await Promise.all(
    containers.map(async (container) => {
      const title = resourceTitle.container(container.name);
      options.onProgress?.({ resource: title, status: "Waiting" });
      try {
        await waitRunningOrHealthy(engine, container, {
          clock,
          ...(timeout === undefined ? {} : { deadline: clock.now() + timeout * 1000 }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        options.onProgress?.({ resource: title, status: "Error", detail: (error as Error).message });
        throw error;
      }
      options.onProgress?.({ resource: title, status: "Healthy" });
    }),
  );
}
