// Stage 2: `${VAR}` substitution in every string value, as Compose does it.
import { formatPath, type PathSegment } from "./paths.js";

export type Lookup = (name: string) => string | undefined;

/** A failed substitution; the caller adds the file and path. */
export class InterpolationError extends Error {
  override name = "InterpolationError";
  /** What went wrong without quoting the text (for values that may be secret, as in .env files). */
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.reason = reason;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Substitutes variables in one string: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+alternative}`, `${VAR+alternative}`, and `$$` for a
 * literal `$`. Defaults and alternatives may themselves contain substitutions.
 */
export function interpolateString(text: string, lookup: Lookup): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = matchingBrace(text, dollar + 2);
      if (end < 0)
        throw new InterpolationError(
          `invalid interpolation format in "${text}": missing "}"`,
          'has "${" without its closing "}"',
        );
      out += substitute(text.slice(dollar + 2, end), text, lookup);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) {
        out += lookup(name) ?? "";
        i = dollar + 1 + name.length;
      } else {
        // A lone `$` followed by something that cannot start a name stays as written, as in Compose.
        out += "$";
        i = dollar + 1;
      }
    }
  }
  return out;
}

function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function substitute(inner: string, whole: string, lookup: Lookup): string {
  const name = NAME.exec(inner)?.[0];
  if (!name)
    throw new InterpolationError(
      `invalid interpolation format in "${whole}": "\${${inner}}" is not a variable name`,
      'has "${...}" without a variable name in it',
    );
  const rest = inner.slice(name.length);
  const value = lookup(name);
  if (rest === "") return value ?? "";
  const operator = /^(:?[-?+])/.exec(rest)?.[1];
  if (!operator) {
    throw new InterpolationError(
      `invalid interpolation format in "${whole}": "\${${inner}}"; use \${${name}}, \${${name}:-default}, \${${name}:?message} or \${${name}:+alternative}`,
      `has an invalid \${${name}...}; use \${${name}}, \${${name}:-default}, \${${name}:?message} or \${${name}:+alternative}`,
    );
  }
  const argument = rest.slice(operator.length);
  const unsetOrEmpty = value === undefined || value === "";
  const missing = operator.startsWith(":") ? unsetOrEmpty : value === undefined;
  switch (operator.replace(":", "")) {
    case "-":
      return missing ? interpolateString(argument, lookup) : value!;
    case "+":
      return missing ? "" : interpolateString(argument, lookup);
    default: {
      if (!missing) return value!;
      const message = interpolateString(argument, lookup);
      const state = value === undefined ? "not set" : "empty";
      throw new InterpolationError(
        `required variable ${name} is ${state}${message ? `: ${message}` : ""}`,
        `needs ${name}, which is ${state}`,
      );
    }
  }
}

/** A failure while interpolating a document, with the path of the value. */
export interface InterpolationProblem {
  path: string;
  message: string;
}

/**
 * Interpolates every string value (not keys) of plain data; returns the data and all failures.
 * With `inPlace`, the data's own mappings and lists are updated instead of copied: for data that
 * nothing else holds and that shares no mapping or list between two places (YAML aliases do), where
 * a second visit would interpolate a value twice.
 */
export function interpolateData(
  data: unknown,
  lookup: Lookup,
  options: { inPlace?: boolean } = {},
): { data: unknown; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  const inPlace = options.inPlace === true;
  // One path, grown and shrunk on the way down and up: a copy per value would be most of this
  // stage's garbage on a large file, and the path is needed only for a failure.
  const path: PathSegment[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") {
      if (!value.includes("$")) return value;
      try {
        return interpolateString(value, lookup);
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        problems.push({ path: formatPath(path), message: error.message });
        return value;
      }
    }
    if (Array.isArray(value)) {
      const out = inPlace ? value : new Array<unknown>(value.length);
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        out[index] = walk(value[index]);
        path.pop();
      }
      return out;
    }
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = inPlace ? (value as Record<string, unknown>) : {};
      // for-in, not Object.keys(): no array per mapping (parsed data has no inherited keys).
      for (const key in value) {
        // Extensions are the user's own data; Compose interpolates them too.
        path.push(key);
        out[key] = walk((value as Record<string, unknown>)[key]);
        path.pop();
      }
      return out;
    }
    return value;
  };
  return { data: walk(data), problems };
}
