// Registry credentials for pulls, read as the docker CLI reads them: `$DOCKER_CONFIG/config.json`
// (default ~/.docker/config.json), its `auths` entry for the image's registry, either a base64
// `auth` of "user:password" or `username` and `password` (or an `identitytoken`). Credential
// helpers (`credsStore`, `credHelpers`) are not run: when one is named for the registry and no
// `auths` entry answers, the caller is told so instead of getting a puzzling "unauthorized".
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";

const DOCKER_HUB = "docker.io";
/** The keys `docker login` has written for Docker Hub over the years. */
const DOCKER_HUB_KEYS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
const REDACTED = "[registry credentials redacted]";

/** The fields of the Engine's `X-Registry-Auth` header (dockerode's `authconfig`). */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

/**
 * Credentials for one registry. Like SecretValue, nothing turns them into text by accident; the
 * engine client alone reads them, through `authConfig()`, to build the request header.
 */
export class RegistryCredentials {
  readonly registry: string;
  readonly #config: AuthConfig;

  constructor(registry: string, config: AuthConfig) {
    this.registry = registry;
    this.#config = config;
  }

  authConfig(): AuthConfig {
    return { ...this.#config };
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export interface CredentialLookup {
  credentials?: RegistryCredentials;
  /** Why credentials that may be needed are not used (a credential helper, an unreadable file). */
  note?: string;
}

/**
 * The registry part of an image reference, as the Engine reads it: the first path component when
 * it looks like a host (has a `.` or a `:`, or is `localhost`), else Docker Hub.
 */
export function registryOf(reference: string): string {
  const slash = reference.indexOf("/");
  if (slash < 0) return DOCKER_HUB;
  const first = reference.slice(0, slash);
  if (first === "localhost" || first.includes(".") || first.includes(":")) {
    return DOCKER_HUB_KEYS.has(first) ? DOCKER_HUB : first;
  }
  return DOCKER_HUB;
}

/** `https://index.docker.io/v1/` -> `docker.io`; `http://host:5000/v2/` -> `host:5000`. */
function hostOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0] ?? "";
  return DOCKER_HUB_KEYS.has(host) ? DOCKER_HUB : host;
}

/** Where the docker CLI keeps its configuration: `$DOCKER_CONFIG`, else ~/.docker. */
export function dockerConfigPath(env: Record<string, string | undefined>): string {
  const dir = env.DOCKER_CONFIG ? env.DOCKER_CONFIG : path.join(env.HOME || homedir(), ".docker");
  return path.join(dir, "config.json");
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown }>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

/** config.json's credentials, read once for a batch of pulls. */
export interface RegistryCredentialSource {
  /** Why the file's credentials are not used at all (unreadable, not JSON). */
  note?: string;
  /** The credentials the file holds for `reference`'s registry, if any. */
  lookup(reference: string): CredentialLookup;
}

/** Reads config.json once; its lookup answers for every image of the batch. */
export async function registryCredentials(
  env: Record<string, string | undefined>,
): Promise<RegistryCredentialSource> {
  const file = dockerConfigPath(env);
  const none = (note?: string): RegistryCredentialSource => ({
    ...(note === undefined ? {} : { note }),
    lookup: () => ({}),
  });
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return none();
    return none(
      `${file} cannot be read (${(error as NodeJS.ErrnoException).code}); pulling without credentials`,
    );
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(text) as DockerConfigFile;
  } catch {
    // The parser's message quotes the text around the fault, which may be a password: leave it out.
    return none(`${file} is not valid JSON; pulling without credentials`);
  }
  return { lookup: (reference) => lookup(reference, config, file) };
}

/** Picks the `auths` entry for the reference's registry. Pure, for tests. */
export function lookup(reference: string, config: DockerConfigFile, file = "config.json"): CredentialLookup {
  const registry = registryOf(reference);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOfKey(key) === registry)?.[1];
  const serveraddress = registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry;
  if (entry !== undefined && typeof entry === "object" && entry !== null) {
    if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
      return {
        credentials: new RegistryCredentials(registry, { identitytoken: entry.identitytoken, serveraddress }),
      };
    }
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) {
        return {
          note: `${file}: the auth entry for ${registry} is not base64 of user:password; pulling without credentials`,
        };
      }
      return {
        credentials: new RegistryCredentials(registry, {
          username: decoded.slice(0, colon),
          password: decoded.slice(colon + 1),
          serveraddress,
        }),
      };
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") {
      return {
        credentials: new RegistryCredentials(registry, {
          username: entry.username,
          password: entry.password,
          serveraddress,
        }),
      };
    }
  }
  const helper = helperFor(config, registry);
  if (helper !== undefined) {
    return {
      note: `${file} names the credential helper "${helper}" for ${registry}; composec does not run credential helpers, so it pulls without credentials; add an auths entry for ${registry} (username and password, or a base64 auth) to use them`,
    };
  }
  return {};
}

function helperFor(config: DockerConfigFile, registry: string): string | undefined {
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (hostOfKey(key) === registry && typeof helper === "string") return helper;
  }
  return typeof config.credsStore === "string" && config.credsStore !== "" ? config.credsStore : undefined;
}
