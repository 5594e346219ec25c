// The keyed digest in a versioned secret's name (`<stack>_<key>_<digest>`). A plain hash of the
// value would let anyone who can list the Swarm's secrets test guesses of a short password against
// the name; an HMAC under a random key kept on the deploying machine cannot be tested that way.
// One key per Swarm cluster, so the same value gives the same name at every deploy from here.
import { createHmac, randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { storeHome, type Environment } from "../store/paths.js";
import type { SecretValue } from "../secrets/secret-value.js";

const KEY_BYTES = 32;
/** Hex characters of the digest in a name: 48 bits, ample to tell one value from the next. */
export const DIGEST_LENGTH = 12;

/**
 * HMAC-SHA256 of the value under `key`, as `DIGEST_LENGTH` hex characters. The kind and compose
 * key go in first: a config (readable by anyone who can inspect it) that holds a secret's bytes,
 * or two secrets with one value, must not be told apart from any other pair by equal digests.
 */
export function keyedDigest(
  key: Buffer,
  kind: "secret" | "config",
  name: string,
  value: SecretValue,
): string {
  return createHmac("sha256", key)
    .update(`${kind}\0${name}\0`)
    .update(value.bytes())
    .digest("hex")
    .slice(0, DIGEST_LENGTH);
}

/** Where the digest key of the Swarm cluster `clusterId` lives. */
export function digestKeyPath(env: Environment, clusterId: string): string {
  return path.join(storeHome(env), "swarm", `${clusterId.replace(/[^A-Za-z0-9]/g, "")}.key`);
}

/**
 * The digest key for a cluster, made (32 random bytes, mode 0600) on first use. Two deploys racing
 * to make it agree on one: the key is written aside and linked into place, which fails if another
 * got there first, and then that one is read.
 */
export async function digestKey(file: string): Promise<Buffer> {
  try {
    return await readKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  return readKey(file);
}

async function readKey(file: string): Promise<Buffer> {
  const key = await readFile(file);
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `the Swarm digest key ${file} is not ${KEY_BYTES} bytes; remove it to make a new one (every secret then rotates once)`,
    );
  }
  return key;
}
