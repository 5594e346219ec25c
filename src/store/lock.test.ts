// The store lock: one holder at a time, and a holder that died (kill -9) does not block the next.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import { withLock, type LockOwner } from "./lock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "composec-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockFile = () => path.join(dir, "lock");
const owner = (fields: Partial<LockOwner>): string =>
  JSON.stringify({
    pid: process.pid,
    host: hostname(),
    token: "other",
    since: "2026-01-01T00:00:00Z",
    ...fields,
  });
const startOf = async (pid: number) => {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("withLock", () => {
  it("lets one holder in at a time", async () => {
    let inside = 0;
    let most = 0;
    let counter = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withLock(dir, async () => {
          inside++;
          most = Math.max(most, inside);
          const seen = counter;
          await sleep(2);
          counter = seen + 1;
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(counter).toBe(20);
    await expect(stat(lockFile())).rejects.toThrow(/ENOENT/);
  });

  it("releases the lock when the action throws", async () => {
    await expect(withLock(dir, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(stat(lockFile())).rejects.toThrow(/ENOENT/);
  });

  it("waits for a live holder, then says who holds it", async () => {
    await writeFile(lockFile(), owner({ start: await startOf(process.pid) }));
    const error = await withLock(dir, async () => "got it", { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(new RegExp(`locked by pid ${process.pid} on ${hostname()}`));
    expect((error as Error).message).toContain(lockFile());
  });

  it("breaks the lock of a process killed with SIGKILL at once", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    await writeFile(lockFile(), owner({ pid: child.pid!, start: await startOf(child.pid!) }));
    // Held by a live process: not broken.
    await expect(withLock(dir, async () => "got it", { timeoutMs: 100 })).rejects.toThrow(/locked by pid/);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const started = Date.now();
    await expect(withLock(dir, async () => "got it", { timeoutMs: 5000 })).resolves.toBe("got it");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("treats a reused pid (same pid, another start time) as dead", async () => {
    await writeFile(lockFile(), owner({ start: "1" }));
    await expect(withLock(dir, async () => "got it", { timeoutMs: 1000 })).resolves.toBe("got it");
  });

  it("breaks another host's lock only when it is old", async () => {
    await writeFile(lockFile(), owner({ host: "elsewhere.example" }));
    await expect(
      withLock(dir, async () => "got it", { timeoutMs: 100, foreignStaleMs: 60_000 }),
    ).rejects.toThrow(/locked by pid \d+ on elsewhere\.example/);
    const old = new Date(Date.now() - 120_000);
    await utimes(lockFile(), old, old);
    await expect(
      withLock(dir, async () => "got it", { timeoutMs: 1000, foreignStaleMs: 60_000 }),
    ).resolves.toBe("got it");
  });

  it("breaks an unreadable lock file only when it is old", async () => {
    await writeFile(lockFile(), "");
    await expect(withLock(dir, async () => 1, { timeoutMs: 100 })).rejects.toThrow(
      /locked by another process/,
    );
    const old = new Date(Date.now() - 3_600_000);
    await utimes(lockFile(), old, old);
    await expect(withLock(dir, async () => 1, { timeoutMs: 1000 })).resolves.toBe(1);
  });

  it("lets exactly one of many waiters break a dead lock", async () => {
    await writeFile(lockFile(), owner({ pid: 999_999_999 }));
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withLock(dir, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("does not remove a lock that is no longer its own", async () => {
    await withLock(dir, async () => {
      // Our lock was (wrongly) broken and someone else took it.
      await writeFile(lockFile(), owner({ token: "someone-else" }));
    });
    expect(JSON.parse(await readFile(lockFile(), "utf8")).token).toBe("someone-else");
  });
});
