// Sealing: values come back exactly, and anything else (a flipped byte, another secret's file, a
// wrong key) fails authentication instead of decrypting to wrong bytes.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  deriveFromPassphrase,
  deriveStoreKeys,
  keyCheckMatches,
  keyCheckValue,
  open,
  seal,
  type SealContext,
} from "./crypto.js";

const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const context: SealContext = {
  storeId: "store-1",
  secretId: "0011223344556677",
  name: "db_password",
  version: 1,
};
const keys = deriveStoreKeys(randomBytes(32), context.storeId);
const value = randomBytes(100);

describe("seal and open", () => {
  it("round-trips exact bytes, including an empty value", () => {
    for (const plaintext of [value, Buffer.alloc(0), randomBytes(1024 * 1024)]) {
      const opened = open(keys.seal, context, seal(keys.seal, context, plaintext));
      expect(opened.ok && digest(opened.plaintext)).toBe(digest(plaintext));
    }
  });

  it("uses a fresh nonce per write", () => {
    expect(seal(keys.seal, context, value).equals(seal(keys.seal, context, value))).toBe(false);
  });

  it("detects any single flipped byte (header, nonce, ciphertext or tag)", () => {
    const sealed = seal(keys.seal, context, value);
    for (const position of [0, 4, 10, 16, 50, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[position]! ^= 0x01;
      const opened = open(keys.seal, context, tampered);
      expect(opened.ok).toBe(false);
    }
  });

  it("refuses a sealed value moved to another name, version, secret id or store", () => {
    const sealed = seal(keys.seal, context, value);
    for (const other of [
      { ...context, name: "api_key" },
      { ...context, version: 2 },
      { ...context, secretId: "8899aabbccddeeff" },
      { ...context, storeId: "store-2" },
    ]) {
      expect(open(keys.seal, other, sealed)).toEqual({ ok: false, reason: "authentication" });
    }
  });

  it("refuses a wrong key", () => {
    const sealed = seal(keys.seal, context, value);
    const wrong = deriveStoreKeys(randomBytes(32), context.storeId);
    expect(open(wrong.seal, context, sealed)).toEqual({ ok: false, reason: "authentication" });
  });

  it("says when the bytes are not a sealed value at all", () => {
    expect(open(keys.seal, context, Buffer.from("short"))).toEqual({ ok: false, reason: "format" });
  });
});

describe("key check", () => {
  it("matches the key that made it and no other", () => {
    const check = keyCheckValue(keys, "store-1");
    expect(keyCheckMatches(keys, "store-1", check)).toBe(true);
    expect(keyCheckMatches(deriveStoreKeys(randomBytes(32), "store-1"), "store-1", check)).toBe(false);
  });

  it("reveals nothing of the sealing key (separate derived keys)", () => {
    expect(keys.seal.equals(keys.check)).toBe(false);
  });
});

describe("passphrase derivation", () => {
  const params = { N: 2 ** 10, r: 8, p: 1 };

  it("is deterministic for a salt, differs for another passphrase or salt", async () => {
    const salt = randomBytes(16);
    const a = await deriveFromPassphrase(Buffer.from("correct horse"), salt, params);
    const b = await deriveFromPassphrase(Buffer.from("correct horse"), Buffer.from(salt), params);
    const c = await deriveFromPassphrase(Buffer.from("correct horsf"), salt, params);
    const d = await deriveFromPassphrase(Buffer.from("correct horse"), randomBytes(16), params);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.equals(d)).toBe(false);
  });

  it("derives once per process for the same passphrase, salt and cost", async () => {
    const salt = randomBytes(16);
    const first = deriveFromPassphrase(Buffer.from("once"), salt, params);
    const again = deriveFromPassphrase(Buffer.from("once"), salt, params);
    expect(again).toBe(first);
  });
});
