import { parseDuration } from "../loader/units.js";
import { UsageError } from "../errors.js";
import type { PullFlag } from "../plan/pull-plan.js";

/** A `<seconds>` flag value: a whole number of seconds, 0 or more; `undefined` when not given. */
export function parseSeconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`${flag} "${value}" is not a number of seconds; use a whole number such as 10`);
  }
  return Number(value.trim());
}

/**
 * `--since`/`--until` as the Docker CLI reads them: a duration before now (`10m`, `1h30m`), a unix
 * timestamp (`1700000000`), or a date and time (`2024-01-02T15:04:05Z`, `2024-01-02`). Unix seconds.
 */
export function parseTimeFlag(flag: string, value: string, now: number): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.floor(Number(text));
  const nanoseconds = parseDuration(text);
  if (nanoseconds !== undefined) return Math.floor(now / 1000 - nanoseconds / 1e9);
  const date = Date.parse(text);
  if (Number.isFinite(date)) return Math.floor(date / 1000);
  throw new UsageError(
    `${flag} "${value}" is not a time; use a duration such as 10m or 1h30m, a unix timestamp, or a date such as 2024-01-02T15:04:05Z`,
  );
}

/** `--tail`: a number of lines, or `all`. */
export function parseTail(value: string): number | "all" {
  const text = value.trim();
  if (text === "all") return "all";
  if (!/^\d+$/.test(text))
    throw new UsageError(`--tail "${value}" is not a number of lines; use a number or all`);
  return Number(text);
}

/** `KEY=VALUE` pairs of a repeatable `-e`; a bare `KEY` takes its value from this environment. */
export function parseEnvFlags(values: string[], env: Record<string, string | undefined>): string[] {
  const result: string[] = [];
  for (const value of values) {
    if (value.includes("=")) {
      if (value.startsWith("=")) throw new UsageError(`-e "${value}" has no variable name; use KEY=VALUE`);
      result.push(value);
    } else if (env[value] !== undefined) {
      result.push(`${value}=${env[value]}`);
    }
  }
  return result;
}

/** A repeatable flag's collector for Commander. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--index`: a container number, 1 or more. */
export function parseIndex(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new UsageError(`--index "${value}" is not a container number; use 1 or more`);
  return Number(value.trim());
}

/** Repeated `--scale service=n` flags, as a replica count per service. */
export function parseScale(values: string[]): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const value of values) {
    const match = /^([^=]+)=(\d+)$/.exec(value.trim());
    if (match === null)
      throw new UsageError(`--scale "${value}" is not service=count; use e.g. --scale web=3`);
    scale[match[1] as string] = Number(match[2]);
  }
  return scale;
}

/** `--pull` of up, create and run: always, missing or never; `policy` (the default) is each service's own. */
export function parsePullFlag(value: string | undefined): PullFlag | undefined {
  if (value === undefined || value === "policy") return undefined;
  if (value === "always" || value === "missing" || value === "never") return value;
  throw new UsageError(
    `--pull "${value}" is not a pull policy; use always, missing or never (or policy: each service's pull_policy)`,
  );
}
