// The rules every stage applies to secrets and configs, in one place: how large one may be, where
// its grant puts it in the container, and which targets collide (SECRETS-SPEC.md §1,
// CLARIFICATIONS.md 14). Pure: the loader reports these rules, the stores and converters follow them.
import { posix } from "node:path";

/** The largest secret (or config) composec delivers, from any source (Swarm's own cap is 500 KiB). */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Where relative secret targets go; a service's secrets directory is mounted here. */
export const SECRETS_DIR = "/run/secrets";
export const DEFAULT_SECRET_MODE = 0o444;
/** Relative config targets resolve against the container's root (`/<config key>` by default). */
export const CONFIGS_DIR = "/";
export const DEFAULT_CONFIG_MODE = 0o444;

/** Resolves a secret target: relative under /run/secrets, absolute as given; `..`, empty, NUL refused. */
export function secretTarget(target: string): string | { error: string } {
  return grantTarget(target, "secret");
}

/** Resolves a config target: relative under `/` (Compose's `/<config key>`), else as a secret's. */
export function configTarget(target: string): string | { error: string } {
  return grantTarget(target, "config");
}

function grantTarget(target: string, kind: "secret" | "config"): string | { error: string } {
  const base = kind === "secret" ? SECRETS_DIR : CONFIGS_DIR;
  const example = kind === "secret" ? "db_password" : "app.conf";
  if (target === "")
    return { error: `"" is not a ${kind} target; use a file name such as ${example} or an absolute path` };
  if (target.includes("\0")) return { error: `a ${kind} target cannot contain a NUL byte` };
  if (target.split("/").includes("..")) {
    return {
      error:
        kind === "secret"
          ? `"${target}" climbs out with ".."; use a path under ${SECRETS_DIR} or an absolute path without ".."`
          : `"${target}" has a ".." segment; use an absolute path without ".."`,
    };
  }
  const absolute = target.startsWith("/") ? target : `${base.replace(/\/$/, "")}/${target}`;
  // Most targets are already normal (no `//`, no `.` segment, no trailing `/`): the general
  // normalizer is left for the others, as it costs more than the rest of this check.
  const normalized = /\/\/|\/\.(\/|$)|\/$/.test(absolute)
    ? posix.normalize(absolute).replace(/\/+$/, "")
    : absolute;
  if (normalized === "/proc" || normalized.startsWith("/proc/")) {
    // The container runtime refuses mounts into /proc; say so now, not after half the stack exists.
    return {
      error: `"${target}" is inside /proc, where the container runtime allows no mounts; choose another path`,
    };
  }
  if (normalized === SECRETS_DIR || normalized === "" || normalized === "/") {
    return {
      error: `"${target}" is a directory, not a file; name a file such as ${kind === "secret" ? `${SECRETS_DIR}/token` : "/etc/app.conf"}`,
    };
  }
  return normalized;
}

/** Whether a resolved target lands in the service's secrets directory (else it is a file mount of its own). */
export function isUnderSecretsDir(target: string): boolean {
  return target.startsWith(`${SECRETS_DIR}/`);
}

/** A mount's target as grants are compared with it: without trailing slashes. */
export function mountTargetKey(target: string): string {
  return target.replace(/\/+$/, "") || "/";
}

/** What a grant's target collides with; secrets and configs share one file tree with the mounts. */
export type TargetCollision<G> = { with: "grant"; grant: G } | { with: "mount"; mount: string };

/**
 * Collisions among one service's grants (secrets and configs together, in order) and its mounts
 * (`mounts` maps a mountTargetKey to what is mounted there): one target, one grant, and no grant
 * where a mount is. The first grant at a target keeps it; each later one is reported.
 */
export function targetCollisions<G extends { target: string }>(
  grants: readonly G[],
  mounts: ReadonlyMap<string, string>,
): { grant: G; collision: TargetCollision<G> }[] {
  const out: { grant: G; collision: TargetCollision<G> }[] = [];
  const seen = new Map<string, G>();
  for (const grant of grants) {
    const previous = seen.get(grant.target);
    if (previous !== undefined) out.push({ grant, collision: { with: "grant", grant: previous } });
    else seen.set(grant.target, grant);
    const mount = mounts.get(grant.target);
    if (mount !== undefined) out.push({ grant, collision: { with: "mount", mount } });
  }
  return out;
}

/**
 * What mount would hide the service's secrets directory (a mount exactly at /run/secrets while a
 * grant lands under it), or undefined. A mount at a parent such as /run is fine: ours goes on top.
 */
export function mountHidingSecrets(
  grants: readonly { target: string }[],
  mounts: ReadonlyMap<string, string>,
): string | undefined {
  const atSecretsDir = mounts.get(SECRETS_DIR);
  return atSecretsDir !== undefined && grants.some((grant) => isUnderSecretsDir(grant.target))
    ? atSecretsDir
    : undefined;
}
