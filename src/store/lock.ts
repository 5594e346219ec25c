// A cross-process lock on the store that survives `kill -9` (Node 20 has no flock).
//
// The lock is a file, `<store>/lock`, holding its owner: pid, the process's start time (from
// /proc, so a reused pid is not mistaken for the owner), host name and a random token. It is taken
// by link(2)ing a fully written temporary file to that name: link fails if the name exists, and a
// reader never sees a half-written owner.
//
// Staleness: on the same host an owner whose pid is gone, or belongs to a process started at
// another time, is dead, and its lock is broken at once (no waiting out a timeout after kill -9).
// An owner on another host (a store on a shared disk) cannot be checked; its lock is stale after
// `foreignStaleMs`. Breakers take turns (see breakLock), so two processes breaking the same stale
// lock cannot both win, nor remove a lock taken in between.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { StoreError } from "../errors.js";

export interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22), if known. */
  start?: string;
  host: string;
  token: string;
  since: string;
}

export interface LockOptions {
  /** Give up waiting after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock held from another host is stale after this long (default 10 min). */
  foreignStaleMs?: number;
  /** Whether a process is alive and is the one that took the lock (tests replace it). */
  isAlive?: (owner: LockOwner) => boolean;
}

/** What `withLock` tells its action about how the lock was taken. */
export interface LockTaken {
  /** A dead owner's lock was broken on the way: it may have left its work half done. */
  brokeStale: boolean;
}

/** Runs `action` holding the store's lock; the lock is released however `action` ends. */
export async function withLock<T>(
  directory: string,
  action: (taken: LockTaken) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockFile = path.join(directory, "lock");
  const { token, brokeStale } = await acquire(lockFile, options);
  try {
    return await action({ brokeStale });
  } finally {
    await release(lockFile, token);
  }
}

async function acquire(
  lockFile: string,
  options: LockOptions,
): Promise<{ token: string; brokeStale: boolean }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const token = randomBytes(12).toString("hex");
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    token,
    since: new Date().toISOString(),
    ...(processStart(process.pid) !== undefined ? { start: processStart(process.pid) } : {}),
  };
  const temp = `${lockFile}.${token}.tmp`;
  await writeFile(temp, JSON.stringify(owner), { mode: 0o600 });
  let brokeStale = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, lockFile);
        return { token, brokeStale };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readOwner(lockFile);
      if (holder === "gone") continue;
      if (await isStale(lockFile, holder, options)) {
        await breakLock(lockFile, holder, options);
        brokeStale = true;
        continue;
      }
      if (Date.now() > deadline) {
        const who =
          holder === "unreadable"
            ? "another process"
            : `pid ${holder.pid} on ${holder.host} since ${holder.since}`;
        throw new StoreError(
          `the secret store is locked by ${who} (waited ${timeoutMs / 1000} s); if no composec process is running, remove ${lockFile}`,
        );
      }
      // Random back-off, growing a little: twenty waiting processes should not poll in step.
      await sleep(2 + Math.random() * Math.min(50, 5 + attempt * 2));
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function release(lockFile: string, token: string): Promise<void> {
  const holder = await readOwner(lockFile);
  // Only our own lock: if ours was broken (we were presumed dead), the file is someone else's.
  if (typeof holder === "object" && holder.token === token) await unlink(lockFile).catch(() => {});
}

async function readOwner(lockFile: string): Promise<LockOwner | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === "number" && typeof owner.token === "string" ? owner : "unreadable";
  } catch {
    return "unreadable";
  }
}

async function isStale(
  lockFile: string,
  holder: LockOwner | "unreadable",
  options: LockOptions,
): Promise<boolean> {
  if (holder !== "unreadable" && holder.host === hostname()) {
    return !(options.isAlive ?? isProcessAlive)(holder);
  }
  // Another host, or a lock file written by something else: only its age can tell.
  try {
    const { mtimeMs } = await stat(lockFile);
    return Date.now() - mtimeMs > (options.foreignStaleMs ?? 10 * 60_000);
  } catch {
    return false;
  }
}

async function breakLock(
  lockFile: string,
  holder: LockOwner | "unreadable",
  options: LockOptions,
): Promise<void> {
  // Breakers take turns through a second lock, so that between "it is still the dead owner's"
  // and the unlink nobody else can remove it and take the name (the owner itself is dead, and
  // only a breaker removes another's lock). The guard is held for microseconds; one older than
  // GUARD_STALE_MS belongs to a breaker that died mid-way and is removed.
  const guard = `${lockFile}.break`;
  try {
    await (await open(guard, "wx", 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > GUARD_STALE_MS) await unlink(guard).catch(() => {});
    return;
  }
  try {
    const now = await readOwner(lockFile);
    const same =
      holder === "unreadable"
        ? now === "unreadable" && (await isStale(lockFile, now, options))
        : typeof now === "object" && now.token === holder.token;
    if (same) await unlink(lockFile).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

/** Whether the lock's owner still runs: its pid exists and, where /proc tells, started when it did. */
export function isProcessAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = processStat(owner.pid);
  if (stat === undefined) return true;
  // A zombie (killed, not yet reaped by its parent) holds its pid but nothing else.
  if (stat.state === "Z") return false;
  return owner.start === undefined || stat.start === owner.start;
}

/** State (field 3) and start time (field 22, clock ticks since boot) of /proc/PID/stat; undefined off Linux. */
function processStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== undefined && fields[19] !== undefined
      ? { state: fields[0], start: fields[19] }
      : undefined;
  } catch {
    return undefined;
  }
}

function processStart(pid: number): string | undefined {
  return processStat(pid)?.start;
}

const GUARD_STALE_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
