// Sealing and key derivation, on node:crypto only.
//
// A master key (32 bytes from the key file, or scrypt of a passphrase) never touches a value
// directly: HKDF-SHA256, salted with the store id, derives one key for sealing and one for the key
// check, so the check value says nothing about the sealing key.
//
// A sealed value is `CSV1 | nonce (12) | ciphertext | tag (16)`, AES-256-GCM with a fresh random
// nonce per write. The associated data binds the store id, the secret's id and name and the version:
// a sealed file moved to another name, version or store fails authentication instead of decrypting
// to the wrong secret. 2^32 writes under one key keep random-nonce collisions negligible; `key
// rotate` starts a new key anyway.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from "node:crypto";

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAGIC = Buffer.from("CSV1");

/** scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms), as OWASP recommends. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** The two keys a store uses, both derived from the master key and the store id. */
export interface StoreKeys {
  seal: Buffer;
  check: Buffer;
}

/** Where a sealed value belongs; any difference makes opening it fail. */
export interface SealContext {
  storeId: string;
  secretId: string;
  name: string;
  version: number;
}

export function deriveStoreKeys(master: Buffer, storeId: string): StoreKeys {
  const salt = Buffer.from(storeId, "utf8");
  return {
    seal: Buffer.from(hkdfSync("sha256", master, salt, "composec store seal v1", KEY_BYTES)),
    check: Buffer.from(hkdfSync("sha256", master, salt, "composec store key check v1", KEY_BYTES)),
  };
}

/** The value stored beside the store to tell a wrong key from a tampered value (base64). */
export function keyCheckValue(keys: StoreKeys, storeId: string): string {
  return createHmac("sha256", keys.check).update(`composec key check\0${storeId}`).digest("base64");
}

export function keyCheckMatches(keys: StoreKeys, storeId: string, expected: string): boolean {
  const actual = Buffer.from(keyCheckValue(keys, storeId), "base64");
  const wanted = Buffer.from(expected, "base64");
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}

function associatedData(context: SealContext): Buffer {
  // NUL cannot occur in a store id, secret id or name, so the fields cannot run into each other.
  return Buffer.from(
    `composec secret v1\0${context.storeId}\0${context.secretId}\0${context.name}\0${context.version}`,
    "utf8",
  );
}

/** Encrypts and authenticates `plaintext` for `context`. */
export function seal(key: Buffer, context: SealContext, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

/** Why a sealed value could not be opened. */
export type OpenFailure = "format" | "authentication";

/** Decrypts a sealed value, or says why it cannot: never returns bytes that failed authentication. */
export function open(
  key: Buffer,
  context: SealContext,
  sealed: Buffer,
): { ok: true; plaintext: Buffer } | { ok: false; reason: OpenFailure } {
  if (sealed.length < MAGIC.length + NONCE_BYTES + TAG_BYTES || !sealed.subarray(0, 4).equals(MAGIC)) {
    return { ok: false, reason: "format" };
  }
  const nonce = sealed.subarray(4, 4 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(4 + NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(body);
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    return { ok: false, reason: "authentication" };
  }
  return { ok: true, plaintext };
}

// scrypt is slow on purpose; one `up` may open the store more than once (runtime and build
// secrets), so each (passphrase, salt, cost) is derived once per process. The cache key is a hash:
// the passphrase itself is not kept.
const derived = new Map<string, Promise<Buffer>>();

/** scrypt of the passphrase, computed once per process for the same passphrase, salt and cost. */
export function deriveFromPassphrase(
  passphrase: Buffer,
  salt: Buffer,
  params: ScryptParams,
): Promise<Buffer> {
  const cacheKey = createHash("sha256")
    .update(`${params.N}:${params.r}:${params.p}:`)
    .update(salt.toString("base64"))
    .update("\0")
    .update(passphrase)
    .digest("base64");
  let result = derived.get(cacheKey);
  if (!result) {
    result = new Promise<Buffer>((resolve, reject) =>
      scrypt(
        passphrase,
        salt,
        KEY_BYTES,
        { ...params, maxmem: 256 * params.N * params.r + 64 * 1024 * 1024 },
        (error, key) => (error ? reject(error) : resolve(key)),
      ),
    );
    derived.set(cacheKey, result);
    result.catch(() => derived.delete(cacheKey));
  }
  return result;
}

/** How many scrypt derivations this process ran (the benchmark and tests check the cache). */
export function derivationCount(): number {
  return derived.size;
}
