// audit.log: one JSON object per line, appended, never rewritten: who did what to which secret.
// Never a value, nor anything derived from one (no digest either: a digest of a short secret is a
// dictionary attack away from the value).
import { appendFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { userInfo } from "node:os";

export type AuditOperation = "create" | "rotate" | "rollback" | "rm" | "reveal" | "use" | "key-rotate";

export interface AuditEntry {
  time: string;
  uid: number | null;
  user: string | null;
  operation: AuditOperation;
  name?: string;
  version?: number;
  /** The project that used the secret (`use`). */
  project?: string;
}

export type AuditEvent = Omit<AuditEntry, "time" | "uid" | "user">;

/** The user running this process, as the log records it. */
export function currentUser(): { uid: number | null; user: string | null } {
  const uid = process.getuid?.() ?? null;
  try {
    return { uid, user: userInfo().username };
  } catch {
    // A uid with no passwd entry (common in containers): the uid alone.
    return { uid, user: null };
  }
}

/** Stamps events with the time and the user: the entries `appendAudit` writes. */
export function auditEntries(events: AuditEvent[]): AuditEntry[] {
  const who = currentUser();
  const time = new Date().toISOString();
  return events.map((event) => ({ time, ...who, ...event }));
}

/** The log's text for `entries`: one JSON object a line. */
export function auditText(entries: AuditEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
}

/**
 * Appends entries as whole lines with one write (O_APPEND keeps concurrent writers' lines apart).
 * `durable` fsyncs, for operations that change the store; reads (`use`, `reveal`) skip it so that
 * resolving fifty secrets does not wait for fifty disk flushes.
 */
export async function appendAudit(
  file: string,
  events: AuditEvent[] | AuditEntry[],
  options: { durable: boolean },
): Promise<void> {
  if (events.length === 0) return;
  const entries = events.map((event) => ("time" in event ? event : auditEntries([event])[0]!));
  const text = auditText(entries);
  if (!options.durable) {
    // Synchronous on purpose: one small append without four thread-pool round trips; `up`
    // resolving fifty secrets appends fifty lines, and this halves what that costs.
    appendFileSync(file, text, { mode: 0o600 });
    return;
  }
  const handle = await open(file, "a", 0o600);
  try {
    await handle.write(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Whether the log already holds `entries`, appended together (looked for in its last MiB: a writer
 * that died after appending them, before it removed its journal, appended them at the end, and
 * only readers' few lines can have come after).
 */
export async function auditHolds(file: string, entries: AuditEntry[]): Promise<boolean> {
  if (entries.length === 0) return true;
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 1024 * 1024);
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    return tail.includes(auditText(entries));
  } finally {
    await handle.close();
  }
}

/** The log's entries, oldest first; a line that is not JSON (torn by a crash) is skipped and counted. */
export async function readAudit(file: string): Promise<{ entries: AuditEntry[]; unreadable: number }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], unreadable: 0 };
    throw error;
  }
  const entries: AuditEntry[] = [];
  let unreadable = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const entry = JSON.parse(line) as AuditEntry;
      if (typeof entry.operation === "string" && typeof entry.time === "string") entries.push(entry);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { entries, unreadable };
}
