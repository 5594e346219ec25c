// Where a value of the project was written: file, line and column, and the text of that line (for
// `# composec-ignore` comments and to tell a literal from an interpolation). Reads the loader's
// source map; list entries (`- KEY=value`) have no position of their own by key, so they are found
// by scanning the list's entries.
import type { Location } from "../errors.js";
import type { SourceMap } from "../loader/source-map.js";
import { formatPath, type PathSegment } from "../loader/paths.js";

export interface Written {
  location: Location;
  /** The line's text from the value's column on (whole line for a key only). */
  text: string;
  /** Whether the exact entry was found (else `location` is its nearest written ancestor). */
  exact: boolean;
}

/** Where each line of a text starts; kept per text, as a large file is asked for many lines. */
const lineStarts = new Map<string, number[]>();

/** The line `line` (1-based) of a text, without its line end. */
export function lineOf(text: string, line: number): string {
  let starts = lineStarts.get(text);
  if (!starts) {
    starts = [0];
    for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1))
      starts.push(index + 1);
    lineStarts.set(text, starts);
  }
  const start = starts[line - 1];
  if (start === undefined) return "";
  const end = starts[line] === undefined ? text.length : starts[line]! - 1;
  return text.slice(start, end).replace(/\r$/, "");
}

/**
 * Where `segments` (`["environment", "API_KEY"]`) of `object` (a service or a definition) was
 * written. A mapping entry is found by its key; an entry of a `KEY=value` list by its text.
 */
export function locateEntry(
  sources: SourceMap,
  object: object,
  segments: PathSegment[],
): Written | undefined {
  const origins = sources.originsOf(object);
  for (const origin of origins) {
    const written = sources.written(origin.file);
    if (!written) continue;
    const exact = written.positions.get(formatPath([...origin.path, ...segments]));
    if (exact)
      return { location: exact, text: lineOf(written.text, exact.line).slice(exact.column - 1), exact: true };
    const key = segments.at(-1);
    if (typeof key !== "string") continue;
    const list = [...origin.path, ...segments.slice(0, -1)];
    for (let index = 0; ; index++) {
      const at = written.positions.get(formatPath([...list, index]));
      if (!at) break;
      const text = lineOf(written.text, at.line).slice(at.column - 1);
      const entry = text.replace(/^["']/, "");
      if (
        entry.startsWith(`${key}=`) ||
        entry === key ||
        new RegExp(`^${escape(key)}["']?\\s*(#|$)`).test(entry)
      ) {
        return { location: at, text, exact: true };
      }
    }
  }
  const fallback = sources.locate(object, segments);
  if (!fallback) return undefined;
  const written = sources.written(fallback.file);
  return {
    location: fallback,
    text: written ? lineOf(written.text, fallback.line).slice(fallback.column - 1) : "",
    exact: false,
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
