// `start`, `stop`, `restart`, `kill` and `rm` as library functions: they act on containers that
// already exist, found by the project label; a loaded project, when given, adds the `depends_on`
// order. Plans come from src/plan/lifecycle-plan.ts; the executor carries them out.
import { runHook, type HookReport } from "../engine/hooks.js";
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { execute } from "../engine/execute.js";
import { toObservedContainer } from "../engine/observe.js";
import type { ProgressListener } from "../engine/progress.js";
import { resourceTitle } from "../model/names.js";
import type { Project } from "../model/project.js";
import { dependencyOrder } from "../plan/graph.js";
import { planRemove, planStart, planStop } from "../plan/lifecycle-plan.js";
import type { ObservedContainer, ObservedState } from "../plan/state.js";
import type { Plan } from "../plan/types.js";
import { isRunning, projectContainers } from "./containers.js";
import { replacingStaleTasks, type StaleContainer } from "./stale-task.js";

export interface LifecycleOptions {
  /** The loaded project, when there is one (its `depends_on` orders the work). */
  project?: Project;
  /** Only these services (default: every service of the project). */
  services?: string[];
  /** Plan only. */
  dryRun?: boolean;
  onProgress?: ProgressListener;
  /** What each lifecycle hook printed (engine/hooks.ts), for the caller to show masked. */
  onHookOutput?: (report: HookReport) => Promise<void> | void;
  signal?: AbortSignal;
  /**
   * Makes the service's missing container anew and starts it (`up` of that service, no recreate),
   * after a start met a stale task and the container was removed (stale-task.ts). Absent (no
   * project loaded): that container's failure stays the error.
   */
  recreate?: (service: string) => Promise<void>;
  onWarning?: (message: string) => void;
}

async function containersState(projectName: string, engine: Engine): Promise<ObservedState> {
  const containers = (await engine.listProjectContainers(projectName, { all: true })).map(
    toObservedContainer,
  );
  return { projectName, containers, networks: {}, volumes: {}, images: {} };
}

