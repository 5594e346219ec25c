// The encrypted local secret store behind `external: true` and `composec secret`.
//
// Layout of the store directory (COMPOSEC_HOME, created 0700; every file 0600):
//
//   store.json                       id, key generation, how to check the key (store-file.ts)
//   index.json                       metadata of every secret: names, versions, times, sizes,
//                                    labels; never a value (index-file.ts)
//   values/<id>.v<version>.g<gen>    one sealed value per kept version (crypto.ts); <id> is the
//                                    secret's random id, <gen> the key generation that sealed it
//   audit.log                        JSON lines: who did what, never a value (audit.ts)
//   lock                             the cross-process lock while a writer works (lock.ts)
//   journal.json                     a change's audit entries, from before its commit until
//                                    they are in audit.log (journal.ts)
//
// What must stay true:
// - Every write is atomic and durable before anything refers to it: a sealed file is fsynced and
//   its directory too before index.json names it; index.json is replaced by rename. A crash at any
//   moment leaves the old index or the new one, and every sealed file an index names exists.
//   Files no index names (a crash between the two steps, or before pruned versions were deleted)
//   are harmless, and the next writer, finding the killed writer's lock, deletes them.
// - Writers hold the lock from reading index.json to replacing it, so concurrent writers lose
//   nothing. Readers take no lock: they see one whole index.
// - The audit log records every committed change and no other: a writer journals its entries
//   before it commits, and whoever takes the lock next appends those of a killed writer's commit.
// - A value leaves this module only as a SecretValue, and only from `reveal` and `read`, which
//   append an audit entry once the value has been authenticated.
// - `key rotate` re-seals every kept version as generation g+1 beside generation g; replacing
//   store.json is the one commit point; then the old generation is deleted.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "../errors.js";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { closest } from "../loader/suggest.js";
import { SecretValue } from "../secrets/secret-value.js";
import { syncDirectory, writeFileAtomic } from "./atomic-write.js";
import {
  appendAudit,
  auditEntries,
  auditHolds,
  readAudit,
  type AuditEntry,
  type AuditEvent,
} from "./audit.js";
import {
  DEFAULT_SCRYPT,
  deriveFromPassphrase,
  deriveStoreKeys,
  keyCheckMatches,
  keyCheckValue,
  open as openSealed,
  seal,
  type ScryptParams,
  type StoreKeys,
} from "./crypto.js";
import {
  currentVersion,
  readIndex,
  serializeIndex,
  type SecretRecord,
  type StoreIndex,
} from "./index-file.js";
import { createKeyFile, readKeyFile, type Passphrase } from "./key-file.js";
import { committed, readJournal, removeJournal, writeJournal } from "./journal.js";
import { withLock, type LockOptions } from "./lock.js";
import { checkName } from "./names.js";
import { readStoreMeta, serializeStoreMeta, type KeySpec, type StoreMeta } from "./store-file.js";
import { crashPoint } from "../crash-point.js";

/** How many versions of a secret are kept for rollback (older ones are deleted). */
export const KEPT_VERSIONS = 10;

export interface StoreOptions {
  /** The store directory (see paths.ts). */
  home: string;
  /** The key file, used when no passphrase is given. */
  keyFile: string;
  /** A passphrase, when given, wins over the key file. */
  passphrase?: Passphrase;
  /** Told about problems that do not stop the command (loose permissions). */
  warn?: (message: string) => void;
  lock?: LockOptions;
  /** scrypt cost for a store created with a passphrase (tests lower it; stored in store.json). */
  scrypt?: ScryptParams;
}

/** What `ls` and `inspect` show of a secret: metadata only. */
export interface SecretInfo {
  name: string;
  /** The current version. */
  version: number;
  created: string;
  /** When the current version was written. */
  updated: string;
  /** Bytes of the current version. */
  size: number;
  labels: Record<string, string>;
  /** Kept versions, oldest first. */
  versions: { version: number; created: string; size: number; rolledBackFrom?: number }[];
}

