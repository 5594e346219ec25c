// Which path a project's runtime secrets take (issue 12, part 3): the local tmpfs when the engine
// shares this host's files, the engine's side otherwise. A flag (or its environment variable) or
// the compose file's top-level `x-composec: { secrets-delivery: ... }` forces either. Pure.
import { formatEndpoint, isLocalEndpoint, type EngineEndpoint } from "../engine/endpoint.js";
import type { Project } from "../model/project.js";

export type DeliveryPath = "local" | "engine";

export const DELIVERY_PATHS: readonly DeliveryPath[] = ["local", "engine"];

/** The top-level extension composec reads its project-wide settings from. */
export const COMPOSEC_EXTENSION = "x-composec";
/** Its key forcing the delivery path. */
export const DELIVERY_KEY = "secrets-delivery";

/** A path forced from outside the compose file, and by what (`--secrets-delivery`, an environment variable). */
export interface DeliveryOverride {
  path: DeliveryPath;
  source: string;
}

export interface DeliveryChoice {
  path: DeliveryPath;
  /** Why, in a few words, for `config` and `up --dry-run`. */
  reason: string;
  /** Set when secrets must not be delivered this way: the message says why and what to do. */
  refusal?: string;
}

/** The path the project's file forces, when it does (the loader checked the value). */
export function fileDeliveryPath(project: Pick<Project, "extensions"> | undefined): DeliveryPath | undefined {
  const settings = project?.extensions[COMPOSEC_EXTENSION];
  if (settings === null || typeof settings !== "object") return undefined;
  const value = (settings as Record<string, unknown>)[DELIVERY_KEY];
  return value === "local" || value === "engine" ? value : undefined;
}

/** Chooses the delivery path for `project` on `endpoint`; `override` (flag, environment) wins over the file. */
export function chooseDelivery(
  endpoint: EngineEndpoint,
  project: Pick<Project, "extensions"> | undefined,
  override?: DeliveryOverride,
): DeliveryChoice {
  const address = formatEndpoint(endpoint);
  const local = isLocalEndpoint(endpoint);
  const fromFile = fileDeliveryPath(project);
  const forced =
    override ??
    (fromFile === undefined
      ? undefined
      : { path: fromFile, source: `${COMPOSEC_EXTENSION}.${DELIVERY_KEY}` });
  const path: DeliveryPath = forced?.path ?? (local ? "local" : "engine");
  const reason = forced
    ? `forced by ${forced.source}`
    : local
      ? `the engine (${address}) is a unix socket on this host`
      : `the engine (${address}) is not on this host`;
  const choice: DeliveryChoice = { path, reason };
  if (path === "local" && !local) {
    choice.refusal = `${forced!.source} asks for local secrets delivery, but the engine at ${address} is not on this host: it would bind-mount a path of its own host, where composec's tmpfs does not exist (an empty directory, or someone else's files). Use engine (the default for a remote engine), or a local engine (unix socket)`;
  } else if (path === "engine" && endpoint.kind === "tcp" && endpoint.protocol === "http") {
    choice.refusal = `secrets are not sent to the engine at ${address}: it is plain tcp without TLS, so their bytes would cross the network in clear. Set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (a TLS endpoint), or use ssh:// or a local socket`;
  }
  return choice;
}

/** `--secrets-delivery` (or COMPOSEC_SECRETS_DELIVERY), checked; undefined when neither is set. */
export function parseDeliveryOverride(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): DeliveryOverride | { error: string } | undefined {
  const [value, source] =
    flag !== undefined
      ? [flag, "--secrets-delivery"]
      : env["COMPOSEC_SECRETS_DELIVERY"]
        ? [env["COMPOSEC_SECRETS_DELIVERY"], "COMPOSEC_SECRETS_DELIVERY"]
        : [undefined, ""];
  if (value === undefined) return undefined;
  if (value !== "local" && value !== "engine")
    return { error: `${source} "${value}" is not a delivery path; use local or engine` };
  return { path: value, source };
}
