// Reading a new secret value for `create` and `rotate`: from a file (a FIFO or process
// substitution too, read to its end) or from standard input, never more than the size cap.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { StoreError } from "../errors.js";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { SecretValue } from "../secrets/secret-value.js";

/** Reads the value named on the command line: a path, or `-` for `stdin`. */
export async function readValue(source: string, stdin: Readable): Promise<SecretValue> {
  if (source === "-") return readCapped(stdin, "standard input");
  try {
    const info = await stat(source);
    if (info.isDirectory()) {
      throw new StoreError(
        `"${source}" is a directory; give a file, or - to read the value from standard input`,
      );
    }
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new StoreError(
      code === "ENOENT"
        ? `"${source}" does not exist`
        : `"${source}" cannot be read (${code ?? String(error)})`,
      { cause: error },
    );
  }
  const stream = createReadStream(source);
  try {
    return await readCapped(stream, `"${source}"`);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      `"${source}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      {
        cause: error,
      },
    );
  } finally {
    stream.destroy();
  }
}

/** All of a stream, failing as soon as it passes MAX_SECRET_BYTES; an empty stream is an empty value. */
export async function readCapped(stream: Readable, what: string): Promise<SecretValue> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buffer.length;
    chunks.push(buffer);
    if (total > MAX_SECRET_BYTES) {
      for (const c of chunks) c.fill(0);
      throw new StoreError(
        `${what} holds more than ${MAX_SECRET_BYTES} bytes, the limit for a secret (1 MiB); nothing was stored`,
      );
    }
  }
  const bytes = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return new SecretValue(bytes);
}
