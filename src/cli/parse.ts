import { UsageError } from "../errors.js";

/** A `<seconds>` flag value: a whole number of seconds, 0 or more; `undefined` when not given. */
export function parseSeconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`${flag} "${value}" is not a number of seconds; use a whole number such as 10`);
  }
  return Number(value.trim());
}
