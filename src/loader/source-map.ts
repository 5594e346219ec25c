// Where each part of the merged project was written, so problems found after merging still point
// at a file, line and column.
import { formatLocation, type Location, type Problem } from "../errors.js";
import type { WrittenFile } from "./parse-yaml.js";
import { formatPath, type PathSegment } from "./paths.js";

interface Origin {
  file: string;
  path: PathSegment[];
}

/**
 * Positions of every parsed file, plus the origin of each object built from them. Merging makes new
 * objects from several files' objects; an object remembers all of its origins, latest file first.
 */
export class SourceMap {
  readonly #files = new Map<string, WrittenFile>();
  /** Each file's text split into lines, made on the first `writtenText` of that file. */
  readonly #lines = new Map<string, string[]>();
  readonly #origins = new WeakMap<object, Origin[]>();

  addFile(written: WrittenFile): void {
    this.#files.set(written.file, written);
  }

  /** Records that `object` was written at `path` in `file`. */
  mark(object: object, file: string, path: PathSegment[]): void {
    this.#origins.set(object, [{ file, path }]);
  }

  /** Gives `merged` the origins of `later` (first) and `earlier`. */
  inherit(merged: object, later: object | undefined, earlier?: object): void {
    // Origin lists are never changed once made, so one side's list is shared rather than copied.
    const fromLater = later ? this.#origins.get(later) : undefined;
    const fromEarlier = earlier ? this.#origins.get(earlier) : undefined;
    const origins = fromLater && fromEarlier ? fromLater.concat(fromEarlier) : (fromLater ?? fromEarlier);
    if (origins && origins.length > 0) this.#origins.set(merged, origins);
  }

  /** One parsed file's text and positions, by the name it was loaded under. */
  written(file: string): WrittenFile | undefined {
    return this.#files.get(file);
  }

  originsOf(object: object): Origin[] {
    return this.#origins.get(object) ?? [];
  }

  /** Position of `path` in `file`, or of its nearest written ancestor. */
  positionIn(file: string, path: PathSegment[]): Location | undefined {
    const parsed = this.#files.get(file);
    if (!parsed) return undefined;
    for (let length = path.length; length >= 0; length--) {
      const found = parsed.positions.get(formatPath(path.slice(0, length)));
      if (found) return found;
    }
    return { file, line: 1, column: 1 };
  }

  /** Where `suffix` inside `object` was written: the first origin that wrote it, else the object. */
  locate(object: object, suffix: PathSegment[] = []): Location | undefined {
    const origins = this.originsOf(object);
    // The written path, or its nearest written ancestor within the object (a list written where the
    // model keeps a mapping has no entry for the mapping's key).
    for (let length = suffix.length; length >= 0; length--) {
      for (const origin of origins) {
        const found = this.#files
          .get(origin.file)
          ?.positions.get(formatPath([...origin.path, ...suffix.slice(0, length)]));
        if (found) return found;
      }
    }
    const first = origins[0];
    return first ? this.positionIn(first.file, first.path) : undefined;
  }

  /** The path `object` was written at (latest file), plus `suffix`; else `fallback`. */
  pathOf(object: object, suffix: PathSegment[], fallback: PathSegment[]): PathSegment[] {
    const origin = this.originsOf(object)[0];
    return origin ? [...origin.path, ...suffix] : fallback;
  }

  /** The scalar at `path` in `file` as written (up to a comment, comma or the line's end). */
  writtenText(file: string, path: PathSegment[]): string | undefined {
    const parsed = this.#files.get(file);
    const at = parsed?.positions.get(formatPath(path));
    if (!parsed || !at) return undefined;
    let lines = this.#lines.get(file);
    if (!lines) this.#lines.set(file, (lines = parsed.text.split("\n")));
    const line = lines[at.line - 1] ?? "";
    return /^[^\s,#}\]]+/.exec(line.slice(at.column - 1))?.[0];
  }

  /** Whether the value at `path` in `file` was written as a plain decimal integer. */
  isDecimalLiteral(file: string, path: PathSegment[]): boolean {
    return this.#files.get(file)?.decimalIntegers.has(formatPath(path)) ?? false;
  }
}

/** Collects problems and warnings of one load, each with its location. */
export class Diagnostics {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  /** Definitions already reported as invalid (`secrets:db`): references to them say nothing more. */
  readonly broken = new Set<string>();
  readonly #reported = new Set<string>();

  constructor(private readonly sources: SourceMap) {}

  /** A problem with `suffix` of `object`, located and named by where the object was written. */
  errorIn(object: object, suffix: PathSegment[], message: string): void {
    this.error(this.sources.locate(object, suffix), this.sources.pathOf(object, suffix, suffix), message);
  }

  error(location: Location | undefined, path: PathSegment[] | string, message: string): void {
    this.#report(this.problems, location, path, message);
  }

  warn(location: Location | undefined, path: PathSegment[] | string, message: string): void {
    this.#report(this.warnings, location, path, message);
  }

  // A base that several services extend, or a file two includes share, is checked with each of
  // them: say each thing once.
  #report(list: Problem[], location: Location | undefined, path: PathSegment[] | string, message: string) {
    const problem = { location, path: typeof path === "string" ? path : formatPath(path), message };
    const key = `${list === this.problems ? "E" : "W"} ${formatLocation(location)} ${problem.path} ${message}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    list.push(problem);
  }
}

/** The source map each loaded project was made with: checks made long after loading (a build) still locate what they refuse. */
const projectSources = new WeakMap<object, SourceMap>();

/** Records where `project` was written (the loader does, once per load). */
export function rememberSources(project: object, sources: SourceMap): void {
  projectSources.set(project, sources);
}

/** Where `project` was written, when the loader made it (a project built in code has none). */
export function sourcesOf(project: object): SourceMap | undefined {
  return projectSources.get(project);
}
