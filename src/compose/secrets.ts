// Runtime secrets for `up`: resolve every source before the engine is touched, compare with what
// is in place on the project's tmpfs, tell the planner which containers must be recreated, and
// deliver the material once the plan is known to be possible. Configs go the same way, beside the
// secrets: same sources (and inline content), same tmpfs, same change detection.
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { ProjectMaterial, type SecretMount } from "../materialize/material.js";
import type { MaterialStore } from "../materialize/store.js";
import { materialStore, projectMaterialDir } from "../materialize/stores.js";
import type { RuntimeLocation } from "../materialize/roots.js";
import type { Project, Service } from "../model/project.js";
import { chooseDelivery, type DeliveryChoice, type DeliveryOverride } from "../plan/secrets-delivery.js";
import { checkEnvSecretValues } from "./env-shim.js";
import { resolveConfigs, resolveSecrets, type ResolveOptions } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";

export { projectMaterialDir };

/** The service extension naming a signal to send after its secrets changed in place. */
export const RELOAD_SIGNAL_EXTENSION = "x-composec-reload-signal";

/** Where the project's material goes: the path chosen once for the command, and its store. */
export interface SecretsDelivery {
  choice: DeliveryChoice;
  store: MaterialStore;
}

export interface RuntimeSecretsOptions extends ResolveOptions {
  delivery: SecretsDelivery;
  /** Plan only: nothing is mounted or written. */
  dryRun?: boolean;
}

/**
 * Chooses the delivery path for the project on `engine` (chooseDelivery) and makes its store; the
 * one place compose/ learns which path it is on, and only to say so.
 */
export async function secretsDelivery(
  engine: Engine,
  project: Project | string,
  override?: DeliveryOverride,
  location?: RuntimeLocation,
): Promise<SecretsDelivery> {
  const choice = chooseDelivery(engine.endpoint, typeof project === "string" ? undefined : project, override);
  const name = typeof project === "string" ? project : project.name;
  return { choice, store: await materialStore(choice.path, engine, name, location) };
}

/** What `up` needs to know and do about the selected services' secrets. */
export interface RuntimeSecrets {
  /** Read-only mounts per service (known once `deliver` has run: the engine's side needs its holder). */
  mounts: Record<string, SecretMount[]>;
  /** Services whose existing containers must be replaced, with the reason. */
  recreate: Record<string, string>;
  /** Targets under /run/secrets that change in place, per service. */
  changedLive: Record<string, string[]>;
  warnings: string[];
  /**
   * Writes the material (mounting the tmpfs when needed). With `keep`, the material of other
   * services goes unless the project still has them or `keep` names them (orphans whose containers
   * still run); without it (a one-off `run`), other services' material is left alone.
   */
  deliver(keep?: Set<string>): Promise<void>;
  /** After the plan ran: the services whose containers were made anew now hold the new bytes. */
  commit(replaced: Set<string>): Promise<void>;
  /** Overwrites the resolved bytes in memory. */
  wipe(): void;
}

