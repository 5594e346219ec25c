// `composec deploy`: every secret source read, the Swarm asked what it holds, the plan made (all
// pure, nothing created), then the plan carried out: networks, versioned secrets, services (a
// changed secret is a changed spec, so Swarm rolls the service's tasks over, honouring its
// update_config), and the old secret versions removed once no task holds them.
import { setTimeout as sleep } from "node:timers/promises";
import { EngineError, InterruptedError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import type { ProgressListener } from "../engine/progress.js";
import type { Project } from "../model/project.js";
import { stackFilter } from "../model/names.js";
import { resolveConfigs, resolveSecrets, type ExternalSecretSource } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";
import type { Environment } from "../store/paths.js";
import { SwarmClient, type StackService } from "./client.js";
import { convergence, progressBar, type ServiceProgress, type ServiceTarget } from "./converge.js";
import { digestKey, digestKeyPath, keyedDigest } from "./digest.js";
import {
  planDeploy,
  secretsToRemove,
  versionedConfigKeys,
  versionedSecretKeys,
  type DeployPlan,
} from "./plan.js";
import type { ObservedTask, ServiceSpec, SwarmState } from "./types.js";

export interface DeployOptions {
  /** Variables the project was interpolated with (`environment` secrets read them). */
  variables: Record<string, string>;
  /** The local store, for `external` secrets marked `x-composec-source: store`. */
  store?: ExternalSecretSource;
  /** Where the digest key lives (COMPOSEC_HOME); default `process.env`. */
  env?: Environment;
  /** Wait until every service runs its new spec (or fail with the task's error). */
  wait: boolean;
  /** Remove services of the stack that are no longer in the project. */
  prune: boolean;
  dryRun: boolean;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** How often convergence is polled; default 500 ms. */
  pollMs?: number;
}

export interface DeployResult {
  plan: DeployPlan;
  /** Old secret and config versions removed. */
  removedSecrets: string[];
}

/** Deploys `project` as the stack `project.name` on the Swarm `engine` manages. */
export async function deploy(
  project: Project,
  engine: Engine,
  options: DeployOptions,
): Promise<DeployResult> {
  const progress = options.onProgress ?? (() => {});
  const swarm = new SwarmClient(engine);
  // Every source first: a missing file or unset variable stops here, with nothing created.
  const values = await resolveSecrets(project, versionedSecretKeys(project), {
    variables: options.variables,
    ...(options.store ? { external: options.store } : {}),
  });
  let contents: Map<string, SecretValue> = new Map();
  try {
    contents = await resolveConfigs(project, versionedConfigKeys(project), { variables: options.variables });
    const clusterId = await swarm.requireManager();
    const key = await digestKey(digestKeyPath(options.env ?? process.env, clusterId));
    const digests = new Map(
      [...values].map(([name, value]) => [name, keyedDigest(key, "secret", name, value)]),
    );
    const configDigests = new Map(
      [...contents].map(([name, value]) => [name, keyedDigest(key, "config", name, value)]),
    );
    key.fill(0);
    const state = await observe(swarm, project.name);
    const plan = planDeploy({ project, secretDigests: digests, configDigests, state });
    for (const warning of plan.warnings) options.onWarning?.(warning);
    if (options.dryRun) return { plan, removedSecrets: [] };

    const check = (): void => {
      if (options.signal?.aborted) {
        throw new InterruptedError(
          "interrupted: run `composec deploy` again to finish, or `composec undeploy` to remove the stack",
        );
      }
    };
    for (const network of plan.networks) {
      if (network.action !== "create") continue;
      check();
      progress({ resource: `Network ${network.name}`, status: "Creating" });
      await swarm.createNetwork(network.spec);
      progress({ resource: `Network ${network.name}`, status: "Created" });
    }
    const secretIds = new Map(state.secrets.map((s) => [s.name, s.id]));
    for (const secret of plan.secrets) {
      if (secret.action !== "create") continue;
      check();
      progress({ resource: `Secret ${secret.name}`, status: "Creating" });
      const id = await swarm.createSecret(secret.name, secret.labels, values.get(secret.key) as SecretValue);
      secretIds.set(secret.name, id);
      progress({ resource: `Secret ${secret.name}`, status: "Created" });
    }
    const configIds = new Map(state.configs.map((c) => [c.name, c.id]));
    for (const config of plan.configs) {
      if (config.action !== "create") continue;
      check();
      progress({ resource: `Config ${config.name}`, status: "Creating" });
      const id = await swarm.createConfig(
        config.name,
        config.labels,
        (contents.get(config.key) as SecretValue).bytes(),
      );
      configIds.set(config.name, id);
      progress({ resource: `Config ${config.name}`, status: "Created" });
    }
    const ids = new Map<string, string>();
    for (const step of plan.services) {
      const spec = withIds(step.spec, secretIds, configIds);
      const resource = `Service ${step.name}`;
      check();
      if (step.action === "create") {
        progress({ resource, status: "Creating" });
        ids.set(step.name, await swarm.createService(spec));
        progress({ resource, status: "Created" });
      } else if (step.action === "update") {
        progress({ resource, status: "Updating" });
        await swarm.updateService(step.id as string, step.version as number, spec);
        ids.set(step.name, step.id as string);
        progress({ resource, status: "Updated" });
      } else {
        ids.set(step.name, step.id as string);
        progress({ resource, status: "Unchanged" });
      }
    }
    if (options.prune) {
      for (const orphan of plan.orphans) {
        progress({ resource: `Service ${orphan.name}`, status: "Removing" });
        await swarm.removeService(orphan.id, orphan.name);
        progress({ resource: `Service ${orphan.name}`, status: "Removed" });
      }
    }
    if (options.wait) await waitForConvergence(swarm, plan, ids, startedAt(), options);
    const removedSecrets = await pruneSecrets(swarm, project.name, plan, progress);
    return { plan, removedSecrets };
  } finally {
    for (const value of values.values()) value.wipe();
    for (const value of contents.values()) value.wipe();
  }
}

function startedAt(): string {
  // A second of slack: the engine's clock and ours are the same machine's, but rounding differs.
  return new Date(Date.now() - 1000).toISOString();
}

/** What the Swarm holds that a deploy of `stack` plans against. */
export async function observe(swarm: SwarmClient, stack: string): Promise<SwarmState> {
  const [services, secrets, configs, networks] = await Promise.all([
    swarm.listServices([stackFilter(stack)]),
    swarm.listSecrets(),
    swarm.listConfigs(),
    swarm.listNetworks(),
  ]);
  return { services, secrets, configs, networks };
}

/** The spec with each secret and config reference's id filled in from its name. */
function withIds(
  spec: ServiceSpec,
  secretIds: ReadonlyMap<string, string>,
  configIds: ReadonlyMap<string, string>,
): ServiceSpec {
  const container = spec.TaskTemplate.ContainerSpec;
  const idOf = (ids: ReadonlyMap<string, string>, name: string): string => {
    const id = ids.get(name);
    if (id === undefined) throw new Error(`internal: ${name} has no id`);
    return id;
  };
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...container,
        ...(container.Secrets
          ? {
              Secrets: container.Secrets.map((ref) => ({
                ...ref,
                SecretID: idOf(secretIds, ref.SecretName),
              })),
            }
          : {}),
        ...(container.Configs
          ? {
              Configs: container.Configs.map((ref) => ({
                ...ref,
                ConfigID: idOf(configIds, ref.ConfigName),
              })),
            }
          : {}),
      },
    },
  };
}