async function run(plan: Plan, engine: Engine, options: LifecycleOptions): Promise<Plan> {
  if (options.dryRun || plan.nodes.length === 0) return plan;
  await execute(plan, engine, {
    ...(options.project === undefined ? {} : { project: options.project }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.onHookOutput === undefined ? {} : { onHookOutput: options.onHookOutput }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return plan;
}

/** A service named on the command line without any container is an error, as in Compose. */
function requireContainers(state: ObservedState, services: string[] | undefined, verb: string): void {
  const missing = (services ?? []).filter(
    (service) => !state.containers.some((container) => !container.oneoff && container.service === service),
  );
  if (missing.length > 0) {
    throw new EngineError(
      `${missing.map((service) => `service "${service}"`).join(", ")} has no container to ${verb}; create ${missing.length > 1 ? "them" : "it"} with \`composec up\` first`,
    );
  }
}

/** Starts the stopped containers of the selected services, dependencies first. */
export async function start(
  projectName: string,
  engine: Engine,
  options: LifecycleOptions = {},
): Promise<Plan> {
  const state = await containersState(projectName, engine);
  requireContainers(state, options.services, "start");
  if (!state.containers.some((container) => !container.oneoff)) {
    throw new EngineError(
      `project ${projectName} has no containers to start; create them with \`composec up\``,
    );
  }
  const plan = planStart(state, withDefined(options));
  if (options.dryRun || options.recreate === undefined) return run(plan, engine, options);
  await replacingStaleTasks(plan, {
    run: async (current) => {
      await run(current, engine, options);
    },
    replace: (container) => replaceContainer(engine, state.containers, container, options),
    next: async () => planStart(await containersState(projectName, engine), withDefined(options)),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  return plan;
}

/** A stale task's container removed, then made anew and started through `options.recreate`. */
async function replaceContainer(
  engine: Engine,
  known: ObservedContainer[],
  container: StaleContainer,
  options: LifecycleOptions,
): Promise<void> {
  const entry = known.find((candidate) => candidate.name === container.name || candidate.id === container.id);
  // A one-off is the user's own command, not the service's: not made again behind their back.
  if (entry === undefined || entry.oneoff) {
    throw new EngineError(
      `container ${container.name}: the engine still holds a task for it from a start that a dockerd restart cut short; remove it (\`composec rm\`) and run it again`,
    );
  }
  await engine.removeContainer(container, { force: true });
  await options.recreate?.(entry.service);
}

/** Stops the running containers of the selected services, dependents first. */
export async function stop(
  projectName: string,
  engine: Engine,
  options: LifecycleOptions & { timeoutSeconds?: number } = {},
): Promise<Plan> {
  const state = await containersState(projectName, engine);
  const plan = planStop(state, {
    ...withDefined(options),
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
  });
  return run(plan, engine, options);
}

/** Removes the stopped containers of the selected services (with `stop`, running ones too). */
export async function remove(
  projectName: string,
  engine: Engine,
  options: LifecycleOptions & { stop?: boolean; volumes?: boolean } = {},
): Promise<Plan> {
  const state = await containersState(projectName, engine);
  const plan = planRemove(state, {
    ...withDefined(options),
    stop: options.stop ?? false,
    volumes: options.volumes ?? false,
  });
  return run(plan, engine, options);
}

/**
 * Restarts the selected services' containers (stopped ones are started), one service at a time in
 * dependency order, the containers of a service in parallel. Resolves with what was restarted.
 */
export async function restart(
  projectName: string,
  engine: Engine,
  options: LifecycleOptions & { timeoutSeconds?: number } = {},
): Promise<ObservedContainer[]> {
  const containers = await projectContainers(projectName, engine, withServices(options));
  const state = { projectName, containers, networks: {}, volumes: {}, images: {} };
  requireContainers(state, options.services, "restart");
  if (options.dryRun) return containers;
  const dependsOn = (service: string) => options.project?.services[service]?.dependsOn ?? {};
  const services = [...new Set(containers.map((container) => container.service))];
  const order = dependencyOrder(
    Object.fromEntries(services.map((service) => [service, { dependsOn: dependsOn(service) }])),
  );
  const restarted = new Set<string>();
  const restartAll = async (work: ObservedContainer[]): Promise<void> => {
    for (const service of order) {
      if (options.signal?.aborted) break;
      // Settled, not raced: a failure is thrown once the service's other restarts ended, so the
      // work left after a stale task's replacement does not restart one of them twice.
      const results = await Promise.allSettled(
        work
          .filter((container) => container.service === service)
          .map(async (container) => {
            await restartOne(engine, container, options);
            restarted.add(container.id);
          }),
      );
      const failed = results.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    }
  };
  if (options.recreate === undefined) await restartAll(containers);
  else {
    const replaced = new Set<string>();
    await replacingStaleTasks(containers, {
      run: restartAll,
      replace: async (container) => {
        replaced.add(container.id);
        await replaceContainer(engine, containers, container, options);
      },
      // The replacement was started by `recreate`; the others not restarted yet are left.
      next: async () => containers.filter((c) => !restarted.has(c.id) && !replaced.has(c.id)),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    });
  }
  return containers;
}

/** Restarts one container with its hooks, as Compose's restart: pre_stop hooks of a running container first, post_start after. */
async function restartOne(
  engine: Engine,
  container: ObservedContainer,
  options: LifecycleOptions & { timeoutSeconds?: number },
): Promise<void> {
  const service = container.service;
  const title = resourceTitle.container(container.name);
  options.onProgress?.({ resource: title, status: "Restarting" });
  const definition = container.oneoff ? undefined : options.project?.services[service];
  const ref = { id: container.id, name: container.name };
  if (container.state === "running") {
    for (const hook of definition?.preStop ?? [])
      await runHook(engine, ref, { service, kind: "pre_stop", hook }, options.onHookOutput);
  }
  await engine.restartContainer(container, options.timeoutSeconds);
  for (const hook of definition?.postStart ?? [])
    await runHook(engine, ref, { service, kind: "post_start", hook }, options.onHookOutput);
  options.onProgress?.({ resource: title, status: "Started" });
}

/** Sends `signal` to the running containers of the selected services; resolves with them. */
export async function kill(
  projectName: string,
  engine: Engine,
  options: LifecycleOptions & { signalName: string },
): Promise<ObservedContainer[]> {
  const containers = (await projectContainers(projectName, engine, withServices(options))).filter(isRunning);
  if (options.dryRun) return containers;
  await Promise.all(
    containers.map(async (container) => {
      const title = resourceTitle.container(container.name);
      options.onProgress?.({ resource: title, status: "Killing" });
      await engine.killContainer(container, options.signalName);
      options.onProgress?.({ resource: title, status: "Killed" });
    }),
  );
  return containers;
}

function withServices(options: LifecycleOptions): { services?: string[] } {
  return options.services === undefined ? {} : { services: options.services };
}

function withDefined(options: LifecycleOptions): { project?: Project; services?: string[] } {
  return {
    ...(options.project === undefined ? {} : { project: options.project }),
    ...withServices(options),
  };
}
