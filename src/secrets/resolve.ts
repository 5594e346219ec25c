// Secret sources to bytes: the dispatcher over the kinds of source in sources/, one file each.
// Runs after the loader has validated the project and before the first engine call; the bytes
// live in SecretValue objects in memory only.
import { ProjectError, type Problem } from "../errors.js";
import type { ConfigSource, Project } from "../model/project.js";
import type { SecretValue } from "./secret-value.js";
import { commandSource } from "./sources/command.js";
import { contentSource } from "./sources/content.js";
import { environmentSource } from "./sources/environment.js";
import { fileSource } from "./sources/file.js";
import { SourceError, type SecretSource, type SourceContext, type SourceKind } from "./sources/source.js";
import { storeSource, type ExternalSecretSource } from "./sources/store.js";

export type { ExternalSecretSource } from "./sources/store.js";

/** Each kind of source, by the `kind` of a definition's source. */
const SOURCES: { [K in SourceKind]: SecretSource<K> } = {
  file: fileSource,
  environment: environmentSource,
  external: storeSource,
  command: commandSource,
  content: contentSource,
};

export interface ResolveOptions {
  /** Variables the loader interpolated with (shell over env files). */
  variables: Record<string, string>;
  /** The shell environment the variables came from (default `process.env`). */
  shell?: Record<string, string | undefined>;
  /** Raw `NAME=value` bytes of the environment (default `/proc/self/environ`), for exact bytes. */
  environBytes?: () => Promise<Buffer | undefined>;
  external?: ExternalSecretSource;
  /** Stops a running `x-composec-command`. */
  signal?: AbortSignal;
}

/** The secrets the given services (and their builds) ask for, by key. */
export function secretsUsedBy(project: Project, services: string[]): Set<string> {
  const keys = new Set<string>();
  for (const name of services) {
    const service = project.services[name];
    if (!service) continue;
    for (const grant of service.secrets) keys.add(grant.source);
    for (const grant of service.build?.secrets ?? []) keys.add(grant.source);
  }
  return keys;
}

/** Reads every secret in `keys`; all failures are reported together, and no value is kept on failure. */
export async function resolveSecrets(
  project: Project,
  keys: Iterable<string>,
  options: ResolveOptions,
): Promise<Map<string, SecretValue>> {
  return resolveAll("secret", project.secrets, keys, options);
}

/**
 * Reads every config in `keys`, as resolveSecrets reads secrets. A config is not secret, but its
 * bytes travel the same way (tmpfs only), so they are held the same way.
 */
export async function resolveConfigs(
  project: Project,
  keys: Iterable<string>,
  options: ResolveOptions,
): Promise<Map<string, SecretValue>> {
  return resolveAll("config", project.configs, keys, options);
}

async function resolveAll(
  kind: "secret" | "config",
  definitions: Record<string, { source: ConfigSource }>,
  keys: Iterable<string>,
  options: ResolveOptions,
): Promise<Map<string, SecretValue>> {
  const values = new Map<string, SecretValue>();
  const problems: Problem[] = [];
  const shared = new Map<string, Promise<unknown>>();
  const context: SourceContext = {
    kind,
    options,
    shared: <T>(key: string, load: () => Promise<T>) => {
      if (!shared.has(key)) shared.set(key, load());
      return shared.get(key) as Promise<T>;
    },
  };
  for (const key of keys) {
    const definition = definitions[key];
    if (!definition) {
      problems.push({ path: `${kind}s.${key}`, message: `${kind} "${key}" is not defined` });
      continue;
    }
    try {
      const value = await resolveSource(definition.source, context);
      values.set(key, value);
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      problems.push({ path: `${kind}s.${key}.${error.field}`, message: error.message });
    }
  }
  if (problems.length > 0) {
    for (const value of values.values()) value.wipe();
    throw new ProjectError(problems);
  }
  return values;
}

/** The source's value, read by the one SecretSource of its kind. */
function resolveSource<K extends SourceKind>(
  source: Extract<ConfigSource, { kind: K }>,
  context: SourceContext,
): Promise<SecretValue> {
  return (SOURCES[source.kind as K] as SecretSource<K>).resolve(source, context);
}