/** Resolves and compares the secrets of `selected`; throws before any engine call when a source fails. */
export async function prepareRuntimeSecrets(
  project: Project,
  selected: Set<string>,
  options: RuntimeSecretsOptions,
): Promise<RuntimeSecrets> {
  const services = [...selected].map((name) => project.services[name] as Service).filter(hasMaterial);
  const { store, choice } = options.delivery;
  const empty: RuntimeSecrets = {
    mounts: {},
    recreate: {},
    changedLive: {},
    warnings: [],
    // Services may have dropped their secrets: their old material goes, nothing else is needed.
    deliver: async (keep) => {
      if (!keep || options.dryRun) return;
      const material = await ProjectMaterial.peek(store);
      if (!material.holdsAnything()) return;
      await (
        await ProjectMaterial.open(store)
      ).removeServicesExcept(union(servicesWithSecrets(project), keep));
    },
    commit: async () => undefined,
    wipe: () => undefined,
  };
  if (services.length === 0) return empty;
  if (choice.refusal !== undefined) {
    throw new EngineError(
      `services ${services.map((s) => s.name).join(", ")} have secrets or configs; ${choice.refusal}`,
    );
  }

  const keys = new Set(services.flatMap((service) => service.secrets.map((grant) => grant.source)));
  const configKeys = new Set(services.flatMap((service) => service.configs.map((grant) => grant.source)));
  const values = await resolveSecrets(project, keys, options);
  let configValues: Map<string, SecretValue>;
  try {
    checkEnvSecretValues(project, selected, values);
    configValues = await resolveConfigs(project, configKeys, options);
  } catch (error) {
    wipeAll(values);
    throw error;
  }
  let material: ProjectMaterial;
  try {
    material = await ProjectMaterial.peek(store);
  } catch (error) {
    wipeAll(values);
    wipeAll(configValues);
    throw error;
  }
  let writable: ProjectMaterial | undefined;
  const result: RuntimeSecrets = {
    mounts: {},
    recreate: {},
    changedLive: {},
    warnings: [],
    deliver: async (keep) => {
      writable = await ProjectMaterial.open(store);
      result.warnings.push(...writable.warnings);
      await writable.deliverAll(
        services,
        values,
        configValues,
        keep ? union(servicesWithSecrets(project), keep) : undefined,
      );
      for (const service of services) result.mounts[service.name] = writable.mounts(service);
    },
    commit: async (replaced) => writable?.commitReplaced(replaced),
    wipe: () => {
      wipeAll(values);
      wipeAll(configValues);
    },
  };
  for (const service of services) {
    const state = material.compare(service, values, configValues);
    if (state.firstDelivery) {
      // Containers that exist without material in place lost it (a reboot emptied the tmpfs; a
      // dockerd restart does not: the mount is composec's, on the host, not the engine's)
      // emptied the tmpfs): their mounts point at nothing until they are made again.
      result.recreate[service.name] = "secrets delivered anew";
    } else if (state.changedAbsolute.length > 0) {
      const configTargets = new Set(service.configs.map((grant) => grant.target));
      const kinds = new Set(state.changedAbsolute.map((t) => (configTargets.has(t) ? "config" : "secret")));
      result.recreate[service.name] =
        `${[...kinds].sort().reverse().join(" and ")} changed at ${state.changedAbsolute.join(", ")}`;
    }
    if (state.changedLive.length > 0) result.changedLive[service.name] = state.changedLive;
  }
  return result;
}

/**
 * Services with secrets whose material is not in place: the tmpfs is gone after a reboot
 * (CLARIFICATIONS.md 13 names a dockerd restart too, but that keeps it: the mount is on the host,
 * engine-restart.test.ts), and their containers cannot start until `up` delivers it.
 */
export async function servicesMissingMaterial(
  project: Project,
  services: Iterable<string>,
  store: () => Promise<MaterialStore>,
): Promise<string[]> {
  const wanted = [...services].filter(
    (name) => project.services[name] !== undefined && hasMaterial(project.services[name]),
  );
  if (wanted.length === 0) return [];
  let material: ProjectMaterial;
  try {
    material = await ProjectMaterial.peek(await store());
  } catch {
    return []; // No place for material at all: `up` explains that, `ps` need not.
  }
  return wanted.filter((name) => !material.hasDelivered(name));
}

/** Removes the project's material and its place (`down`, and cleanup after a crash). */
export async function removeRuntimeSecrets(store: MaterialStore): Promise<void> {
  await store.destroy();
}

function servicesWithSecrets(project: Project): Set<string> {
  return new Set(
    Object.values(project.services)
      .filter(hasMaterial)
      .map((service) => service.name),
  );
}

/** Whether the service receives anything on the tmpfs (a secret or a config). */
function hasMaterial(service: Service): boolean {
  return service.secrets.length > 0 || service.configs.length > 0;
}

function union(a: Set<string>, b: Set<string>): Set<string> {
  return new Set([...a, ...b]);
}

function wipeAll(values: Map<string, SecretValue>): void {
  for (const value of values.values()) value.wipe();
}
