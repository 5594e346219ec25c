// The layout of a project's material, the same in every store (see material.ts): where each
// service's files go, relative to the material's root. Pure.
import { createHash, randomBytes } from "node:crypto";
import { posix } from "node:path";
import { SECRETS_DIR, isUnderSecretsDir } from "../model/secret-rules.js";

export const KEY_FILE = ".key";
export const DIGESTS_FILE = ".digests.json";
export const CONFIGS_FILE = ".configs.json";
export const STAGING_DIR = ".staging";

/**
 * How old a staged file must be to count as a killed run's leftover: younger ones may be another
 * `up` of the project still delivering (two at once are allowed, the last commit wins), and are
 * left alone. Wide enough for a slow delivery and some clock skew between two clients.
 */
export const STALE_STAGING_MS = 10 * 60_000;

/** A new staged file's name: when it was made (ms, base 36), then random bytes. */
export function stagingName(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(12).toString("hex")}`;
}

/** Whether a staged file named `name` is a leftover to remove: older than STALE_STAGING_MS, or not named by stagingName. */
export function staleStaging(name: string, now = Date.now()): boolean {
  const match = /^([0-9a-z]{1,12})-[0-9a-f]{24}$/.exec(name);
  if (!match) return true;
  return now - parseInt(match[1]!, 36) > STALE_STAGING_MS;
}

/**
 * On the engine's side the bookkeeping files and staging share one directory (0700 root): the
 * holder (holder.c) reads the one and writes the other there, and nobody else may.
 */
export const ENGINE_META_DIR = ".meta";
export const ENGINE_STAGING_DIR = `${ENGINE_META_DIR}/staging`;

/** Where a file of the layout lives on the engine's side: the bookkeeping files under ENGINE_META_DIR. */
export function enginePath(path: string): string {
  return path === KEY_FILE || path === DIGESTS_FILE || path === CONFIGS_FILE
    ? `${ENGINE_META_DIR}/${path.slice(1)}`
    : path;
}

/** The service's /run/secrets directory, relative to the root. */
export const serviceDir = (service: string): string => posix.join("services", service);

/** The directory of the service's absolute targets, relative to the root. */
export const filesDir = (service: string): string => posix.join("files", service);

/** Where the file for `target` goes, relative to the root. */
export function pathFor(service: string, target: string): string {
  return isUnderSecretsDir(target)
    ? posix.join(serviceDir(service), posix.relative(SECRETS_DIR, target))
    : posix.join(filesDir(service), absoluteFileName(target));
}

/** The file's name only has to be unique per target; the target itself is not secret. */
function absoluteFileName(target: string): string {
  return createHash("sha256").update(target).digest("hex").slice(0, 24);
}
