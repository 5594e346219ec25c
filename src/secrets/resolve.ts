// Secret sources to bytes. Runs after the loader has validated the project and before the first
// engine call; the bytes live in SecretValue objects in memory only.
import { constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { ProjectError, type Problem } from "../errors.js";
import type { ConfigSource, Project } from "../model/project.js";
import { CommandSourceError, readCommandSource } from "./command-source.js";
import { SecretValue } from "./secret-value.js";

/** Where the bytes of an `external` secret come from (the encrypted store). */
export interface ExternalSecretSource {
  read(name: string): Promise<SecretValue | undefined>;
  /** Where it looked and what it has, for a helpful "not found". */
  describe(name: string): Promise<string>;
}

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
  let environ: Map<string, Buffer> | undefined;
  for (const key of keys) {
    const definition = definitions[key];
    if (!definition) {
      problems.push({ path: `${kind}s.${key}`, message: `${kind} "${key}" is not defined` });
      continue;
    }
    try {
      const value = await readSource(definition.source, kind, options, async () => {
        environ ??= parseEnviron(await (options.environBytes ?? readProcEnviron)());
        return environ;
      });
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

class SourceError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

async function readSource(
  source: ConfigSource,
  kind: "secret" | "config",
  options: ResolveOptions,
  environ: () => Promise<Map<string, Buffer>>,
): Promise<SecretValue> {
  switch (source.kind) {
    case "content":
      return new SecretValue(Buffer.from(source.content, "utf8"));
    case "file":
      return new SecretValue(await readSecretFile(source.path, kind));
    case "environment": {
      const value = options.variables[source.variable];
      if (value === undefined) {
        throw new SourceError("environment", `variable ${source.variable} is not set`);
      }
      const shell = options.shell ?? process.env;
      // process.env replaces bytes that are not UTF-8 with U+FFFD; a value that came from the shell
      // is read again from the raw environment so the secret holds exactly what was set.
      if (shell[source.variable] === value) {
        const raw = (await environ()).get(source.variable);
        // Only when the raw bytes are the same variable (the environment was not changed since).
        if (raw !== undefined && raw.toString("utf8") === value) return new SecretValue(raw);
      }
      return new SecretValue(Buffer.from(value, "utf8"));
    }
    case "external": {
      if (!options.external) {
        throw new SourceError(
          "external",
          `"${source.name}" is an external ${kind}, and the local secret store is not open; create it with \`composec secret create ${source.name} FILE\``,
        );
      }
      const value = await options.external.read(source.name);
      if (!value) throw new SourceError("external", await options.external.describe(source.name));
      return value;
    }
    case "command":
      try {
        return await readCommandSource(source, {
          env: options.shell ?? process.env,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
      } catch (error) {
        if (error instanceof CommandSourceError) throw new SourceError("x-composec-command", error.message);
        throw error;
      }
  }
}

/**
 * Reads a secret file. Opened non-blocking so that a FIFO swapped in after validation cannot hang
 * us, and checked again on the open descriptor, so what we read is what we checked.
 */
export async function readSecretFile(path: string, kind: "secret" | "config" = "secret"): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SourceError("file", `"${path}" cannot be opened (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SourceError("file", `"${path}" is not a regular file`);
    if (stat.size > MAX_SECRET_BYTES) {
      throw new SourceError(
        "file",
        `"${path}" holds ${stat.size} bytes, more than the ${MAX_SECRET_BYTES}-byte limit for a ${kind}`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.length > MAX_SECRET_BYTES) {
      bytes.fill(0);
      throw new SourceError(
        "file",
        `"${path}" grew beyond the ${MAX_SECRET_BYTES}-byte limit while being read`,
      );
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

async function readProcEnviron(): Promise<Buffer | undefined> {
  try {
    return await readFile("/proc/self/environ");
  } catch {
    return undefined;
  }
}

/** `NAME=value\0...` to a map of raw value bytes. */
function parseEnviron(bytes: Buffer | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!bytes) return out;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    const equals = bytes.indexOf(0x3d, start);
    if (equals > start && equals < end) {
      out.set(bytes.subarray(start, equals).toString("latin1"), Buffer.from(bytes.subarray(equals + 1, end)));
    }
    start = end + 1;
  }
  return out;
}
