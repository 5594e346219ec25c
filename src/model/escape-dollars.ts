// A loaded project holds its strings interpolated: `$$` written in a file is one `$`. Written back
// as a compose file, each `$` must be `$$` again, or loading that file would interpolate it a
// second time (`config` of `config` would change `$$HOME` into the home directory).

/** `value` with every `$` in its strings (not its keys) doubled, as a compose file must say it. */
export function escapeDollars<T>(value: T): T {
  if (typeof value === "string") return (value.includes("$") ? value.replaceAll("$", "$$$$") : value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => escapeDollars(item)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = escapeDollars((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}
