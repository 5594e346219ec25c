// The project's own tmpfs: the only place on the host where composec writes secret bytes.
import { execFile } from "node:child_process";
import { readFile, mkdir, rm, statfs } from "node:fs/promises";
import { promisify } from "node:util";
import { EngineError } from "../errors.js";

const run = promisify(execFile);
const TMPFS_MAGIC = 0x01021994;
/** Room for the material of a large project: secrets are capped at 1 MiB each. */
const TMPFS_SIZE = "64m";

import type { RuntimeLocation } from "./roots.js";
import { crashPoint } from "../crash-point.js";
export { materialRoots, runtimeLocation, type RuntimeLocation } from "./roots.js";

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
      await run("umount", ["-l", dir]).catch(async (error: unknown) => {
        // A second `down` at once unmounted it first: unmounted is what was asked.
        if (await isMountPoint(dir)) throw error;
      });
    }
    crashPoint("material.unmounted");
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
