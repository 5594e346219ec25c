// `up` as a library function: check what can be checked without the engine, observe, plan,
// refuse the plan if it cannot succeed, then execute it (or only return it: `--dry-run`).
import { checkSecretsVolumeBinds } from "../materialize/engine-isolation.js";
import type { HookReport } from "../engine/hooks.js";
import { buildServices, servicesNeedingBuild, type BuiltImage } from "../build/index.js";
import { EngineError } from "../errors.js";
import { resourceTitle } from "../model/names.js";
import type { Project } from "../model/project.js";
import type { ExternalSecretSource } from "../secrets/resolve.js";
import { applyEnvShims } from "./env-shim.js";
import { ensureImages } from "./pull.js";
import { prepareMaterial, secretsDelivery, type SecretsDelivery } from "./secrets.js";
import type { MaterialExecutor } from "../materialize/execute-material.js";
import { planSecrets } from "../plan/secrets-plan.js";
import type { DeliveryChoice, DeliveryOverride } from "../plan/secrets-delivery.js";
import { checkApiVersion, usesVersionedFields } from "../engine/api-version.js";
import type { Engine } from "../engine/client.js";
import { execute } from "../engine/execute.js";
import { observe, toObservedContainer } from "../engine/observe.js";
import type { ProgressListener } from "../engine/progress.js";
import { systemClock, waitRunningOrHealthy, type Clock } from "../engine/wait.js";
import { selectServices } from "../plan/graph.js";
import type { PullFlag } from "../plan/pull-plan.js";
import type { ObservedState } from "../plan/state.js";
import type { Plan } from "../plan/types.js";
import { planUp, type UpPlanOptions } from "../plan/up-plan.js";
import { crashPoint } from "../crash-point.js";
import { executeReplacingStaleTasks } from "./stale-task.js";

/** The secrets plan is made here, from the observed material: callers do not pass one. */
export interface UpOptions extends Omit<UpPlanOptions, "secrets"> {
  /** Plan only: nothing is changed on the engine. */
  dryRun?: boolean;
  /** `--wait`: after starting, wait until every selected container runs (healthy, if it has a check). */
  wait?: boolean;
  /** `--wait-timeout`, in seconds. */
  waitTimeoutSeconds?: number;
  onProgress?: ProgressListener;
  /** What each lifecycle hook printed (engine/hooks.ts), for the caller to show masked. */
  onHookOutput?: (report: HookReport) => Promise<void> | void;
  /** Warnings that do not stop `up` (orphans, foreign networks). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  clock?: Clock;
  /** The variables the project was loaded with (`environment` secrets read these). */
  variables?: Record<string, string>;
  /** The shell environment the variables came from (default `process.env`). */
  shell?: Record<string, string | undefined>;
  /** The secret store behind `external: true`. */
  external?: ExternalSecretSource;
  /** `--pull`: pull by this policy instead of each service's pull_policy. */
  pull?: PullFlag;
  /** `--build`: build every selected service that has a build section, even if its image exists. */
  build?: boolean;
  /** Each line of build progress (`#3 [web 2/2] RUN ...`) and each image built. */
  onBuildLine?: (line: string) => void;
  onBuilt?: (image: BuiltImage) => void;
  /** Forces the secrets' delivery path (`--secrets-delivery`); else chosen from the engine and the file. */
  secretsDelivery?: DeliveryOverride;
  /** The delivery already chosen for this command (its store made), instead of choosing here. */
  delivery?: SecretsDelivery;
}

export interface UpResult {
  /** The plan, its secret material steps included (DeliverSecrets, SignalContainer, ...). */
  plan: Plan;
  /** Which path the secrets took (or would take), and why. */
  delivery: DeliveryChoice;
}

