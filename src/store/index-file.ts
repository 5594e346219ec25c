// index.json: every secret's metadata (names, versions, times, sizes, labels), never a value.
// `ls` and `inspect` read only this file, so they need no key and stay fast with many secrets.
// Written whole, atomically, one secret per line so a diff or a corrupted byte is easy to find. A
// list of like-shaped objects, not an object keyed by name: JSON.parse builds that several times
// faster with 10,000 secrets, and a name such as `__proto__` is plain data.
import { readFile } from "node:fs/promises";
import { StoreError } from "../errors.js";

export interface VersionRecord {
  version: number;
  created: string;
  size: number;
  /** Set when `rollback` made this version from an earlier one. */
  rolledBackFrom?: number;
}

export interface SecretRecord {
  name: string;
  /** Random, fixed for the secret's life; names its sealed files (a re-created name gets a new id). */
  id: string;
  created: string;
  labels: Record<string, string>;
  /** Kept versions, oldest first; the last one is current. Never empty. */
  versions: VersionRecord[];
}

/** Name to record; a Map, as a name such as `__proto__` is valid. */
export type StoreIndex = Map<string, SecretRecord>;

/** Reads index.json; an empty index when it does not exist yet. */
export async function readIndex(file: string): Promise<StoreIndex> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new StoreError(`${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return parseIndex(file, text);
}

/** Parses and checks index.json's text; anything unexpected is a StoreError naming the file. */
export function parseIndex(file: string, text: string): StoreIndex {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupted(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const root = data as { format?: unknown; secrets?: unknown } | null;
  if (!root || typeof root !== "object" || Array.isArray(root)) throw corrupted(file, "it is not an object");
  if (root.format !== 1) throw corrupted(file, `unknown format ${JSON.stringify(root.format)}`);
  if (!Array.isArray(root.secrets)) throw corrupted(file, `"secrets" is not a list`);
  const index: StoreIndex = new Map();
  for (const value of root.secrets as unknown[]) {
    const name = (value as { name?: unknown } | null)?.name;
    if (typeof name !== "string") throw corrupted(file, `a secret has no name`);
    const problem = checkRecord(value);
    if (problem) throw corrupted(file, `secret "${name}": ${problem}`);
    if (index.has(name)) throw corrupted(file, `secret "${name}" is listed twice`);
    index.set(name, value as SecretRecord);
  }
  return index;
}

function checkRecord(value: unknown): string | undefined {
  const record = value as Partial<SecretRecord> | null;
  if (!record || typeof record !== "object") return "not an object";
  if (typeof record.id !== "string" || !/^[0-9a-f]{8,64}$/.test(record.id)) return "no valid id";
  if (typeof record.created !== "string") return "no created time";
  if (!record.labels || typeof record.labels !== "object" || Array.isArray(record.labels))
    return "labels is not an object";
  for (const label of Object.values(record.labels))
    if (typeof label !== "string") return "a label is not a string";
  if (!Array.isArray(record.versions) || record.versions.length === 0) return "no versions";
  let previous = 0;
  for (const version of record.versions as Partial<VersionRecord>[]) {
    if (!version || typeof version !== "object") return "a version is not an object";
    if (
      typeof version.version !== "number" ||
      !Number.isInteger(version.version) ||
      version.version <= previous
    ) {
      return "versions are not increasing integers";
    }
    previous = version.version;
    if (typeof version.created !== "string") return `version ${version.version} has no created time`;
    if (typeof version.size !== "number" || !Number.isInteger(version.size) || version.size < 0) {
      return `version ${version.version} has no valid size`;
    }
  }
  return undefined;
}

/** index.json's text: one secret per line, sorted by name. */
export function serializeIndex(index: StoreIndex): string {
  const names = [...index.keys()].sort();
  const lines = names.map((name) => JSON.stringify(index.get(name)));
  return lines.length === 0
    ? '{"format":1,"secrets":[]}\n'
    : `{"format":1,"secrets":[\n${lines.join(",\n")}\n]}\n`;
}

/** The current (last) version of a record. */
export function currentVersion(record: SecretRecord): VersionRecord {
  return record.versions[record.versions.length - 1]!;
}

function corrupted(file: string, what: string): StoreError {
  return new StoreError(
    `the secret store index ${file} is corrupted: ${what}; restore it from a backup (the sealed values beside it are intact, and each one is bound to its name and version)`,
  );
}
