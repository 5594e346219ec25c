// `include`: each entry is loaded as a compose project of its own (its files merged in order, its
// own directory for relative paths, its own `.env` or env_file under the including project's
// variables, its own includes), then its services, networks, volumes and secrets are added to the
// including file. A name defined twice, by the including file and an include or by two includes,
// is an error naming both places (unless both define exactly the same thing, as when two includes
// include one common file); an override file given with -f may still change an included resource,
// since includes are resolved per file before files are merged.
import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { formatLocation, type Location } from "../errors.js";
import { resolvePath, type CanonicalFile } from "./canonicalize.js";
import { readNamedComposeFile, type FileLoader, type Scope } from "./file-loader.js";
import { mergeFiles } from "./merge.js";
import type { PathSegment } from "./paths.js";
import type { RawIncludeEntry } from "./schema.js";

const KINDS = [
  ["services", "service"],
  ["networks", "network"],
  ["volumes", "volume"],
  ["secrets", "secret"],
  ["configs", "config"],
] as const;

/**
 * Loads every entry of `entries` (the `include` of `into`'s file) and adds what it defines to
 * `into`; false when an entry could not be loaded (reported).
 */
export function includeFiles(
  into: CanonicalFile,
  entries: RawIncludeEntry[],
  scope: Scope,
  loader: FileLoader,
): boolean {
  // Which include brought each definition, to name it in a conflict.
  const origins = new Map<string, string>();
  let loaded = true;
  entries.forEach((entry, index) => {
    if (!includeEntry(into, entry, index, scope, loader, origins)) loaded = false;
  });
  return loaded;
}

function includeEntry(
  into: CanonicalFile,
  entry: RawIncludeEntry,
  index: number,
  scope: Scope,
  loader: FileLoader,
  origins: Map<string, string>,
): boolean {
  const { sources, diagnostics } = loader;
  const long = typeof entry === "string" ? { path: entry } : entry;
  const at = (...suffix: PathSegment[]): PathSegment[] =>
    typeof entry === "string" ? ["include", index] : ["include", index, ...suffix];
  const fail = (path: PathSegment[], message: string) => {
    diagnostics.error(sources.positionIn(into.file, path), path, message);
    return false;
  };

  const written = typeof long.path === "string" ? [long.path] : long.path;
  if (written.length === 0) return fail(at("path"), "is empty; give the compose file(s) to include");
  const paths: string[] = [];
  const texts: string[] = [];
  written.forEach((path, i) => {
    const pathAt = typeof long.path === "string" ? at("path") : at("path", i);
    if (path === "") {
      fail(pathAt, `"" is not a path; give the compose file to include`);
      return;
    }
    const absolute = resolvePath(path, into.baseDir);
    const read = readNamedComposeFile(path, absolute);
    if ("problem" in read) {
      fail(pathAt, read.problem);
      return;
    }
    texts.push(read.text);
    paths.push(absolute);
  });
  if (paths.length < written.length) return false;

  const chain = [...scope.includedBy, into.file];
  // Compared by real path: a symbolic link must not hide a cycle.
  const first = realPath(paths[0]!);
  const loopsAt = chain.findIndex((file) => realPath(file) === first);
  if (loopsAt >= 0) {
    const cycle = [...chain.slice(loopsAt), paths[0]!];
    return fail(at("path"), `include cycle: ${cycle.join(" includes ")}; remove one of these includes`);
  }

  const projectDir =
    long.project_directory !== undefined
      ? resolvePath(long.project_directory, into.baseDir)
      : dirname(paths[0]!);
  const variables = envFileVariables(long.env_file, projectDir, into, scope, loader, (message) =>
    fail(at("env_file"), message),
  );
  if (!variables) return false;
  const parent = scope.lookup;
  const child: Scope = {
    // The including project's variables win over the included one's env files, as in Compose.
    lookup: (name) => parent(name) ?? variables[name],
    includedBy: chain,
    extendsFiles: new Map(),
  };

  const files: CanonicalFile[] = [];
  paths.forEach((path, i) => {
    const loaded = loader.load(path, texts[i]!, projectDir, child);
    if (loaded) files.push(loaded);
  });
  if (files.length < paths.length) return false;
  const imported = mergeFiles(files, sources);

  const entryAt = sources.positionIn(into.file, at());
  for (const [kind, what] of KINDS) {
    const target = into[kind] as Record<string, object | null>;
    const from = imported[kind] as Record<string, object | null>;
    for (const name in from) {
      const definition = from[name]!;
      if (!Object.hasOwn(target, name)) {
        target[name] = definition;
        origins.set(`${kind}.${name}`, paths[0]!);
        continue;
      }
      const existing = target[name]!;
      if (isDeepStrictEqual(existing ?? {}, definition ?? {})) continue;
      const here = where(existing, origins.get(`${kind}.${name}`) ?? into.file, [kind, name]);
      const there = where(definition, paths[0]!, [kind, name]);
      diagnostics.error(
        entryAt,
        at(),
        `${formatLocation(there)} defines ${what} "${name}", which ${formatLocation(here)} defines too; ` +
          `give one of them another name (an override file given with -f may change an included ${what})`,
      );
    }
  }
  return true;

  function where(definition: object | null, file: string, path: PathSegment[]): Location {
    return (definition && sources.locate(definition)) ?? sources.positionIn(file, path)!;
  }
}

/**
 * The variables of an included project's env files: `env_file` (relative to the including file's
 * directory, each one required; `/dev/null` stands for none), else `.env` in its project directory
 * when there is one. Undefined when a file cannot be read (reported).
 */
function envFileVariables(
  written: string | string[] | undefined,
  projectDir: string,
  into: CanonicalFile,
  scope: Scope,
  loader: FileLoader,
  fail: (message: string) => void,
): Record<string, string> | undefined {
  const listed = written === undefined ? [] : typeof written === "string" ? [written] : written;
  // An empty list is no list, as in Compose.
  const explicit = listed.length > 0;
  const paths = explicit
    ? listed.filter((path) => path !== "/dev/null").map((path) => resolvePath(path, into.baseDir))
    : [`${projectDir}/.env`];
  const { values, ok } = loader.envFiles(paths, scope.lookup, (path, error) => {
    // The default `.env` is read only when it is there.
    if (!explicit && error.code === "ENOENT") return false;
    fail(
      error.code === "ENOENT"
        ? `env file ${path} not found; create it or remove it from env_file`
        : `env file ${path} cannot be read: ${error.message}`,
    );
    return true;
  });
  return ok ? values : undefined;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
