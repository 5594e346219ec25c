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

/**
 * Appends entries as whole lines with one write (O_APPEND keeps concurrent writers' lines apart).
 * `durable` fsyncs, for operations that change the store; reads (`use`, `reveal`) skip it so that
 * resolving fifty secrets does not wait for fifty disk flushes.
 */
export async function appendAudit(
  file: string,
  events: AuditEvent[],
  options: { durable: boolean },
): Promise<void> {
  if (events.length === 0) return;
  const who = currentUser();
  const time = new Date().toISOString();
  const text = events.map((event) => `${JSON.stringify({ time, ...who, ...event })}\n`).join("");
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