/** Brings `project` up on `engine`; resolves with the plan it carried out. */
export async function up(project: Project, engine: Engine, options: UpOptions = {}): Promise<UpResult> {
  const selected = selectServices(project, options.services ?? [], { noDeps: options.noDeps ?? false });
  // A field the engine's API is too old for would be ignored by it: refuse it before anything is
  // made. The engine is asked only when such a field is used (it costs a round trip).
  if (usesVersionedFields(project, selected)) {
    checkApiVersion(project, selected, (await engine.version()).apiVersion);
  }
  // No service may bind an engine-side secrets volume's directory (any project's): before anything is made.
  await checkSecretsVolumeBinds(engine, project, selected);
  const delivery = options.delivery ?? (await secretsDelivery(engine, project, options.secretsDelivery));
  // Every secret is read before the first engine call: a bad source stops `up` with nothing made.
  const material = await prepareMaterial(project, selected, {
    variables: options.variables ?? {},
    ...(options.shell === undefined ? {} : { shell: options.shell }),
    ...(options.external === undefined ? {} : { external: options.external }),
    delivery,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  crashPoint("up.secrets-resolved");
  try {
    // Pulls come before anything is made, so a failed pull leaves nothing behind (CLARIFICATIONS.md 8).
    const images = await ensureImages(project, engine, selected, {
      ...(options.pull === undefined ? {} : { pull: options.pull }),
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      ...(options.shell === undefined ? {} : { env: options.shell }),
    });
    await buildMissingImages(project, engine, selected, options);
    // Services with x-composec-env-secrets run through a wrapper made from their image's command.
    const wrapped = await applyEnvShims(project, engine, selected, {
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    });
    const plan = await upWithMaterial(wrapped, engine, selected, material, images.ids, {
      ...options,
      ...(options.dryRun ? { pulling: images.pulled } : {}),
    });
    return { plan, delivery: delivery.choice };
  } finally {
    material.wipe();
  }
}

/**
 * Builds what the selected services need (`--build`: every build section; by default only images
 * the engine lacks; `--no-build`: nothing), as Compose does, before the engine state is observed.
 */
async function buildMissingImages(
  project: Project,
  engine: Engine,
  selected: Set<string>,
  options: UpOptions,
): Promise<void> {
  const builds = engine;
  const flags = { ...(options.build ? { build: true } : {}), ...(options.noBuild ? { noBuild: true } : {}) };
  const services = await servicesNeedingBuild(project, builds, [...selected], flags);
  if (services.length === 0) return;
  if (options.dryRun) {
    for (const service of services) options.onWarning?.(`service ${service}: its image would be built`);
    return;
  }
  await buildServices(project, builds, {
    services,
    variables: options.variables ?? {},
    ...(options.shell === undefined ? {} : { shell: options.shell }),
    ...(options.external === undefined ? {} : { external: options.external }),
    ...(options.onBuildLine === undefined ? {} : { onLine: options.onBuildLine }),
    ...(options.onBuilt === undefined ? {} : { onBuilt: options.onBuilt }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/** Observes (the material too), plans (its steps from the secrets plan), and carries the plan out. */
async function upWithMaterial(
  project: Project,
  engine: Engine,
  selected: Set<string>,
  material: MaterialExecutor,
  imageIds: Record<string, string | null>,
  options: UpOptions,
): Promise<Plan> {
  // The plan, its material steps included, from what is there now (again after a stale task).
  const planFrom = (state: ObservedState): Plan => {
    const secrets = planSecrets({
      project,
      selected,
      fresh: material.fresh(),
      observed: state.material,
      // Orphans (services gone from the files, containers still there) keep their material until removed.
      keep: options.removeOrphans
        ? new Set()
        : new Set(state.containers.map((container) => container.service)),
    });
    return planUp(project, state, { ...options, secrets });
  };
  const plan = planFrom(
    await observe(engine, project.name, { project, services: selected, imageIds, material }),
  );
  for (const warning of plan.warnings) options.onWarning?.(warning);
  if (plan.errors.length > 0) throw new EngineError(plan.errors.join("\n"));
  if (options.dryRun) return plan;

  for (const entry of plan.unchanged) {
    options.onProgress?.({ resource: resourceTitle.container(entry.name), status: "Running" });
  }
  const signal = options.signal;
  try {
    await executeReplacingStaleTasks(plan, {
      execute: async (current) => {
        await execute(current, engine, {
          project,
          material,
          ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
          ...(options.onHookOutput === undefined ? {} : { onHookOutput: options.onHookOutput }),
          ...(signal === undefined ? {} : { signal }),
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        });
      },
      remove: (container) => engine.removeContainer(container, { force: true }),
      replan: async () =>
        planFrom(await observe(engine, project.name, { project, services: selected, imageIds, material })),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    });
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    throw new EngineError(
      `${error.message}\nRun \`composec up\` again once the cause is fixed, or \`composec down\` to remove what was made.`,
      { ...(error.resource === undefined ? {} : { resource: error.resource }), cause: error },
    );
  }
  crashPoint("up.executed");
  if (options.wait && !options.noStart) await waitForServices(project, engine, selected, options);
  return plan;
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