/** The new key for `rotateKey`: a fresh random key file, or a passphrase. */
export type NewKey = { kind: "file" } | { kind: "passphrase"; passphrase: Passphrase };

interface Snapshot {
  meta: StoreMeta;
  index: StoreIndex;
}

interface Change<T> {
  result: T;
  /** The index to write, when it changed. */
  index?: StoreIndex;
  /** Instead of an index: the file whose replacement commits the change, and its new text. */
  commit?: { file: string; text: string };
  /** Runs once the commit is durable, before the audit entries are appended. */
  afterCommit?: () => Promise<void>;
  audit: AuditEvent[];
  /** Files to delete once the new index is durable. */
  obsolete?: string[];
}

/** Opens (lazily: nothing is read or created until a method needs it) the store at `options.home`. */
export function openStore(options: StoreOptions): SecretStore {
  return new SecretStore(options);
}

export class SecretStore {
  readonly home: string;
  readonly keyFile: string;
  readonly #options: StoreOptions;
  readonly #warn: (message: string) => void;
  #permissionsChecked = false;
  /** Keys by `${store id}:${key check}`: unlocked once per store object. */
  readonly #keys = new Map<string, Promise<StoreKeys>>();
  /** What readers use; writers read again under the lock and reset it. */
  #snapshot: Promise<Snapshot | undefined> | undefined;

  constructor(options: StoreOptions) {
    this.#options = options;
    this.home = options.home;
    this.keyFile = options.keyFile;
    this.#warn = options.warn ?? (() => {});
  }

  get indexFile(): string {
    return path.join(this.home, "index.json");
  }
  get metaFile(): string {
    return path.join(this.home, "store.json");
  }
  get auditFile(): string {
    return path.join(this.home, "audit.log");
  }
  get valuesDirectory(): string {
    return path.join(this.home, "values");
  }

  /** The sealed file of one version under one key generation. */
  sealedFile(record: SecretRecord, version: number, generation: number): string {
    return path.join(this.valuesDirectory, `${record.id}.v${version}.g${generation}`);
  }

