// store.json: the store's identity and how its key is checked. Changes only when the store is
// created and when `key rotate` commits (replacing this file is that commit).
import { readFile } from "node:fs/promises";
import { StoreError } from "../errors.js";
import type { ScryptParams } from "./crypto.js";

export type KeySpec =
  | { kind: "file"; check: string }
  | ({ kind: "passphrase"; kdf: "scrypt"; salt: string; check: string } & ScryptParams);

export interface StoreMeta {
  format: 1;
  /** Random; bound into every sealed value and salts the derived keys. */
  id: string;
  created: string;
  /** Incremented by `key rotate`; sealed files carry it in their names (see layout.ts). */
  keyGeneration: number;
  key: KeySpec;
}

/** Reads store.json; undefined when it does not exist (the store was never created). */
export async function readStoreMeta(file: string): Promise<StoreMeta | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StoreError(`${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupted(file, `not JSON (${(error as Error).message})`);
  }
  const meta = data as Partial<StoreMeta> | null;
  if (!meta || typeof meta !== "object") throw corrupted(file, "not an object");
  if (meta.format !== 1) throw corrupted(file, `unknown format ${JSON.stringify(meta.format)}`);
  if (typeof meta.id !== "string" || !/^[0-9a-f-]{8,}$/.test(meta.id)) throw corrupted(file, "no valid id");
  if (
    typeof meta.keyGeneration !== "number" ||
    !Number.isInteger(meta.keyGeneration) ||
    meta.keyGeneration < 1
  ) {
    throw corrupted(file, "no valid keyGeneration");
  }
  const key = meta.key as Partial<KeySpec> | undefined;
  if (!key || typeof key.check !== "string") throw corrupted(file, "no key check value");
  if (key.kind === "passphrase") {
    const p = key as Partial<Extract<KeySpec, { kind: "passphrase" }>>;
    if (p.kdf !== "scrypt" || typeof p.salt !== "string" || ![p.N, p.r, p.p].every(isPositiveInteger)) {
      throw corrupted(file, "no valid scrypt parameters");
    }
  } else if (key.kind !== "file") {
    throw corrupted(file, `unknown key kind ${JSON.stringify(key.kind)}`);
  }
  return meta as StoreMeta;
}

export function serializeStoreMeta(meta: StoreMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function corrupted(file: string, what: string): StoreError {
  return new StoreError(
    `${file} is corrupted: ${what}; restore it from a backup (without it the sealed values cannot be opened)`,
  );
}
