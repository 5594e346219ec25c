// Durable file replacement: a reader (or a crash) sees the old file or the new one, never a mix.
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory, fsync, rename over
 * `file`, then (unless `syncDirectory` is false, for a caller that syncs once after many writes)
 * fsync the directory so the rename itself survives a power cut.
 */
export async function writeFileAtomic(
  file: string,
  data: Buffer | string,
  options: { mode?: number; syncDirectory?: boolean } = {},
): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", options.mode ?? 0o600);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  if (options.syncDirectory !== false) await syncDirectory(path.dirname(file));
}

/** fsync of a directory: makes the creation, rename or removal of its entries durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
