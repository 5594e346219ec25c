// Where composec keeps secret material on this host. Apart from tmpfs.ts (which mounts, with
// child_process) so that the loader's check of bind mounts against these roots, which every
// `config` runs, does not load what only `up` needs.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EngineError } from "../errors.js";

/** Where a project's material lives: `<root>/<project>` on a tmpfs of its own (root) or the user's. */
export interface RuntimeLocation {
  /** Directory holding one directory per project. */
  root: string;
  /** Whether composec mounts a tmpfs per project there (as root) or relies on an existing one. */
  mountPerProject: boolean;
}

/** Where root keeps the material: one tmpfs per project below it. */
const ROOT_MATERIAL_DIR = "/run/composec";
/** Where systemd makes each user's runtime directory (`XDG_RUNTIME_DIR`). */
const USER_RUNTIME_DIRS = "/run/user";
/** The material directory a user's runtime directory holds. */
const userMaterialDir = (runtimeDir: string): string => join(runtimeDir, "composec");

/**
 * As root: `/run/composec`, one tmpfs mounted per project. As another user: `$XDG_RUNTIME_DIR/composec`,
 * which must already be a tmpfs. `COMPOSEC_RUNTIME_DIR` overrides the directory (tests use it).
 */
export function runtimeLocation(env: Record<string, string | undefined> = process.env): RuntimeLocation {
  const root = process.getuid?.() === 0;
  const override = env["COMPOSEC_RUNTIME_DIR"];
  if (override) return { root: override, mountPerProject: root };
  if (root) return { root: ROOT_MATERIAL_DIR, mountPerProject: true };
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  if (!runtimeDir) {
    throw new EngineError(
      "secrets need a tmpfs to live on: run composec as root, or set XDG_RUNTIME_DIR to a tmpfs you own (systemd's /run/user/<uid>)",
    );
  }
  return { root: userMaterialDir(runtimeDir), mountPerProject: false };
}

/**
 * Every directory that may hold composec's material on this host, whoever runs it: the one this
 * process uses, root's, and the caller's runtime directory's. A container's bind is made by the
 * engine (as root), so a non-root caller's service could read root's material too.
 */
export function materialRoots(env: Record<string, string | undefined> = process.env): string[] {
  const roots = new Set<string>([ROOT_MATERIAL_DIR]);
  if (env["COMPOSEC_RUNTIME_DIR"]) roots.add(env["COMPOSEC_RUNTIME_DIR"]);
  if (env["XDG_RUNTIME_DIR"]) roots.add(userMaterialDir(env["XDG_RUNTIME_DIR"]));
  // Other users' runtime directories (systemd's /run/user/<uid>): their material is theirs to keep.
  for (const uid of listDirectory(USER_RUNTIME_DIRS)) {
    if (/^\d+$/.test(uid)) roots.add(userMaterialDir(join(USER_RUNTIME_DIRS, uid)));
  }
  return [...roots];
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
