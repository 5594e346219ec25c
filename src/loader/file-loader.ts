// What `extends` and `include` need of the loader to read compose files beyond the `-f` ones. The
// loader (index.ts) provides it; extends.ts and include.ts only call it, so the per-file stages
// stay in one place.
import { readFileSync } from "node:fs";
import type { CanonicalFile } from "./canonicalize.js";
import type { ExtendsFile } from "./extends.js";
import type { Lookup } from "./interpolate.js";
import type { TaggedPath } from "./override-tags.js";
import type { ComposeFile } from "./schema.js";
import type { Diagnostics, SourceMap } from "./source-map.js";

/** The variables a compose file is interpolated with, and how it came to be read. */
export interface Scope {
  lookup: Lookup;
  /** Files whose `include` led to this one, outermost first: including one of them is a cycle. */
  includedBy: readonly string[];
  /** Files read for `extends` under this scope, by absolute path (their values depend on `lookup`). */
  extendsFiles: Map<string, ExtendsFile | undefined>;
}

export interface FileLoader {
  sources: SourceMap;
  diagnostics: Diagnostics;
  /**
   * The project's own variables. Bare `environment` keys of every file, included ones too, take
   * their values from these, as Compose resolves them on the whole project.
   */
  projectLookup: Lookup;
  /** Parses a file and registers its positions; undefined (problems reported) unless a mapping. */
  parse(file: string, text: string): Record<string, unknown> | undefined;
  /** The places `parse`'s data had tagged `!reset` or `!override` (override-tags.ts). */
  tagsOf(data: object): TaggedPath[];
  /** Interpolates parsed data and checks it against the schema; undefined when it does not fit. */
  check(
    file: string,
    data: Record<string, unknown>,
    lookup: Lookup,
    inPlace: boolean,
    /**
     * Where definitions left out for their faults are marked (`services:web`), so references to
     * them say nothing more: the project's own by default. Another file's base has names of its
     * own, which must not silence anything about this project's services of the same name.
     */
    broken?: Set<string>,
  ): ComposeFile | undefined;
  /** The loader's own env-file reading (index.ts readEnvFiles), for an included project's env files. */
  envFiles(
    paths: string[],
    outer: Lookup,
    unreadable: (path: string, error: NodeJS.ErrnoException) => boolean,
  ): { values: Record<string, string>; ok: boolean };
  /** A whole compose file: parsed, interpolated, checked, canonical, its extends and includes done. */
  load(file: string, text: string, baseDir: string, scope: Scope): CanonicalFile | undefined;
}

/**
 * Reads a compose file another one names (`extends.file`, `include`), or says why it cannot, in
 * words that follow the name as written: `"base.yaml" not found (looked for /abs/base.yaml); ...`.
 */
export function readNamedComposeFile(
  written: string,
  absolute: string,
): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(absolute, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT"
        ? `"${written}" not found (looked for ${absolute}); give the path of a compose file, relative to this file's directory`
        : code === "EISDIR"
          ? `"${written}" (${absolute}) is a directory; give the path of a compose file`
          : `"${written}" (${absolute}) cannot be read: ${(error as Error).message}`;
    return { problem };
  }
}
