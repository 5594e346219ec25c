// Runtime secrets for `up`: resolve every source before the engine is touched, compare with what
// is in place on the project's tmpfs, tell the planner which containers must be recreated, and
// deliver the material once the plan is known to be possible. Configs go the same way, beside the
// secrets: same sources (and inline content), same tmpfs, same change detection.
import { join } from "node:path";
import { EngineError } from "../errors.js";
import type { EngineEndpoint } from "../engine/client.js";
import { ProjectMaterial, type SecretMount } from "../materialize/material.js";
import {
  ensureTmpfs,
  isTmpfs,
  removeTmpfs,
  runtimeLocation,
  type RuntimeLocation,
} from "../materialize/tmpfs.js";
import type { Project, Service } from "../model/project.js";
import { checkEnvSecretValues } from "./env-shim.js";
import { resolveConfigs, resolveSecrets, type ResolveOptions } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { crashPoint } from "../crash-point.js";

/** The service extension naming a signal to send after its secrets changed in place. */
export const RELOAD_SIGNAL_EXTENSION = "x-composec-reload-signal";

export interface RuntimeSecretsOptions extends ResolveOptions {
  endpoint: EngineEndpoint;
  /** Plan only: nothing is mounted or written. */
  dryRun?: boolean;
  location?: RuntimeLocation;
}

/** What `up` needs to know and do about the selected services' secrets. */
export interface RuntimeSecrets {
  /** Read-only bind mounts per service. */
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
  const location = options.location ?? runtimeLocation();
  const dir = projectMaterialDir(project.name, location);
  const empty: RuntimeSecrets = {
    mounts: {},
    recreate: {},
    changedLive: {},
    warnings: [],
    // Services may have dropped their secrets: their old material goes, nothing else is needed.
    deliver: async (keep) => {
      if (keep && !options.dryRun && (await isTmpfs(dir)))
        await (
          await ProjectMaterial.open(dir)
        ).removeServicesExcept(union(servicesWithSecrets(project), keep));
    },
    commit: async () => undefined,
    wipe: () => undefined,
  };
  if (services.length === 0) return empty;
  if (options.endpoint.kind !== "unix") {
    throw new EngineError(
      `services ${services.map((s) => s.name).join(", ")} have secrets or configs, which composec delivers from a tmpfs on this host; the engine at ${options.endpoint.host}:${options.endpoint.port} cannot see it. Use a local engine (unix socket)`,
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
  const material = await ProjectMaterial.peek(dir);
  let writable: ProjectMaterial | undefined;
  const result: RuntimeSecrets = {
    mounts: {},
    recreate: {},
    changedLive: {},
    warnings: [],
    deliver: async (keep) => {
      result.warnings.push(...(await ensureTmpfs(dir, location)));
      crashPoint("material.tmpfs-mounted");
      writable = await ProjectMaterial.open(dir);
      for (const service of services) await writable.deliver(service, values, configValues);
      if (keep) await writable.removeServicesExcept(union(servicesWithSecrets(project), keep));
    },
    commit: async (replaced) => writable?.commitReplaced(replaced),
    wipe: () => {
      wipeAll(values);
      wipeAll(configValues);
    },
  };
  for (const service of services) {
    const state = material.compare(service, values, configValues);
    result.mounts[service.name] = state.mounts;
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
  location?: RuntimeLocation,
): Promise<string[]> {
  let where: RuntimeLocation;
  try {
    where = location ?? runtimeLocation();
  } catch {
    return []; // No place for material at all: `up` explains that, `ps` need not.
  }
  const material = await ProjectMaterial.peek(projectMaterialDir(project.name, where));
  return [...services].filter(
    (name) =>
      project.services[name] !== undefined &&
      hasMaterial(project.services[name]) &&
      !material.hasDelivered(name),
  );
}

/** Removes the project's material and its tmpfs (`down`, and cleanup after a crash). */
export async function removeRuntimeSecrets(
  projectName: string,
  location: RuntimeLocation = runtimeLocation(),
): Promise<void> {
  await removeTmpfs(projectMaterialDir(projectName, location), location);
}

export function projectMaterialDir(projectName: string, location: RuntimeLocation): string {
  return join(location.root, projectName);
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
