// journal.json: a writer's change, announced before its commit, so that the audit log always says
// what the store holds. A writer writes the journal (the audit entries it will append, and the
// digest the committed file will have), then commits (replaces index.json, or store.json for
// `key rotate`), then appends the entries, then removes the journal. A writer killed in between
// leaves the journal; the next one (under the lock) compares the file with the digest: committed,
// the entries are appended unless the log already ends with them; not committed, they are dropped.
import { createHash } from "node:crypto";
import { readFile, unlink } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import type { AuditEntry } from "./audit.js";

export interface Journal {
  format: 1;
  /** The committed file's name in the store directory, and the sha256 of its new text. */
  commit: { file: string; sha256: string };
  audit: AuditEntry[];
}

export const JOURNAL_FILE = "journal.json";

export const digestOf = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** Writes the journal of a change that will replace `commitFile` with `text` (fsynced, before it). */
export async function writeJournal(
  home: string,
  commitFile: string,
  text: string,
  audit: AuditEntry[],
): Promise<void> {
  const journal: Journal = {
    format: 1,
    commit: { file: path.basename(commitFile), sha256: digestOf(text) },
    audit,
  };
  // No directory sync of its own: the commit's rename in the same directory syncs it after.
  await writeFileAtomic(path.join(home, JOURNAL_FILE), JSON.stringify(journal), { syncDirectory: false });
}

/**
 * The journal a killed writer left, or undefined. One that cannot be read as a journal (it is
 * written atomically, so only a foreign hand makes one) is treated as not committed.
 */
export async function readJournal(home: string): Promise<Journal | "unreadable" | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(home, JOURNAL_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const journal = JSON.parse(text) as Journal;
    if (journal.format !== 1 || typeof journal.commit?.sha256 !== "string" || !Array.isArray(journal.audit))
      return "unreadable";
    return journal;
  } catch {
    return "unreadable";
  }
}

/** Whether the change a journal announces was committed: its file holds the announced text. */
export async function committed(home: string, journal: Journal): Promise<boolean> {
  const file = path.join(home, path.basename(journal.commit.file));
  const text = await readFile(file).catch(() => undefined);
  return text !== undefined && digestOf(text) === journal.commit.sha256;
}

export async function removeJournal(home: string): Promise<void> {
  await unlink(path.join(home, JOURNAL_FILE)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}
