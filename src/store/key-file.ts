// The master key's two sources: a key file of 32 random bytes, or a passphrase (which wins).
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "../errors.js";
import { syncDirectory } from "./atomic-write.js";
import { KEY_BYTES } from "./crypto.js";
import type { Environment } from "./paths.js";

/** A passphrase and where it came from (for messages; never the passphrase itself). */
export interface Passphrase {
  bytes: Buffer;
  source: string;
}

/**
 * The passphrase from `--passphrase-file` (first) or `COMPOSEC_PASSPHRASE`; undefined when neither
 * is given (an empty variable counts as not given). One trailing newline of a file is dropped, as
 * `echo secret > file` writes one.
 */
export async function findPassphrase(
  env: Environment,
  passphraseFile?: string,
): Promise<Passphrase | undefined> {
  if (passphraseFile !== undefined) return readPassphraseFile(passphraseFile, "--passphrase-file");
  const value = env.COMPOSEC_PASSPHRASE;
  if (value === undefined || value === "") return undefined;
  return { bytes: Buffer.from(value, "utf8"), source: "COMPOSEC_PASSPHRASE" };
}

/** Reads a passphrase file (`flag` names the option, for messages). */
export async function readPassphraseFile(file: string, flag: string): Promise<Passphrase> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EISDIR"
          ? "is a directory"
          : `cannot be read (${code})`;
    throw new StoreError(`${flag} "${file}" ${why}`, { cause: error });
  }
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  if (end === 0) throw new StoreError(`${flag} "${file}" is empty; a passphrase cannot be empty`);
  return { bytes: bytes.subarray(0, end), source: `${flag} ${file}` };
}

/**
 * Reads a key file: undefined when it does not exist; a StoreError when it is not exactly 32
 * bytes. `warn` is told when group or others can read it.
 */
export async function readKeyFile(
  file: string,
  warn: (message: string) => void,
): Promise<Buffer | undefined> {
  let key: Buffer;
  try {
    key = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new StoreError(
      `key file ${file} cannot be read (${code === "EISDIR" ? "it is a directory" : code}); COMPOSEC_KEY_FILE names it`,
      { cause: error },
    );
  }
  if (key.length !== KEY_BYTES) {
    const length = key.length;
    key.fill(0);
    throw new StoreError(
      `key file ${file} holds ${length} bytes; a composec key file holds exactly ${KEY_BYTES} random bytes (is COMPOSEC_KEY_FILE the right file?)`,
    );
  }
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) {
    warn(
      `key file ${file} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 600 ${file}`,
    );
  }
  return key;
}

/**
 * Creates a key file of 32 random bytes, mode 0600, in a directory created 0700; if another
 * process created it first, reads that one instead. Written to a temporary file and linked into
 * place, so no reader ever sees a short key file.
 */
export async function createKeyFile(file: string, warn: (message: string) => void): Promise<Buffer> {
  const directory = path.dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temp = path.join(directory, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    key.fill(0);
    const existing = await readKeyFile(file, warn);
    if (existing) return existing;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  await syncDirectory(directory);
  return key;
}
