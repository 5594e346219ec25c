// The store end to end in-process: exact bytes back, every kind of damage or wrong key reported as
// a StoreError that says what is wrong, versions bounded, key rotation complete or recoverable.
// Values are random and compared by sha256; none is ever printed.
import { createHash, randomBytes } from "node:crypto";
import { chmod, copyFile, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import { SecretValue } from "../secrets/secret-value.js";
import { derivationCount } from "./crypto.js";
import { openStoreSource } from "./source.js";
import { KEPT_VERSIONS, openStore, type StoreOptions } from "./store.js";

const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const value = (bytes: Buffer) => new SecretValue(Buffer.from(bytes));

let dir: string;
let warnings: string[];
let options: StoreOptions;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "composec-store-"));
  warnings = [];
  options = {
    home: path.join(dir, "home"),
    keyFile: path.join(dir, "config/master.key"),
    warn: (m) => warnings.push(m),
    scrypt: FAST_SCRYPT,
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const passphrase = (text: string) => ({ bytes: Buffer.from(text), source: "test" });
const errorOf = async (promise: Promise<unknown>): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as Error;
};
const revealDigest = async (store: ReturnType<typeof openStore>, name: string) =>
  digest((await store.reveal(name)).value.bytes());

describe("a new store", () => {
  it("creates the key file (0600, 32 bytes) and the store (0700) on the first create", async () => {
    const store = openStore(options);
    expect(await store.list()).toEqual([]);
    await store.create([{ name: "a", value: value(randomBytes(8)) }]);
    const { statSync } = await import("node:fs");
    expect(statSync(options.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(options.keyFile).size).toBe(32);
    expect(statSync(path.dirname(options.keyFile)).mode & 0o777).toBe(0o700);
    expect(statSync(options.home).mode & 0o777).toBe(0o700);
    expect(warnings).toEqual([]);
  });

  it("removes temporary files a killed writer left, under the lock", async () => {
    const store = openStore(options);
    await store.create([{ name: "a", value: value(randomBytes(8)) }]);
    const leftovers = [".index.json.0123456789ab.tmp", ".store.json.0123456789ab.tmp"];
    for (const file of leftovers) await writeFile(path.join(options.home, file), "partial");
    await store.rotate("a", value(randomBytes(8)));
    expect((await readdir(options.home)).sort()).toEqual(["audit.log", "index.json", "store.json", "values"]);
  });

  it("is not created by a command other than create", async () => {
    const store = openStore(options);
    expect((await errorOf(store.rotate("a", value(Buffer.from("x"))))).message).toMatch(/no secret "a"/);
    expect((await errorOf(store.remove(["a"]))).message).toMatch(/no secret "a"/);
    await expect(readdir(dir)).resolves.toEqual([]);
  });
});

describe("values", () => {
  it("come back exactly, an empty value included", async () => {
    const store = openStore(options);
    const bytes = { a: randomBytes(1000), empty: Buffer.alloc(0), big: randomBytes(1024 * 1024) };
    await store.create(Object.entries(bytes).map(([name, b]) => ({ name, value: value(b) })));
    const again = openStore(options);
    for (const [name, b] of Object.entries(bytes)) expect(await revealDigest(again, name)).toBe(digest(b));
    expect((await again.inspect("empty"))?.size).toBe(0);
  });

  it("refuses a value over the 1 MiB cap, a bad name and an existing name", async () => {
    const store = openStore(options);
    const over = await errorOf(store.create([{ name: "big", value: value(Buffer.alloc(1024 * 1024 + 1)) }]));
    expect(over.message).toMatch(/1048577 bytes, more than the 1048576-byte \(1 MiB\) limit/);
    expect(
      (await errorOf(store.create([{ name: "bad/name", value: value(Buffer.alloc(1)) }]))).message,
    ).toMatch(/"bad\/name" is not a valid secret name/);
    expect(
      (await errorOf(store.create([{ name: "x".repeat(256), value: value(Buffer.alloc(1)) }]))).message,
    ).toMatch(/256 characters long; the limit is 255/);
    await store.create([{ name: "a", value: value(Buffer.alloc(1)) }]);
    expect((await errorOf(store.create([{ name: "a", value: value(Buffer.alloc(1)) }]))).message).toMatch(
      /secret "a" already exists \(version 1\); use `composec secret rotate a FILE`/,
    );
  });

  it("never appear in the index, the audit log or store.json", async () => {
    const secret = Buffer.from(randomBytes(24).toString("hex"));
    const store = openStore(options);
    await store.create([{ name: "a", value: value(secret) }]);
    await store.reveal("a");
    await store.read("a", "demo");
    for (const file of ["index.json", "audit.log", "store.json"]) {
      const text = await readFile(path.join(options.home, file));
      expect(text.includes(secret)).toBe(false);
    }
    const sealed = await readdir(path.join(options.home, "values"));
    for (const file of sealed) {
      expect((await readFile(path.join(options.home, "values", file))).includes(secret)).toBe(false);
    }
  });
});

describe("damage and wrong keys", () => {
  const setUp = async () => {
    const store = openStore(options);
    await store.create([
      { name: "a", value: value(randomBytes(32)) },
      { name: "b", value: value(randomBytes(32)) },
    ]);
    const files = await readdir(path.join(options.home, "values"));
    const index = JSON.parse(await readFile(path.join(options.home, "index.json"), "utf8"));
    const fileOf = (name: string) =>
      path.join(
        options.home,
        "values",
        files.find((f) => f.startsWith(index.secrets.find((s: { name: string }) => s.name === name).id))!,
      );
    return { fileOf };
  };

  it("detects a flipped byte in a sealed value", async () => {
    const { fileOf } = await setUp();
    const sealed = await readFile(fileOf("a"));
    sealed[sealed.length - 20]! ^= 0x80;
    await writeFile(fileOf("a"), sealed);
    const error = await errorOf(openStore(options).reveal("a"));
    expect(error.message).toMatch(/fails authentication: secret "a" version 1 was modified/);
    expect(error.message).toContain(fileOf("a"));
  });

  it("detects a sealed value copied over another secret's", async () => {
    const { fileOf } = await setUp();
    await copyFile(fileOf("b"), fileOf("a"));
    expect((await errorOf(openStore(options).reveal("a"))).message).toMatch(
      /fails authentication: secret "a"/,
    );
  });

  it("reports a truncated sealed value and a missing one", async () => {
    const { fileOf } = await setUp();
    await writeFile(fileOf("a"), "CSV");
    expect((await errorOf(openStore(options).reveal("a"))).message).toMatch(/is not a sealed composec value/);
    await rm(fileOf("b"));
    expect((await errorOf(openStore(options).reveal("b"))).message).toMatch(
      /the sealed value of secret "b" version 1 is missing/,
    );
  });

  it("reports a different key file as a wrong key, not as damage", async () => {
    await setUp();
    await writeFile(options.keyFile, randomBytes(32));
    expect((await errorOf(openStore(options).reveal("a"))).message).toBe(
      `the key file ${options.keyFile} does not open the secret store at ${options.home} (a different key)`,
    );
  });

  it("reports a key file of the wrong length, and a missing one", async () => {
    await setUp();
    await writeFile(options.keyFile, randomBytes(31));
    expect((await errorOf(openStore(options).reveal("a"))).message).toMatch(
      /key file .* holds 31 bytes; a composec key file holds exactly 32 random bytes/,
    );
    await rm(options.keyFile);
    expect((await errorOf(openStore(options).reveal("a"))).message).toMatch(/key file .* does not exist/);
  });

  it("reports a wrong passphrase, and a passphrase given to a key-file store", async () => {
    await setUp();
    const error = await errorOf(openStore({ ...options, passphrase: passphrase("nope") }).reveal("a"));
    expect(error.message).toMatch(/is sealed with the key file .*, not a passphrase/);
    const home = path.join(dir, "pp");
    await openStore({ ...options, home, passphrase: passphrase("right") }).create([
      { name: "a", value: value(Buffer.from("x")) },
    ]);
    expect(
      (await errorOf(openStore({ ...options, home, passphrase: passphrase("wrong") }).reveal("a"))).message,
    ).toBe(`wrong passphrase (from test) for the secret store at ${home}`);
    expect((await errorOf(openStore({ ...options, home }).reveal("a"))).message).toMatch(
      /sealed with a passphrase; set COMPOSEC_PASSPHRASE or pass --passphrase-file/,
    );
  });

  it("reports a corrupted index naming the file, for reads and writes alike", async () => {
    await setUp();
    const indexFile = path.join(options.home, "index.json");
    await writeFile(indexFile, (await readFile(indexFile, "utf8")).slice(0, 50));
    for (const attempt of [
      openStore(options).list(),
      openStore(options).rotate("a", value(Buffer.from("x"))),
    ]) {
      expect((await errorOf(attempt)).message).toMatch(
        new RegExp(
          `^the secret store index ${indexFile.replace(/[.]/g, "\\.")} is corrupted: it is not valid JSON`,
        ),
      );
    }
  });

  it("warns when group or others can read the store directory or the key file", async () => {
    await setUp();
    await chmod(options.home, 0o755);
    await chmod(options.keyFile, 0o644);
    await openStore(options).reveal("a");
    expect(warnings).toEqual([
      `the secret store directory ${options.home} can be read by group or others (mode 0755); run: chmod 700 ${options.home}`,
      `key file ${options.keyFile} can be read by others (mode 0644); run: chmod 600 ${options.keyFile}`,
    ]);
  });
});

describe("versions", () => {
  it(`keeps the last ${KEPT_VERSIONS} and deletes older sealed files`, async () => {
    const store = openStore(options);
    const bytes = Array.from({ length: 13 }, () => randomBytes(16));
    await store.create([{ name: "a", value: value(bytes[0]!) }]);
    for (const b of bytes.slice(1)) await store.rotate("a", value(b));
    const info = await store.inspect("a");
    expect(info?.version).toBe(13);
    expect(info?.versions.map((v) => v.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(await readdir(path.join(options.home, "values"))).toHaveLength(KEPT_VERSIONS);
    expect(await revealDigest(store, "a")).toBe(digest(bytes[12]!));
  });

  it("rolls back to the previous or a named version, as a new version", async () => {
    const store = openStore(options);
    const [one, two, three] = [randomBytes(8), randomBytes(8), randomBytes(8)];
    await store.create([{ name: "a", value: value(one) }]);
    await store.rotate("a", value(two));
    await store.rotate("a", value(three));
    expect(await store.rollback("a")).toEqual({ version: 4, from: 2 });
    expect(await revealDigest(store, "a")).toBe(digest(two));
    expect(await store.rollback("a", 1)).toEqual({ version: 5, from: 1 });
    expect(await revealDigest(store, "a")).toBe(digest(one));
    expect((await store.inspect("a"))?.versions.at(-1)).toMatchObject({ version: 5, rolledBackFrom: 1 });
    expect((await errorOf(store.rollback("a", 5))).message).toMatch(
      /version 5 of secret "a" is already current/,
    );
    expect((await errorOf(store.rollback("a", 9))).message).toMatch(
      /has no version 9; kept versions: 1, 2, 3, 4, 5/,
    );
    await store.create([{ name: "single", value: value(one) }]);
    expect((await errorOf(store.rollback("single"))).message).toMatch(/only one version/);
  });

  it("suggests a close name for a missing one", async () => {
    const store = openStore(options);
    await store.create([{ name: "db_password", value: value(randomBytes(8)) }]);
    expect((await errorOf(store.rotate("db_pasword", value(Buffer.from("x"))))).message).toMatch(
      /no secret "db_pasword" \(did you mean "db_password"\?\)/,
    );
  });
});

describe("key rotate", () => {
  const fill = async () => {
    const store = openStore(options);
    const bytes = { a: randomBytes(20), b: randomBytes(20) };
    await store.create(Object.entries(bytes).map(([name, b]) => ({ name, value: value(b) })));
    await store.rotate("a", value(randomBytes(5)));
    return bytes;
  };

  it("re-seals every kept version under a new key file and forgets the old key", async () => {
    const bytes = await fill();
    const oldKey = await readFile(options.keyFile);
    expect(await openStore(options).rotateKey({ kind: "file" })).toEqual({ count: 3, previous: "file" });
    expect((await readFile(options.keyFile)).equals(oldKey)).toBe(false);
    const store = openStore(options);
    expect(await revealDigest(store, "b")).toBe(digest(bytes.b));
    expect(await store.rollback("a")).toEqual({ version: 3, from: 1 });
    expect(await revealDigest(store, "a")).toBe(digest(bytes.a));
    expect((await readdir(path.join(options.home, "values"))).every((f) => f.endsWith(".g2"))).toBe(true);
    await writeFile(options.keyFile, oldKey);
    expect((await errorOf(openStore(options).reveal("a"))).message).toMatch(/does not open the secret store/);
  });

  it("moves to a passphrase and back to a key file", async () => {
    const bytes = await fill();
    await openStore(options).rotateKey({ kind: "passphrase", passphrase: passphrase("pw") });
    expect(await revealDigest(openStore({ ...options, passphrase: passphrase("pw") }), "b")).toBe(
      digest(bytes.b),
    );
    expect((await errorOf(openStore(options).reveal("b"))).message).toMatch(/sealed with a passphrase/);
    const back = openStore({ ...options, passphrase: passphrase("pw") });
    // The old key file still exists: it might open another store, so it is not overwritten.
    expect((await errorOf(back.rotateKey({ kind: "file" }))).message).toMatch(
      /exists and may open another store/,
    );
    await rm(options.keyFile);
    await back.rotateKey({ kind: "file" });
    expect(await revealDigest(openStore(options), "b")).toBe(digest(bytes.b));
  });

  it("finishes a rotation that committed but died before moving the new key file into place", async () => {
    const bytes = await fill();
    const oldKey = await readFile(options.keyFile);
    await openStore(options).rotateKey({ kind: "file" });
    // The state a kill -9 between the commit and the rename leaves.
    await rename(options.keyFile, `${options.keyFile}.new`);
    await writeFile(options.keyFile, oldKey, { mode: 0o600 });
    expect(await revealDigest(openStore(options), "a")).not.toBe(digest(bytes.a)); // a is at version 2
    expect(warnings.some((w) => w.startsWith("finished an interrupted `secret key rotate`"))).toBe(true);
    expect(await revealDigest(openStore(options), "b")).toBe(digest(bytes.b));
  });
});

describe("openStoreSource", () => {
  const env = () => ({ COMPOSEC_HOME: options.home, COMPOSEC_KEY_FILE: options.keyFile });

  it("reads values, records each use with the project, and says where it looked", async () => {
    const bytes = randomBytes(40);
    await openStore(options).create([{ name: "api_token", value: value(bytes) }]);
    const source = openStoreSource(env(), { project: "demo", warn: (m) => warnings.push(m) });
    expect(digest((await source.read("api_token"))!.bytes())).toBe(digest(bytes));
    expect(await source.read("api_tokn")).toBeUndefined();
    expect(await source.describe("api_tokn")).toBe(
      `no secret "api_tokn" in the local secret store at ${options.home} (COMPOSEC_HOME); did you mean "api_token"?; create it with \`composec secret create api_tokn FILE\``,
    );
    const { entries } = await openStore(options).log("api_token");
    expect(entries.at(-1)).toMatchObject({
      operation: "use",
      name: "api_token",
      version: 1,
      project: "demo",
    });
  });

  it("says when there is no store at all", async () => {
    const source = openStoreSource(env());
    expect(await source.read("x")).toBeUndefined();
    expect(await source.describe("x")).toMatch(
      /local secret store at .* \(COMPOSEC_HOME\) does not exist yet/,
    );
  });

  it("derives a passphrase key once for fifty reads", async () => {
    const names = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const home = path.join(dir, "pp");
    await openStore({ ...options, home, passphrase: passphrase("pw") }).create(
      names.map((name) => ({ name, value: value(randomBytes(10)) })),
    );
    const before = derivationCount();
    const source = openStoreSource({ COMPOSEC_HOME: home, COMPOSEC_PASSPHRASE: "pw-fresh-for-count" });
    // A wrong passphrase fails at the first read, after one derivation.
    await expect(source.read("s0")).rejects.toThrow(/wrong passphrase/);
    expect(derivationCount()).toBe(before + 1);
    const right = openStoreSource({ COMPOSEC_HOME: home, COMPOSEC_PASSPHRASE: "pw" });
    const values = await Promise.all(names.map((name) => right.read(name)));
    expect(values.every((v) => v?.length === 10)).toBe(true);
    // "pw" with this salt was derived by create already: no derivation at all.
    expect(derivationCount()).toBe(before + 1);
  });
});

// A writer killed between its commit and its audit entry (the crash suite's store.committed point)
// leaves its journal: whoever looks next records the committed change once, and an uncommitted one
// not at all. The kill is played here by cutting the entry off the log and putting the journal back.
describe("the journal of a killed writer", () => {
  const rotateThenLoseAudit = async (store: ReturnType<typeof openStore>, commitMatches: boolean) => {
    await store.create([{ name: "a", value: value(randomBytes(8)) }]);
    await store.rotate("a", value(randomBytes(8)));
    const auditFile = path.join(options.home, "audit.log");
    const lines = (await readFile(auditFile, "utf8")).split("\n").filter(Boolean);
    const lost = JSON.parse(lines.pop()!) as { operation: string; version: number };
    expect(lost).toMatchObject({ operation: "rotate", version: 2 });
    await writeFile(auditFile, lines.map((line) => `${line}\n`).join(""));
    const index = await readFile(path.join(options.home, "index.json"));
    await writeFile(
      path.join(options.home, "journal.json"),
      JSON.stringify({
        format: 1,
        commit: { file: "index.json", sha256: commitMatches ? digest(index) : digest(Buffer.from("other")) },
        audit: [lost],
      }),
    );
  };
  const changes = async (store: ReturnType<typeof openStore>) =>
    (await store.log("a")).entries.map((e) => `${e.operation} v${e.version}`);

  it("a committed change gets its audit entry once, from the log or from the next write", async () => {
    const store = openStore(options);
    await rotateThenLoseAudit(store, true);
    expect(await changes(store)).toEqual(["create v1", "rotate v2"]);
    expect(await readdir(options.home)).not.toContain("journal.json");
    expect(await changes(store)).toEqual(["create v1", "rotate v2"]);

    await rotateThenLoseAudit(openStore({ ...options, home: path.join(dir, "home2") }), true);
    const second = openStore({ ...options, home: path.join(dir, "home2") });
    await second.rotate("a", value(randomBytes(8)));
    expect(await changes(second)).toEqual(["create v1", "rotate v2", "rotate v3"]);
  });

  it("an entry the killed writer did append is not appended again", async () => {
    const store = openStore(options);
    await store.create([{ name: "a", value: value(randomBytes(8)) }]);
    await store.rotate("a", value(randomBytes(8)));
    const lines = (await readFile(path.join(options.home, "audit.log"), "utf8")).split("\n").filter(Boolean);
    const index = await readFile(path.join(options.home, "index.json"));
    await writeFile(
      path.join(options.home, "journal.json"),
      JSON.stringify({
        format: 1,
        commit: { file: "index.json", sha256: digest(index) },
        audit: [JSON.parse(lines.at(-1)!) as object],
      }),
    );
    expect(await changes(store)).toEqual(["create v1", "rotate v2"]);
  });

  it("an uncommitted change gets no entry", async () => {
    const store = openStore(options);
    await rotateThenLoseAudit(store, false);
    expect(await changes(store)).toEqual(["create v1"]);
    expect(await readdir(options.home)).not.toContain("journal.json");
  });
});

// A writer killed mid-way leaves sealed files no index names (a value it never committed, those of
// a secret it removed but had not deleted yet) and its lock: the next writer, breaking that lock,
// deletes them; a lock released as usual costs no listing of values/.
describe("files a killed writer left", () => {
  it("are deleted by the next writer that finds its stale lock", async () => {
    const store = openStore(options);
    await store.create([
      { name: "a", value: value(randomBytes(8)) },
      { name: "b", value: value(randomBytes(8)) },
    ]);
    const values = path.join(options.home, "values");
    const kept = (await readdir(values)).sort();
    const strays = ["0123456789abcdef.v2.g1", ".0123456789abcdef.v3.g1.a1b2c3.tmp"];
    for (const stray of strays) await writeFile(path.join(values, stray), randomBytes(48));

    await store.rotate("a", value(randomBytes(8)));
    expect((await readdir(values)).filter((f) => strays.includes(f)).sort()).toEqual(strays.sort());

    const { hostname } = await import("node:os");
    await writeFile(
      path.join(options.home, "lock"),
      JSON.stringify({ pid: 999_999_999, host: hostname(), token: "dead", since: "2026-01-01T00:00:00Z" }),
    );
    await store.rotate("b", value(randomBytes(8)));
    const left = await readdir(values);
    expect(left.filter((f) => strays.includes(f))).toEqual([]);
    expect(left).toEqual(expect.arrayContaining(kept));
    expect(left).toHaveLength(kept.length + 2);
    expect(await revealDigest(store, "a")).toMatch(/^[0-9a-f]{64}$/);
  });
});

// `secret log` finishing a killed writer's journal breaks that writer's lock: it is the one that
// knows, so it tidies too (found by the crash suite: rm killed after its commit, then log, kept
// the removed secret's sealed files, as the next writer found no stale lock any more).
describe("secret log after a killed writer", () => {
  it("deletes the sealed files the writer left, when it breaks the writer's lock", async () => {
    const store = openStore(options);
    await store.create([{ name: "a", value: value(randomBytes(8)) }]);
    const values = path.join(options.home, "values");
    await writeFile(path.join(values, "0123456789abcdef.v1.g1"), randomBytes(48));
    const index = await readFile(path.join(options.home, "index.json"));
    await writeFile(
      path.join(options.home, "journal.json"),
      JSON.stringify({ format: 1, commit: { file: "index.json", sha256: digest(index) }, audit: [] }),
    );
    const { hostname } = await import("node:os");
    await writeFile(
      path.join(options.home, "lock"),
      JSON.stringify({ pid: 999_999_999, host: hostname(), token: "dead", since: "2026-01-01T00:00:00Z" }),
    );
    await store.log();
    expect(await readdir(values)).toHaveLength(1);
    expect(await readdir(options.home)).not.toContain("lock");
  });
});