async function waitForConvergence(
  swarm: SwarmClient,
  plan: DeployPlan,
  ids: ReadonlyMap<string, string>,
  since: string,
  options: DeployOptions,
): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  const nodes = (await swarm.nodeNames()).size;
  const announced = new Map<string, string>();
  for (;;) {
    if (options.signal?.aborted) {
      throw new InterruptedError(
        "interrupted while waiting: the Swarm goes on updating; `composec stack ps` shows how far it got",
      );
    }
    const services = await swarm.listServices([stackFilter(plan.stack)]);
    const byName = new Map(services.map((s) => [s.name, s]));
    const targets: ServiceTarget[] = plan.services.map((step) =>
      target(step.name, ids.get(step.name) as string, step.spec, byName.get(step.name), nodes),
    );
    const tasks = (await Promise.all(targets.map((t) => swarm.listTasks({ service: [t.id] })))).flat();
    const states = convergence(targets, tasks, since);
    for (const state of states) {
      const line = progressBar(state.running, state.replicas);
      if (announced.get(state.name) !== line || state.done) {
        announced.set(state.name, line);
        progress({
          resource: `Service ${state.name}`,
          status: state.done ? "Running" : "Waiting",
          detail: line,
        });
      }
    }
    const failed = states.find((s) => s.failure !== undefined);
    if (failed) {
      progress({ resource: `Service ${failed.name}`, status: "Error", detail: failed.failure as string });
      throw new EngineError(`service ${failed.name} did not converge: ${failed.failure as string}`);
    }
    if (states.every((s: ServiceProgress) => s.done)) return;
    await sleep(options.pollMs ?? 500);
  }
}

function target(
  name: string,
  id: string,
  spec: ServiceSpec,
  found: StackService | undefined,
  nodes: number,
): ServiceTarget {
  return {
    name,
    id,
    spec,
    replicas: spec.Mode.Global ? nodes : (spec.Mode.Replicated?.Replicas ?? 1),
    ...(found?.updateState ? { updateState: found.updateState } : {}),
    ...(found?.updateMessage ? { updateMessage: found.updateMessage } : {}),
  };
}

/** States of a task whose container may still hold its secrets. */
const LIVE_TASK_STATES = new Set([
  "new",
  "allocated",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
  "starting",
  "running",
]);

/** Removes the stack's old secret versions that no spec names and no live task holds. */
async function pruneSecrets(
  swarm: SwarmClient,
  stack: string,
  plan: DeployPlan,
  progress: ProgressListener,
): Promise<string[]> {
  const services = await swarm.listServices([stackFilter(stack)]);
  const secrets = await swarm.listSecrets([stackFilter(stack)]);
  const tasks: ObservedTask[] = (
    await Promise.all(services.map((s) => swarm.listTasks({ service: [s.id] })))
  ).flat();
  const held = new Set(tasks.filter((t) => LIVE_TASK_STATES.has(t.state)).flatMap((t) => t.refersTo));
  const planned = new Set([...plan.secrets, ...plan.configs].map((s) => s.name));
  const removed: string[] = [];
  for (const secret of secretsToRemove(stack, { services, secrets }, planned, held)) {
    progress({ resource: `Secret ${secret.name}`, status: "Removing" });
    await swarm.removeSecret(secret.id, secret.name);
    progress({ resource: `Secret ${secret.name}`, status: "Removed" });
    removed.push(secret.name);
  }
  const configs = await swarm.listConfigs([stackFilter(stack)]);
  for (const config of secretsToRemove(stack, { services, secrets: configs }, planned, held)) {
    progress({ resource: `Config ${config.name}`, status: "Removing" });
    await swarm.removeConfig(config.id, config.name);
    progress({ resource: `Config ${config.name}`, status: "Removed" });
    removed.push(config.name);
  }
  return removed;
}
