import { inspect } from "node:util";

const REDACTED = "[secret redacted]";

/**
 * Secret bytes in memory. Every way JavaScript turns a value into text (`String()`, template
 * strings, `JSON.stringify`, `console.log`, `util.inspect`) prints a placeholder, so a value can
 * only leave this object through `bytes()`, on purpose.
 */
export class SecretValue {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** The secret's exact bytes. Callers write them to tmpfs or a BuildKit session, nowhere else. */
  bytes(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** Overwrites the bytes in memory once they are no longer needed. */
  wipe(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}
