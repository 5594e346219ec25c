// The companion reads what composec delivers: NAME_FILE first, else /run/secrets/<name>; exact bytes
// unless trimming is asked for; errors name the path, never the contents.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileEnv, readSecret, readSecretSync, SecretNotReadableError, secretPath } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "read-secret-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Buffer | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe("readSecret", () => {
  it("reads /run/secrets/<name> (here a directory of the test) byte for byte", async () => {
    file("tls_key", Buffer.from([0, 1, 0xff, 0x0a]));
    const bytes = await readSecret("tls_key", { secretsDir: dir, env: {} });
    expect([...bytes]).toEqual([0, 1, 0xff, 0x0a]);
    expect([...readSecretSync("tls_key", { secretsDir: dir, env: {} })]).toEqual([0, 1, 0xff, 0x0a]);
  });

  it("prefers NAME_FILE, and strips one newline only when asked", async () => {
    const path = file("other", "p4ss\n\n");
    const env = { API_KEY_FILE: path };
    expect(secretPath("api_key", { env })).toEqual({ path, from: "API_KEY_FILE" });
    expect(await readSecret("api_key", { env, encoding: "utf8" })).toBe("p4ss\n\n");
    expect(await readSecret("api_key", { env, encoding: "utf8", trim: true })).toBe("p4ss\n");
    file("crlf", "v\r\n");
    expect(readSecretSync("crlf", { secretsDir: dir, env: {}, encoding: "utf8", trim: true })).toBe("v");
  });

  it("a missing secret is a typed error naming the path and where it came from", async () => {
    const error = await readSecret("nope", { secretsDir: dir, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretNotReadableError);
    expect((error as Error).message).toBe(
      `secret "nope" cannot be read from ${join(dir, "nope")} (from /run/secrets): ENOENT`,
    );
  });
});

describe("fileEnv", () => {
  it("reads NAME_FILE, trimming one newline by default; else NAME; else undefined", () => {
    const path = file("db", "from-file\n");
    expect(fileEnv("DB_PASSWORD", { env: { DB_PASSWORD_FILE: path, DB_PASSWORD: "ignored" } })).toBe(
      "from-file",
    );
    expect(fileEnv("DB_PASSWORD", { env: { DB_PASSWORD_FILE: path }, trim: false })).toBe("from-file\n");
    expect(fileEnv("DB_PASSWORD", { env: { DB_PASSWORD: "plain\n" } })).toBe("plain");
    expect(fileEnv("DB_PASSWORD", { env: {} })).toBeUndefined();
    expect(() => fileEnv("X", { env: { X_FILE: join(dir, "missing") } })).toThrow(SecretNotReadableError);
  });
});
