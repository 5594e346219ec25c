// The Compose "list or dict" of strings (`labels`, `sysctls`, `driver_opts`, ...) in one form: a
// mapping of strings. `KEY=value` list entries split at the first `=`, a bare `KEY` is empty, and
// a mapping's numbers and booleans become their text, as compose-go reads them.

/** A list of `KEY=value` or a mapping, as the schema allows for these attributes. */
export type ListOrDict = string[] | Record<string, string | number | boolean | null>;

/**
 * The entries as a mapping of strings. With `dropExtensions`, `x-` keys of a mapping are left
 * out: the schema allows them as extensions only where a mapping has fixed keys
 * (`credential_spec`), and there they are not values.
 */
export function stringMap(
  value: string[] | Record<string, unknown>,
  options: { dropExtensions?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const entry of value) {
      const equals = entry.indexOf("=");
      if (equals < 0) out[entry] = "";
      else out[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
    return out;
  }
  for (const key in value) {
    if (options.dropExtensions && key.startsWith("x-")) continue;
    const item = value[key];
    out[key] = item === null || item === undefined ? "" : String(item);
  }
  return out;
}
