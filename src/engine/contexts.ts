// Reads what the docker CLI keeps about engines: its config directory (DOCKER_CONFIG or
// ~/.docker), `currentContext` in config.json, each context's
// contexts/meta/<sha256 of its name>/meta.json and TLS files under contexts/tls/<same>/docker/,
// and the default context's TLS files (DOCKER_CERT_PATH or the config directory). Synchronous:
// a few small files, read once before the first engine call.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { EngineError } from "../errors.js";
import {
  resolveEndpoint,
  type ContextEndpoint,
  type EndpointInputs,
  type ResolvedEndpoint,
} from "./endpoint.js";

/** The docker CLI's config directory: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: Record<string, string | undefined>): string {
  const dir = env.DOCKER_CONFIG;
  return dir !== undefined && dir !== "" ? dir : path.join(env.HOME || homedir(), ".docker");
}

/** The directory name the docker CLI gives a context: the hex SHA-256 of its name. */
export function contextDirName(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

/** Resolves the engine from the flags, `env` and the docker CLI's files. */
export function resolveEngineEndpoint(
  flags: { host?: string; context?: string },
  env: Record<string, string | undefined>,
): ResolvedEndpoint {
  const configDir = dockerConfigDir(env);
  const inputs: EndpointInputs = {
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    env,
    readContext: (name) => readContext(configDir, name),
    defaultTls: tlsFilesIn(env.DOCKER_CERT_PATH || configDir),
  };
  const current = readCurrentContext(configDir);
  if (current !== undefined) inputs.currentContext = current;
  return resolveEndpoint(inputs);
}

function readCurrentContext(configDir: string): { name: string; file: string } | undefined {
  const file = path.join(configDir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new EngineError(`${file}: not valid JSON (${(error as Error).message}); fix it or remove it`, {
      cause: error,
    });
  }
  const name = (config as { currentContext?: unknown } | null)?.currentContext;
  return typeof name === "string" && name !== "" ? { name, file } : undefined;
}

function readContext(configDir: string, name: string): ContextEndpoint {
  const id = contextDirName(name);
  const file = path.join(configDir, "contexts", "meta", id, "meta.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new EngineError(
      `context "${name}" does not exist (no ${file}); create it with \`docker context create ${name} --docker host=...\`, or list them with \`docker context ls\``,
    );
  }
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(text) as typeof meta;
  } catch (error) {
    throw new EngineError(`context "${name}": ${file} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const docker = meta.Endpoints?.docker;
  if (typeof docker?.Host !== "string" || docker.Host === "") {
    throw new EngineError(
      `context "${name}": ${file} has no Endpoints.docker.Host; it names no Docker Engine`,
    );
  }
  const { ca, cert, key } = tlsFilesIn(path.join(configDir, "contexts", "tls", id, "docker"));
  return {
    host: docker.Host,
    skipTlsVerify: docker.SkipTLSVerify === true,
    tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) },
  };
}

/** Which of ca.pem, cert.pem and key.pem exist in `dir`. */
function tlsFilesIn(dir: string): { dir: string; ca?: string; cert?: string; key?: string } {
  const found: { dir: string; ca?: string; cert?: string; key?: string } = { dir };
  for (const [field, file] of [
    ["ca", "ca.pem"],
    ["cert", "cert.pem"],
    ["key", "key.pem"],
  ] as const) {
    const full = path.join(dir, file);
    if (existsSync(full)) found[field] = full;
  }
  return found;
}
