// `extends`: a service starts from another service, of the same file or of another one, and its own
// definition overrides that base with the rules of `-f` files (merge.ts). Bases are merged in their
// canonical form, whose relative paths are already absolute against their own file's directory: a
// build context or bind mount written in another file stays relative to that file. As in Compose,
// nothing else of another file comes along (its secrets, networks, volumes): what the extended
// service refers to must be defined in the project that uses it.
import { dirname } from "node:path";
import { canonicalizeFile, resolvePath, type CanonicalFile, type PartialService } from "./canonicalize.js";
import { readNamedComposeFile, type FileLoader, type Scope } from "./file-loader.js";
import { mergeService } from "./merge.js";
import { withoutServicePath, type TaggedPath } from "./override-tags.js";
import type { PathSegment } from "./paths.js";
import type { ComposeFile, RawExtends, RawService } from "./schema.js";
import { closest } from "./suggest.js";

/** One file's services as `extends` sees them. */
export interface ExtendsFile {
  file: string;
  baseDir: string;
  /** Whether the file is the one being loaded (its services are all checked and canonical already). */
  declaring: boolean;
  /** Service definitions as written; another file's are checked only when extended. */
  written: Record<string, unknown>;
  checked: Record<string, RawService>;
  canonical: Record<string, PartialService>;
  /** Places the file tagged `!reset`/`!override`: those under a service apply to its base. */
  tagged: readonly TaggedPath[];
  /** Services whose `extends` is done (`true`) or failed and reported (`false`). */
  done: Map<string, boolean>;
}

interface Link {
  file: string;
  service: string;
}

/**
 * Replaces each service of `canonical` that has `extends` by its base merged with it. Costs one
 * look at each service of `data`; another file is read only when a service names it.
 */
export function resolveExtends(
  canonical: CanonicalFile,
  data: ComposeFile,
  scope: Scope,
  loader: FileLoader,
): void {
  const services = data.services;
  if (!services) return;
  let declaring: ExtendsFile | undefined;
  for (const name in services) {
    if (services[name]?.extends === undefined) continue;
    declaring ??= {
      file: canonical.file,
      baseDir: canonical.baseDir,
      declaring: true,
      written: services,
      checked: services,
      // The same object: a merged service replaces the file's own definition.
      canonical: canonical.services,
      tagged: canonical.tagged ?? [],
      done: new Map(),
    };
    resolve(declaring, name, [], scope, loader);
  }
}

/** The service `name` of `unit` with its `extends` done; undefined when that failed (reported). */
function resolve(
  unit: ExtendsFile,
  name: string,
  chain: Link[],
  scope: Scope,
  loader: FileLoader,
): PartialService | undefined {
  const done = unit.done.get(name);
  if (done !== undefined) return done ? unit.canonical[name] : undefined;
  const service = definition(unit, name, scope, loader);
  const reference = unit.checked[name]?.extends;
  if (!service || reference === undefined) {
    unit.done.set(name, service !== undefined);
    return service;
  }
  const merged = extend(unit, name, service, reference, chain, scope, loader);
  unit.done.set(name, merged !== undefined);
  if (merged) unit.canonical[name] = merged;
  // A service whose base is missing has no image of its own, most likely; saying so would be noise.
  else if (unit.declaring) loader.diagnostics.broken.add(`services:${name}.image`);
  return merged;
}

function extend(
  unit: ExtendsFile,
  name: string,
  service: PartialService,
  reference: RawExtends,
  chain: Link[],
  scope: Scope,
  loader: FileLoader,
): PartialService | undefined {
  const { sources, diagnostics } = loader;
  const { service: baseName, file } = typeof reference === "string" ? { service: reference } : reference;
  const fail = (suffix: PathSegment[], message: string) => {
    const path = ["services", name, "extends", ...(typeof reference === "string" ? [] : suffix)];
    diagnostics.error(sources.positionIn(unit.file, path), path, message);
    return undefined;
  };

  let target = unit;
  if (file !== undefined) {
    const found = otherFile(file, resolvePath(file, unit.baseDir), scope, loader);
    if (typeof found === "string") return fail(["file"], found);
    if (!found) return undefined;
    target = found;
  }
  if (!Object.hasOwn(target.written, baseName)) {
    // A definition left out for its own faults is already reported.
    if (target.declaring && diagnostics.broken.has(`services:${baseName}`)) return undefined;
    const names = Object.keys(target.written);
    const match = closest(baseName, names);
    const where = target === unit ? "this file" : target.file;
    return fail(
      ["service"],
      `service "${baseName}" is not defined in ${where}${
        match ? `; did you mean "${match}"?` : names.length ? `; it defines ${names.join(", ")}` : ""
      }`,
    );
  }
  const links = [...chain, { file: unit.file, service: name }];
  const loopsAt = links.findIndex((link) => link.file === target.file && link.service === baseName);
  if (loopsAt >= 0) {
    const cycle = [...links.slice(loopsAt), { file: target.file, service: baseName }];
    const oneFile = cycle.every((link) => link.file === unit.file);
    const shown = cycle.map((link) => (oneFile ? link.service : `${link.service} (${link.file})`));
    return fail([], `extends cycle: ${shown.join(" -> ")}; remove one of these extends`);
  }
  let base = resolve(target, baseName, links, scope, loader);
  if (!base) return undefined;
  // This service's own `!reset`/`!override` places are taken out of its base (a copy) first.
  for (const { path } of unit.tagged) {
    if (path.length > 2 && path[0] === "services" && path[1] === name)
      base = withoutServicePath(base, path.slice(2), sources);
  }
  return mergeService(base, service, sources);
}

/** A service's own definition, canonical; another file's is checked and made so on first use. */
function definition(
  unit: ExtendsFile,
  name: string,
  scope: Scope,
  loader: FileLoader,
): PartialService | undefined {
  if (unit.declaring || Object.hasOwn(unit.canonical, name)) return unit.canonical[name];
  // Only the services extended are interpolated and checked, as in Compose: the rest of the file
  // is not part of this project.
  const written = { services: { [name]: unit.written[name] } };
  const checked = loader.check(unit.file, written, scope.lookup, false, new Set());
  const raw = checked?.services?.[name];
  if (!checked || !raw) return undefined;
  unit.checked[name] = raw;
  const canonical = canonicalizeFile(
    checked,
    unit.file,
    unit.baseDir,
    loader.sources,
    loader.diagnostics,
    loader.projectLookup,
  );
  const service = canonical.services[name]!;
  unit.canonical[name] = service;
  return service;
}

/** Another file, read and parsed once per scope; a string says why it cannot be read. */
function otherFile(
  written: string,
  path: string,
  scope: Scope,
  loader: FileLoader,
): ExtendsFile | string | undefined {
  if (scope.extendsFiles.has(path)) return scope.extendsFiles.get(path);
  const read = readNamedComposeFile(written, path);
  // Not cached: each service naming the file is told.
  if ("problem" in read) return read.problem;
  const data = loader.parse(path, read.text);
  const services = data?.["services"];
  let found: ExtendsFile | string | undefined;
  if (data === undefined) found = undefined;
  else if (services === null || typeof services !== "object" || Array.isArray(services))
    found = `"${written}" (${path}) has no services to extend`;
  else {
    found = {
      file: path,
      baseDir: dirname(path),
      declaring: false,
      written: services as Record<string, unknown>,
      checked: {},
      canonical: {},
      tagged: loader.tagsOf(data),
      done: new Map(),
    };
  }
  if (typeof found !== "string") scope.extendsFiles.set(path, found);
  return found;
}
