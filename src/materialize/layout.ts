// The layout of a project's material, the same in every store (see material.ts): where each
// service's files go, relative to the material's root. Pure.
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { SECRETS_DIR, isUnderSecretsDir } from "../model/secret-rules.js";

export const KEY_FILE = ".key";
export const DIGESTS_FILE = ".digests.json";
export const CONFIGS_FILE = ".configs.json";
export const STAGING_DIR = ".staging";

/**
 * How many times one delivery stages its files again when another `up` of the project removed
 * them as a killed run's leftovers (both clear staging on open) before the loss is an error.
 */
export const STAGING_LOST_ATTEMPTS = 4;

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
