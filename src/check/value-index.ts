// Finds the values of declared secrets inside other text, without turning a value into a string:
// the needles stay views of the SecretValue's bytes, and a text is searched as bytes. Candidates
// are looked up by their first four bytes, so a text is scanned once whatever the number of secrets.
import type { SecretValue } from "../secrets/secret-value.js";

/** Shorter values (`yes`, `admin`) would be found in ordinary words everywhere. */
export const MIN_VALUE_BYTES = 6;

interface Needle {
  key: string;
  bytes: Buffer;
}

export interface ValueHit {
  /** The secret's key. */
  key: string;
  /** Byte offset in the text searched. */
  offset: number;
  length: number;
}

export class ValueIndex {
  readonly #byPrefix = new Map<number, Needle[]>();

  constructor(values: Map<string, SecretValue>) {
    for (const [key, value] of values) {
      const bytes = trim(value.bytes());
      if (bytes.length < MIN_VALUE_BYTES) continue;
      const prefix = bytes.readUInt32LE(0);
      const list = this.#byPrefix.get(prefix) ?? [];
      list.push({ key, bytes });
      this.#byPrefix.set(prefix, list);
    }
    // Longest first: a value that contains another is reported as itself.
    for (const list of this.#byPrefix.values()) list.sort((a, b) => b.bytes.length - a.bytes.length);
  }

  get empty(): boolean {
    return this.#byPrefix.size === 0;
  }

  /** Every place a secret value occurs in `text` (non-overlapping, left to right). */
  findAll(text: string | Buffer): ValueHit[] {
    if (this.#byPrefix.size === 0) return [];
    const haystack = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    const hits: ValueHit[] = [];
    for (let offset = 0; offset + MIN_VALUE_BYTES <= haystack.length; offset++) {
      const list = this.#byPrefix.get(haystack.readUInt32LE(offset));
      if (!list) continue;
      const needle = list.find(
        (candidate) =>
          offset + candidate.bytes.length <= haystack.length &&
          haystack.compare(
            candidate.bytes,
            0,
            candidate.bytes.length,
            offset,
            offset + candidate.bytes.length,
          ) === 0,
      );
      if (!needle) continue;
      hits.push({ key: needle.key, offset, length: needle.bytes.length });
      offset += needle.bytes.length - 1;
    }
    return hits;
  }

  /** The first secret whose value occurs in `text`. */
  find(text: string): ValueHit | undefined {
    return this.findAll(text)[0];
  }
}

/** The value without surrounding blanks and line ends: a file written by an editor ends with one. */
function trim(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  const blank = (byte: number | undefined) =>
    byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
  while (start < end && blank(bytes[start])) start++;
  while (end > start && blank(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}