  /** Whether the store has been created (its first secret written). */
  async exists(): Promise<boolean> {
    return (await this.#read()) !== undefined;
  }

  /** Every secret's metadata, sorted by name. Needs no key. */
  async list(): Promise<SecretInfo[]> {
    const snapshot = await this.#read();
    if (!snapshot) return [];
    return [...snapshot.index.keys()].sort().map((name) => info(name, snapshot.index.get(name)!));
  }

  /** The names in the store, sorted. */
  async names(): Promise<string[]> {
    const snapshot = await this.#read();
    return snapshot ? [...snapshot.index.keys()].sort() : [];
  }

  /** One secret's metadata, or undefined. Needs no key. */
  async inspect(name: string): Promise<SecretInfo | undefined> {
    const record = (await this.#read())?.index.get(name);
    return record && info(name, record);
  }

  /** Creates secrets (version 1 each) in one locked write; an existing name refuses them all. */
  async create(
    entries: { name: string; value: SecretValue; labels?: Record<string, string> }[],
  ): Promise<void> {
    const seen = new Set<string>();
    for (const { name, value } of entries) {
      checkName(name);
      checkSize(value);
      if (seen.has(name)) throw new StoreError(`secret "${name}" is given twice`);
      seen.add(name);
    }
    await this.#mutate(
      async ({ meta, keys, index }) => {
        for (const { name } of entries) {
          const existing = index.get(name);
          if (existing) {
            throw new StoreError(
              `secret "${name}" already exists (version ${currentVersion(existing).version}); use \`composec secret rotate ${name} FILE\` to give it a new value`,
            );
          }
        }
        const now = new Date().toISOString();
        const next = new Map(index);
        for (const { name, value, labels } of entries) {
          const record: SecretRecord = {
            name,
            id: randomBytes(8).toString("hex"),
            created: now,
            labels: { ...labels },
            versions: [{ version: 1, created: now, size: value.length }],
          };
          await this.#writeSealed(meta, keys, name, record, 1, value.bytes());
          next.set(name, record);
        }
        await syncDirectory(this.valuesDirectory);
        return {
          result: undefined,
          index: next,
          audit: entries.map(({ name }) => ({ operation: "create", name, version: 1 }) as AuditEvent),
        };
      },
      { create: true, names: [...seen] },
    );
  }

  /** Gives `name` a new value as a new version; returns its number. */
  async rotate(name: string, value: SecretValue): Promise<number> {
    checkName(name);
    checkSize(value);
    return this.#mutate(
      async ({ meta, keys, index }) => {
        const record = this.#require(index, name);
        const version = currentVersion(record).version + 1;
        await this.#writeSealed(meta, keys, name, record, version, value.bytes());
        await syncDirectory(this.valuesDirectory);
        return this.#addVersion(
          meta,
          index,
          name,
          record,
          { version, created: new Date().toISOString(), size: value.length },
          "rotate",
        );
      },
      { names: [name] },
    );
  }

  /**
   * Makes an earlier kept version current again, as a new version holding the same bytes (so the
   * history only grows, and `up` sees a change to deliver). Default: the version before the current one.
   */
  async rollback(name: string, toVersion?: number): Promise<{ version: number; from: number }> {
    checkName(name);
    const result = await this.#mutate(
      async ({ meta, keys, index }) => {
        const record = this.#require(index, name);
        const current = currentVersion(record).version;
        const kept = record.versions.map((v) => v.version);
        let from: number;
        if (toVersion === undefined) {
          if (record.versions.length < 2) {
            throw new StoreError(
              `secret "${name}" has only one version (${current}); there is nothing to roll back to`,
            );
          }
          from = record.versions[record.versions.length - 2]!.version;
        } else {
          if (toVersion === current)
            throw new StoreError(`version ${toVersion} of secret "${name}" is already current`);
          if (!kept.includes(toVersion)) {
            throw new StoreError(
              `secret "${name}" has no version ${toVersion}; kept versions: ${kept.join(", ")} (the last ${KEPT_VERSIONS} are kept)`,
            );
          }
          from = toVersion;
        }
        const value = await this.#openVersion(meta, keys, name, record, from);
        const version = current + 1;
        try {
          await this.#writeSealed(meta, keys, name, record, version, value.bytes());
        } finally {
          value.wipe();
        }
        await syncDirectory(this.valuesDirectory);
        const change = this.#addVersion(
          meta,
          index,
          name,
          record,
          { version, created: new Date().toISOString(), size: value.length, rolledBackFrom: from },
          "rollback",
        );
        return { ...change, result: { version, from } };
      },
      { names: [name] },
    );
    return result;
  }

  /** Removes secrets with all their versions; a missing name refuses them all. Needs no key. */
  async remove(names: string[]): Promise<void> {
    await this.#mutate(
      async ({ meta, index }) => {
        const missing = names.filter((name) => !index.has(name));
        if (missing.length > 0) throw this.#notFound(index, missing);
        const next = new Map(index);
        const obsolete: string[] = [];
        const audit: AuditEvent[] = [];
        for (const name of new Set(names)) {
          const record = index.get(name)!;
          next.delete(name);
          for (const { version } of record.versions)
            obsolete.push(this.sealedFile(record, version, meta.keyGeneration));
          audit.push({ operation: "rm", name, version: currentVersion(record).version });
        }
        return { result: undefined, index: next, audit, obsolete };
      },
      { needsKey: false, names },
    );
  }

  /** The current value of `name` for its owner (`secret reveal`); audited as `reveal`. */
  async reveal(name: string): Promise<{ value: SecretValue; version: number }> {
    checkName(name);
    const found = await this.#readValue(name);
    if (!found) throw this.#notFound((await this.#read())?.index ?? new Map(), [name]);
    await appendAudit(this.auditFile, [{ operation: "reveal", name, version: found.version }], {
      durable: true,
    });
    return found;
  }

  /** The current value of `name` for a project (`up`), or undefined; audited as `use`. */
  async read(name: string, project?: string): Promise<SecretValue | undefined> {
    const found = await this.#readValue(name);
    if (!found) return undefined;
    await appendAudit(
      this.auditFile,
      [{ operation: "use", name, version: found.version, ...(project !== undefined ? { project } : {}) }],
      { durable: false },
    ).catch((error: unknown) => {
      found.value.wipe();
      throw asStoreError(error, this.home);
    });
    return found.value;
  }

  /** Audit entries, oldest first, of one secret or all; `unreadable` counts torn lines skipped. */
  async log(name?: string): Promise<{ entries: AuditEntry[]; unreadable: number }> {
    await this.#checkPermissions();
    // A writer killed after its commit left its audit entries in its journal: append them first.
    if ((await readJournal(this.home).catch(() => undefined)) !== undefined) {
      await withLock(
        this.home,
        async ({ brokeStale }) => {
          await this.#recover();
          // Breaking the killed writer's lock here, this is the one that knows to tidy after it.
          if (!brokeStale) return;
          const meta = await readStoreMeta(this.metaFile);
          if (meta) await this.#collectGarbage(meta, await readIndex(this.indexFile));
        },
        this.#options.lock,
      ).catch((error: unknown) => {
        throw asStoreError(error, this.home);
      });
    }
    const { entries, unreadable } = await readAudit(this.auditFile).catch((error: unknown) => {
      throw asStoreError(error, this.home);
    });
    return { entries: name === undefined ? entries : entries.filter((e) => e.name === name), unreadable };
  }

  /**
   * Re-seals every kept version under a new key: a new random key file (replacing the current
   * one, or at the key file path when the store used a passphrase), or a new passphrase.
   * Returns how many sealed values were rewritten, and what kind of key the store had before.
   */
  async rotateKey(newKey: NewKey): Promise<{ count: number; previous: KeySpec["kind"] }> {
    const newKeyFile = `${this.keyFile}.new`;
    const count = await this.#mutate(
      async ({ meta, keys, index }) => {
        if (newKey.kind === "file" && meta.key.kind === "passphrase") {
          const exists = await stat(this.keyFile).then(
            () => true,
            () => false,
          );
          if (exists) {
            throw new StoreError(
              `key file ${this.keyFile} exists and may open another store; set COMPOSEC_KEY_FILE to a new path for this store's key`,
            );
          }
        }
        const id = meta.id;
        const generation = meta.keyGeneration + 1;
        let master: Buffer;
        let spec: KeySpec;
        if (newKey.kind === "file") {
          master = randomBytes(32);
          await mkdir(path.dirname(newKeyFile), { recursive: true, mode: 0o700 });
          // Durable before the commit: a crash after it must find the new key (see #unlock).
          await writeFileAtomic(newKeyFile, master, { mode: 0o600 });
          crashPoint("store.key-file-staged");
          spec = { kind: "file", check: "" };
        } else {
          const salt = randomBytes(16);
          const params = this.#options.scrypt ?? DEFAULT_SCRYPT;
          master = await deriveFromPassphrase(newKey.passphrase.bytes, salt, params);
          spec = { kind: "passphrase", kdf: "scrypt", salt: salt.toString("base64"), ...params, check: "" };
        }
        const newKeys = deriveStoreKeys(master, id);
        spec.check = keyCheckValue(newKeys, id);
        const next: StoreMeta = { ...meta, keyGeneration: generation, key: spec };
        let count = 0;
        const obsolete: string[] = [];
        for (const [name, record] of index) {
          for (const { version } of record.versions) {
            const value = await this.#openVersion(meta, keys, name, record, version);
            try {
              await this.#writeSealed(next, newKeys, name, record, version, value.bytes());
            } finally {
              value.wipe();
            }
            obsolete.push(this.sealedFile(record, version, meta.keyGeneration));
            count++;
          }
        }
        if (count > 0) await syncDirectory(this.valuesDirectory);
        return {
          result: { count, previous: meta.key.kind },
          // Replacing store.json is the commit point.
          commit: { file: this.metaFile, text: serializeStoreMeta(next) },
          afterCommit: async () => {
            if (newKey.kind === "file") {
              await rename(newKeyFile, this.keyFile);
              await syncDirectory(path.dirname(this.keyFile));
            }
            this.#keys.clear();
          },
          audit: [{ operation: "key-rotate" }],
          obsolete,
        };
      },
      { names: [] },
    );
    return count;
  }

  // --- reading ---

  /** store.json and index.json as a reader sees them (cached for this object's life). */
  async #read(): Promise<Snapshot | undefined> {
    this.#snapshot ??= (async () => {
      await this.#checkPermissions();
      const meta = await readStoreMeta(this.metaFile);
      if (!meta) return undefined;
      return { meta, index: await readIndex(this.indexFile) };
    })().catch((error: unknown) => {
      throw asStoreError(error, this.home);
    });
    try {
      return await this.#snapshot;
    } catch (error) {
      this.#snapshot = undefined;
      throw error;
    }
  }

  async #readValue(name: string): Promise<{ value: SecretValue; version: number } | undefined> {
    for (let attempt = 0; ; attempt++) {
      const snapshot = await this.#read();
      const record = snapshot?.index.get(name);
      if (!snapshot || !record) return undefined;
      const keys = await this.#unlock(snapshot.meta);
      const { version } = currentVersion(record);
      try {
        return { value: await this.#openVersion(snapshot.meta, keys, name, record, version), version };
      } catch (error) {
        // A writer replaced what our snapshot names (key rotation, removal): read once more.
        if (!(error instanceof VanishedError) || attempt > 0) throw error;
        this.#snapshot = undefined;
      }
    }
  }

  async #openVersion(
    meta: StoreMeta,
    keys: StoreKeys,
    name: string,
    record: SecretRecord,
    version: number,
  ): Promise<SecretValue> {
    const file = this.sealedFile(record, version, meta.keyGeneration);
    let sealed: Buffer;
    try {
      // Synchronous on purpose: a sealed file is small (at most 1 MiB + 32 bytes), and reading it
      // in one call instead of four thread-pool round trips (open, stat, read, close) is what
      // keeps fifty external secrets cheap for `up`.
      sealed = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new VanishedError(
          `the sealed value of secret "${name}" version ${version} is missing (${file}); restore the store directory from a backup`,
        );
      }
      throw new StoreError(`${file} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const opened = openSealed(keys.seal, { storeId: meta.id, secretId: record.id, name, version }, sealed);
    if (!opened.ok) {
      // The key was checked against store.json already, so this is not a wrong key.
      throw new StoreError(
        opened.reason === "format"
          ? `${file} is not a sealed composec value (truncated or overwritten); secret "${name}" version ${version} cannot be read`
          : `${file} fails authentication: secret "${name}" version ${version} was modified, or its file was copied from another secret; restore it from a backup`,
      );
    }
    return new SecretValue(opened.plaintext);
  }

  // --- keys ---

  /** The store's keys, checked against store.json; one derivation per store object and key. */
  #unlock(meta: StoreMeta): Promise<StoreKeys> {
    const cacheKey = `${meta.id}:${meta.key.check}`;
    let keys = this.#keys.get(cacheKey);
    if (!keys) {
      keys = this.#deriveAndCheck(meta);
      this.#keys.set(cacheKey, keys);
      keys.catch(() => this.#keys.delete(cacheKey));
    }
    return keys;
  }

  async #deriveAndCheck(meta: StoreMeta): Promise<StoreKeys> {
    const { passphrase } = this.#options;
    const spec = meta.key;
    if (spec.kind === "passphrase") {
      if (!passphrase) {
        throw new StoreError(
          `the secret store at ${this.home} is sealed with a passphrase; set COMPOSEC_PASSPHRASE or pass --passphrase-file`,
        );
      }
      const master = await deriveFromPassphrase(passphrase.bytes, Buffer.from(spec.salt, "base64"), spec);
      const keys = deriveStoreKeys(master, meta.id);
      if (!keyCheckMatches(keys, meta.id, spec.check)) {
        throw new StoreError(
          `wrong passphrase (from ${passphrase.source}) for the secret store at ${this.home}`,
        );
      }
      return keys;
    }
    if (passphrase) {
      throw new StoreError(
        `the secret store at ${this.home} is sealed with the key file ${this.keyFile}, not a passphrase; unset COMPOSEC_PASSPHRASE and drop --passphrase-file (or move to a passphrase with \`composec secret key rotate --new-passphrase-file FILE\`)`,
      );
    }
    const master = await readKeyFile(this.keyFile, this.#warn);
    if (master) {
      const keys = deriveStoreKeys(master, meta.id);
      master.fill(0);
      if (keyCheckMatches(keys, meta.id, spec.check)) return keys;
    }
    // A `key rotate` that committed and then died before renaming the new key file into place.
    const finished = await this.#finishKeyRotation(meta);
    if (finished) return finished;
    if (!master) {
      throw new StoreError(
        `key file ${this.keyFile} does not exist, and the secret store at ${this.home} is sealed with a key file; restore the key file (COMPOSEC_KEY_FILE names its path)`,
      );
    }
    throw new StoreError(
      `the key file ${this.keyFile} does not open the secret store at ${this.home} (a different key)`,
    );
  }

  async #finishKeyRotation(meta: StoreMeta): Promise<StoreKeys | undefined> {
    const newKeyFile = `${this.keyFile}.new`;
    let master: Buffer | undefined;
    try {
      master = await readKeyFile(newKeyFile, this.#warn);
    } catch {
      return undefined;
    }
    if (!master) return undefined;
    const keys = deriveStoreKeys(master, meta.id);
    master.fill(0);
    if (!keyCheckMatches(keys, meta.id, meta.key.check)) return undefined;
    await rename(newKeyFile, this.keyFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error; // another process finished it
    });
    this.#warn(`finished an interrupted \`secret key rotate\`: ${this.keyFile} now holds the new key`);
    return keys;
  }

  /** store.json for a new store: a new id, and the key from the passphrase or the key file. */
  async #initialize(): Promise<StoreMeta> {
    const id = randomUUID();
    const { passphrase } = this.#options;
    let master: Buffer;
    let spec: KeySpec;
    if (passphrase) {
      const salt = randomBytes(16);
      const params = this.#options.scrypt ?? DEFAULT_SCRYPT;
      master = await deriveFromPassphrase(passphrase.bytes, salt, params);
      spec = { kind: "passphrase", kdf: "scrypt", salt: salt.toString("base64"), ...params, check: "" };
    } else {
      master =
        (await readKeyFile(this.keyFile, this.#warn)) ?? (await createKeyFile(this.keyFile, this.#warn));
      spec = { kind: "file", check: "" };
    }
    spec.check = keyCheckValue(deriveStoreKeys(master, id), id);
    const meta: StoreMeta = { format: 1, id, created: new Date().toISOString(), keyGeneration: 1, key: spec };
    await mkdir(this.valuesDirectory, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.metaFile, serializeStoreMeta(meta));
    return meta;
  }

  // --- writing ---

  /**
   * Runs one change under the lock: reads store.json (creating the store if needed) and the index,
   * lets `change` decide, then writes the index, the audit entries and deletes obsolete files.
   */
  async #mutate<T>(
    change: (state: { meta: StoreMeta; keys: StoreKeys; index: StoreIndex }) => Promise<Change<T>>,
    options: { needsKey?: boolean; create?: boolean; names: string[] },
  ): Promise<T> {
    const needsKey = options.needsKey ?? true;
    await this.#checkPermissions();
    // Only `create` makes a store (and a key file); anything else on a missing store is "not found".
    const before = await readStoreMeta(this.metaFile);
    if (!before && !options.create) throw this.#notFound(new Map(), options.names);
    // Derive the key before taking the lock: scrypt takes a while, and others would wait for it.
    if (before && needsKey) await this.#unlock(before);
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    try {
      return await withLock(
        this.home,
        async ({ brokeStale }) => {
          crashPoint("store.locked");
          await this.#recover();
          await this.#removeLeftovers();
          const meta = (await readStoreMeta(this.metaFile)) ?? (await this.#initialize());
          const keys = needsKey ? await this.#unlock(meta) : NO_KEYS;
          const index = await readIndex(this.indexFile);
          if (brokeStale) await this.#collectGarbage(meta, index);
          const {
            result,
            index: next,
            audit,
            obsolete,
            commit,
            afterCommit,
          } = await change({
            meta,
            keys,
            index,
          });
          const target = commit ?? (next && { file: this.indexFile, text: serializeIndex(next) });
          const entries = auditEntries(audit);
          if (target) {
            // The journal first: a kill between the commit and the audit entry must not leave a
            // change the log does not record (journal.ts).
            await writeJournal(this.home, target.file, target.text, entries);
            crashPoint("store.journaled");
            await writeFileAtomic(target.file, target.text);
            crashPoint("store.committed");
            await afterCommit?.();
          }
          await appendAudit(this.auditFile, entries, { durable: true });
          crashPoint("store.audited");
          if (target) await removeJournal(this.home);
          for (const file of obsolete ?? []) await unlink(file).catch(() => {});
          return result;
        },
        this.#options.lock,
      );
    } catch (error) {
      throw asStoreError(error, this.home);
    } finally {
      this.#snapshot = undefined;
    }
  }

  /**
   * Finishes the audit of a change whose writer was killed between its journal and removing it
   * (journal.ts): a committed change gets its entries (unless the log holds them already), an
   * uncommitted one none. Runs under the lock.
   */
  async #recover(): Promise<void> {
    const journal = await readJournal(this.home);
    if (journal === undefined) return;
    if (journal !== "unreadable" && (await committed(this.home, journal))) {
      if (!(await auditHolds(this.auditFile, journal.audit)))
        await appendAudit(this.auditFile, journal.audit, { durable: true });
    }
    await removeJournal(this.home);
  }

  /**
   * Sealed files no index entry names, after a writer was killed (its lock was found stale): the
   * values of a change it never committed, those of secrets it removed or versions it pruned
   * before it could delete them, the other key generation of a killed `key rotate`, and its
   * temporary files. Only then: listing thousands of values at every write would cost more.
   */
  async #collectGarbage(meta: StoreMeta, index: StoreIndex): Promise<void> {
    const named = new Set<string>();
    for (const record of index.values()) {
      for (const { version } of record.versions)
        named.add(path.basename(this.sealedFile(record, version, meta.keyGeneration)));
    }
    const entries = await readdir(this.valuesDirectory).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!named.has(entry)) await unlink(path.join(this.valuesDirectory, entry)).catch(() => {});
    }
  }

  /**
   * Temporary files a writer killed mid-way left in the store directory. Runs under the lock, when
   * no other writer's index or store.json temporary file can exist; a waiter's lock temporary
   * file is fresh, so only old ones go. (A killed writer's files in values/ go through
   * #collectGarbage, once its lock tells that it was killed.)
   */
  async #removeLeftovers(): Promise<void> {
    const entries = await readdir(this.home).catch(() => [] as string[]);
    for (const entry of entries) {
      const file = path.join(this.home, entry);
      if (/^\.(index|store|journal)\.json\.[0-9a-f]+\.tmp$/.test(entry)) {
        await unlink(file).catch(() => {});
      } else if (/^lock\.[0-9a-f]+\.tmp$/.test(entry)) {
        const age = await stat(file).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > 60_000) await unlink(file).catch(() => {});
      }
    }
  }

  async #writeSealed(
    meta: StoreMeta,
    keys: StoreKeys,
    name: string,
    record: SecretRecord,
    version: number,
    plaintext: Buffer,
  ): Promise<void> {
    const sealed = seal(keys.seal, { storeId: meta.id, secretId: record.id, name, version }, plaintext);
    await mkdir(this.valuesDirectory, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.sealedFile(record, version, meta.keyGeneration), sealed, {
      syncDirectory: false,
    });
    crashPoint("store.sealed");
  }

  #addVersion(
    meta: StoreMeta,
    index: StoreIndex,
    name: string,
    record: SecretRecord,
    version: SecretRecord["versions"][number],
    operation: "rotate" | "rollback",
  ): Change<number> {
    const versions = [...record.versions, version];
    const pruned = versions.splice(0, Math.max(0, versions.length - KEPT_VERSIONS));
    const next = new Map(index);
    next.set(name, { ...record, versions });
    return {
      result: version.version,
      index: next,
      audit: [{ operation, name, version: version.version }],
      obsolete: pruned.map((v) => this.sealedFile(record, v.version, meta.keyGeneration)),
    };
  }

  #require(index: StoreIndex, name: string): SecretRecord {
    const record = index.get(name);
    if (!record) throw this.#notFound(index, [name]);
    return record;
  }

  /** The error for names the store does not hold, with a "did you mean" where one is close. */
  async notFoundError(names: string[]): Promise<StoreError> {
    return this.#notFound((await this.#read())?.index ?? new Map(), names);
  }

  #notFound(index: StoreIndex, names: string[]): StoreError {
    if (names.length === 0) return new StoreError(`the secret store at ${this.home} does not exist yet`);
    const known = [...index.keys()];
    const parts = names.map((name) => {
      const suggestion = closest(name, known);
      return `"${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
    });
    return new StoreError(
      `no secret ${parts.join(", ")} in the secret store at ${this.home}${known.length === 0 ? " (it is empty)" : ""}`,
    );
  }

  /** Warns (once) when group or others can reach the store directory. */
  async #checkPermissions(): Promise<void> {
    if (this.#permissionsChecked) return;
    this.#permissionsChecked = true;
    try {
      const { mode } = await stat(this.home);
      if ((mode & 0o077) !== 0) {
        this.#warn(
          `the secret store directory ${this.home} can be read by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 700 ${this.home}`,
        );
      }
    } catch {
      // Not created yet: it will be, 0700.
    }
  }
}

/**
 * A file system failure (permissions, a full or read-only disk) as a StoreError saying what could
 * not be done where: the user's to fix, not a bug. Anything else passes through unchanged.
 */
function asStoreError(error: unknown, home: string): unknown {
  if (error instanceof StoreError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== "string" || typeof e.syscall !== "string") return error;
  return new StoreError(
    `secret store at ${home}: ${e.syscall} ${e.path ?? ""} failed (${e.code})`.replace("  ", " "),
    {
      cause: error,
    },
  );
}

/** A sealed file named by the index is gone: possibly a concurrent writer, worth one more read. */
class VanishedError extends StoreError {}

const NO_KEYS: StoreKeys = { seal: Buffer.alloc(0), check: Buffer.alloc(0) };

function checkSize(value: SecretValue): void {
  if (value.length > MAX_SECRET_BYTES) {
    throw new StoreError(
      `the value holds ${value.length} bytes, more than the ${MAX_SECRET_BYTES}-byte (1 MiB) limit for a secret`,
    );
  }
}

function info(name: string, record: SecretRecord): SecretInfo {
  const current = currentVersion(record);
  return {
    name,
    version: current.version,
    created: record.created,
    updated: current.created,
    size: current.size,
    labels: record.labels,
    versions: record.versions,
  };
}
