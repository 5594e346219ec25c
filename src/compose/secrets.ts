// Runtime secrets for `up` and `run`: choose the delivery path, and resolve every source before the
// engine is touched, into the materialize executor that observes what is in place and carries out
// the plan's material steps (plan/secrets-plan.ts decides them). Configs go the same way, beside the
// secrets: same sources (and inline content), same place, same change detection.
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { MaterialExecutor } from "../materialize/execute-material.js";
import { ProjectMaterial } from "../materialize/material.js";
import type { MaterialStore } from "../materialize/store.js";
import { materialStore, projectMaterialDir } from "../materialize/stores.js";
import type { RuntimeLocation } from "../materialize/roots.js";
import type { Project, Service } from "../model/project.js";
import { hasMaterial, RELOAD_SIGNAL_EXTENSION } from "../plan/secrets-plan.js";
import { chooseDelivery, type DeliveryChoice, type DeliveryOverride } from "../plan/secrets-delivery.js";
import { checkEnvSecretValues } from "./env-shim.js";
import { resolveConfigs, resolveSecrets, type ResolveOptions } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";

export { projectMaterialDir, RELOAD_SIGNAL_EXTENSION };

/** Where the project's material goes: the path chosen once for the command, and its store. */
export interface SecretsDelivery {
  choice: DeliveryChoice;
  store: MaterialStore;
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

export interface RuntimeSecretsOptions extends ResolveOptions {
  delivery: SecretsDelivery;
  /** Told warnings from making the material's place writable. */
  onWarning?: (message: string) => void;
}

/**
 * Resolves the secrets and configs of `selected` and returns the materialize executor holding them
 * (it observes what is in place and carries out the plan's material steps); throws before any
 * engine call when a source fails or the delivery path is refused.
 */
export async function prepareMaterial(
  project: Project,
  selected: Set<string>,
  options: RuntimeSecretsOptions,
): Promise<MaterialExecutor> {
  const services = [...selected].map((name) => project.services[name] as Service).filter(hasMaterial);
  const { store, choice } = options.delivery;
  const executor = (secrets: Map<string, SecretValue>, configs: Map<string, SecretValue>): MaterialExecutor =>
    new MaterialExecutor(store, services, secrets, configs, options.onWarning);
  if (services.length === 0) return executor(new Map(), new Map());
  if (choice.refusal !== undefined) {
    throw new EngineError(
      `services ${services.map((s) => s.name).join(", ")} have secrets or configs; ${choice.refusal}`,
    );
  }
  const keys = new Set(services.flatMap((service) => service.secrets.map((grant) => grant.source)));
  const configKeys = new Set(services.flatMap((service) => service.configs.map((grant) => grant.source)));
  const values = await resolveSecrets(project, keys, options);
  try {
    checkEnvSecretValues(project, selected, values);
    return executor(values, await resolveConfigs(project, configKeys, options));
  } catch (error) {
    for (const value of values.values()) value.wipe();
    throw error;
  }
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
