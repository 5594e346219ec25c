// What a store name and a label may be. Names follow the Compose secret key rule, so every name
// a compose file can reference can be stored, and nothing else.
import { StoreError, UsageError } from "../errors.js";

export const NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
export const MAX_NAME_LENGTH = 255;

/** Throws a StoreError saying why `name` cannot name a secret. */
export function checkName(name: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    throw new StoreError(
      `secret name "${name.slice(0, 40)}..." is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new StoreError(
      `"${name}" is not a valid secret name; use letters, digits, ".", "_" and "-" (as compose secret keys)`,
    );
  }
}

/** `k=v` (or `k`, an empty value) to an entry; the key may not be empty. */
export function parseLabel(text: string): [string, string] {
  const equals = text.indexOf("=");
  const key = equals < 0 ? text : text.slice(0, equals);
  const value = equals < 0 ? "" : text.slice(equals + 1);
  if (key.trim() === "") throw new UsageError(`label "${text}" has no key; write --label key=value`);
  return [key, value];
}
