// `file:`: a regular file on this host, read once, never through a blocking open.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { MAX_SECRET_BYTES } from "../../model/secret-rules.js";
import { SecretValue } from "../secret-value.js";
import { SourceError, type SecretSource } from "./source.js";

/** `file:` of a secret or config. */
export const fileSource: SecretSource<"file"> = {
  kind: "file",
  resolve: async (source, context) => new SecretValue(await readSecretFile(source.path, context.kind)),
};

/**
 * Reads a secret file. Opened non-blocking so that a FIFO swapped in after validation cannot hang
 * us, and checked again on the open descriptor, so what we read is what we checked.
 */
export async function readSecretFile(path: string, kind: "secret" | "config" = "secret"): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SourceError("file", `"${path}" cannot be opened (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SourceError("file", `"${path}" is not a regular file`);
    if (stat.size > MAX_SECRET_BYTES) {
      throw new SourceError(
        "file",
        `"${path}" holds ${stat.size} bytes, more than the ${MAX_SECRET_BYTES}-byte limit for a ${kind}`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.length > MAX_SECRET_BYTES) {
      bytes.fill(0);
      throw new SourceError(
        "file",
        `"${path}" grew beyond the ${MAX_SECRET_BYTES}-byte limit while being read`,
      );
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
