// The project's own tmpfs: the only place on the host where composec writes secret bytes.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { readFile, mkdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { EngineError } from "../errors.js";

const run = promisify(execFile);
const TMPFS_MAGIC = 0x01021994;
/** Room for the material of a large project: secrets are capped at 1 MiB each. */
const TMPFS_SIZE = "64m";

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

/** Whether `path` is on a tmpfs. */
export async function isTmpfs(path: string): Promise<boolean> {
  try {
    return (await statfs(path)).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** Mounts the project's tmpfs at `dir` unless one is there already; returns warnings to show. */
export async function ensureTmpfs(dir: string, location: RuntimeLocation): Promise<string[]> {
  const warnings: string[] = [];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (await isTmpfs(dir)) {
    if (!location.mountPerProject || (await isMountPoint(dir))) return warnings;
  }
  if (!location.mountPerProject) {
    throw new EngineError(
      `${dir} is not on a tmpfs; secrets are never written to disk. Set XDG_RUNTIME_DIR to a tmpfs, or run as root`,
    );
  }
  const options = `mode=0700,nosuid,nodev,noexec,size=${TMPFS_SIZE}`;
  try {
    // noswap (Linux 6.4+) keeps the pages out of swap; older kernels refuse the option.
    await run("mount", ["-t", "tmpfs", "-o", `${options},noswap`, "composec-secrets", dir]);
  } catch {
    try {
      await run("mount", ["-t", "tmpfs", "-o", options, "composec-secrets", dir]);
    } catch (error) {
      throw new EngineError(
        `cannot mount a tmpfs at ${dir} for the project's secrets: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
        { cause: error },
      );
    }
    if (await swapIsOn()) {
      warnings.push(
        `this kernel cannot keep ${dir} out of swap (no tmpfs noswap), and swap is on: secret bytes could reach the swap device`,
      );
    }
  }
  return warnings;
}

/** Unmounts (when we mounted it) and removes the project's directory and everything in it. */
export async function removeTmpfs(dir: string, location: RuntimeLocation): Promise<void> {
  if (location.mountPerProject && (await isMountPoint(dir))) {
    try {
      await run("umount", [dir]);
    } catch {
      // A container still holding a bind mount keeps the tmpfs busy on some kernels: detach it now,
      // the kernel frees it when the last user goes.
      await run("umount", ["-l", dir]);
    }
  }
  await rm(dir, { recursive: true, force: true });
}

async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  const escaped = dir.replace(/ /g, "\\040");
  return mounts.split("\n").some((line) => line.split(" ")[1] === escaped);
}

async function swapIsOn(): Promise<boolean> {
  const swaps = await readFile("/proc/swaps", "utf8").catch(() => "");
  return swaps.trim().split("\n").length > 1;
}
