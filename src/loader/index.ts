// The loader: compose files and environment in, a validated Project out. Each stage is a module of
// its own, working on plain data until finalize.ts types it; all problems are collected, then thrown
// together as one ProjectError, before anything touches the engine or the disk.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { concealValues, ProjectError, type Problem } from "../errors.js";
import type { Project } from "../model/project.js";
import { canonicalizeFile, type CanonicalFile } from "./canonicalize.js";
import { checkHostMounts, hostPaths } from "./check-host-mounts.js";
import { checkSecretSources } from "./check-secret-sources.js";
import { checkProjectName, discoverFiles, normalizeProjectName, STDIN_FILE } from "./discover.js";
import { parseDotenv } from "./dotenv.js";
import { resolveExtends } from "./extends.js";
import type { FileLoader, Scope } from "./file-loader.js";
import { finalizeProject } from "./finalize.js";
import { includeFiles } from "./include.js";
import { interpolateData, type Lookup } from "./interpolate.js";
import { mergeFiles } from "./merge.js";
import { parseYaml } from "./parse-yaml.js";
import { NOT_RUN } from "./attributes.js";
import { composeFileSchema, type ComposeFile } from "./schema.js";
import type { TaggedPath } from "./override-tags.js";
import type { Issue } from "./shapes.js";
import { Diagnostics, rememberSources, SourceMap } from "./source-map.js";

export interface LoadOptions {
  /** `-f` paths in order; `-` reads `stdin`. Empty: discover compose.yaml & co in `cwd`. */
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  /** `--env-file` paths; when given they replace the project directory's `.env`. */
  envFiles?: string[];
  profiles?: string[];
  /** Working directory for discovery and relative `-f` paths (default `process.cwd()`). */
  cwd?: string;
  /** The shell environment (default `process.env`); it wins over env files. */
  env?: Record<string, string | undefined>;
  /** Reads standard input for `-f -`. */
  readStdin?: () => Promise<string>;
  /**
   * Whether every secret source must be readable now, and every bind mount kept off composec's
   * material (default true). Commands that create no container (`down`, `ps`, `logs`) turn it off:
   * a missing file or unset variable must not stop them.
   */
  checkSecretSources?: boolean;
}

export interface LoadResult {
  project: Project;
  warnings: Problem[];
  /** The variables interpolation used (shell over env files): `environment` secrets read these. */
  variables: Record<string, string>;
  /** Where each part of the project was written, for tools that point into the files (`check`). */
  sources: SourceMap;
}

/** Loads and validates a project; throws ProjectError listing every problem found. */
export async function loadProject(options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const shell = options.env ?? process.env;
  const discovered = discoverFiles(options.files ?? [], cwd, shell);
  if (discovered.problems.length > 0) throw new ProjectError(discovered.problems);
  const files = discovered.files;
  const first = files[0]!;
  const workingDir = options.projectDirectory
    ? resolve(cwd, options.projectDirectory)
    : first === STDIN_FILE
      ? cwd
      : dirname(first);

  const sources = new SourceMap();
  /** Values of the variables `environment` secrets read, from every file's lookup. */
  const secretValues = new Set<string>();
  const diagnostics = new Diagnostics(sources);
  const variables = loadVariables(workingDir, cwd, options.envFiles ?? [], shell, diagnostics);
  const lookup = (name: string) => variables[name];
  /** Each parsed file's `!reset`/`!override` places, by the data `parse` returned. */
  const taggedPaths = new WeakMap<object, TaggedPath[]>();
  const loader: FileLoader = {
    sources,
    diagnostics,
    projectLookup: lookup,
    parse,
    tagsOf: (data) => taggedPaths.get(data) ?? [],
    check,
    load: loadFile,
    envFiles: (paths, outer, unreadable) => readEnvFiles(paths, outer, diagnostics, unreadable),
  };
  const scope: Scope = { lookup, includedBy: [], extendsFiles: new Map() };

  const canonical: CanonicalFile[] = [];
  for (const file of files) {
    const text =
      file === STDIN_FILE ? await (options.readStdin ?? readStandardInput)() : readFileSync(file, "utf8");
    const displayName = file === STDIN_FILE ? "<stdin>" : file;
    const parsed = loadFile(displayName, text, file === STDIN_FILE ? workingDir : dirname(file), scope);
    if (parsed) canonical.push(parsed);
  }
  // A file that did not parse or fit the schema cannot be merged; problems of single values (a bad
  // mode, say) can: their entries are left out, so the checks across the project still run.
  if (canonical.length < files.length) throw concealedError();

  const merged = mergeFiles(canonical, sources);
  const name = projectName(options.projectName, shell, variables, merged.name, workingDir, diagnostics);
  const profiles = options.profiles?.length
    ? options.profiles
    : (variables["COMPOSE_PROFILES"]
        ?.split(",")
        .map((p) => p.trim())
        .filter(Boolean) ?? []);
  const project = finalizeProject(
    merged,
    { name, workingDir, composeFiles: files, profiles },
    sources,
    diagnostics,
  );
  readServiceEnvFiles(project, lookup, sources, diagnostics);
  readServiceLabelFiles(project, lookup, sources, diagnostics);
  if (options.checkSecretSources !== false) {
    checkSecretSources(project, variables, sources, diagnostics, shell);
    checkHostMounts(project, hostPaths(shell), sources, diagnostics);
  }
  if (diagnostics.problems.length > 0) throw concealedError();
  rememberSources(project, sources);
  return { project, warnings: concealValues(diagnostics.warnings, secretValues), variables, sources };

  /**
   * The problems found, without the value of any variable an `environment` secret reads: one
   * interpolated where a value is checked (`mem_limit: ${TOKEN}`) would be quoted in the message.
   */
  function concealedError(): ProjectError {
    return new ProjectError(
      concealValues(diagnostics.problems, secretValues),
      concealValues(diagnostics.warnings, secretValues),
    );
  }

  function loadFile(file: string, text: string, baseDir: string, scope: Scope): CanonicalFile | undefined {
    const document = parse(file, text);
    if (!document) return undefined;
    // The parsed data is this stage's alone; without an alias (`*name`) in the text, no mapping or
    // list appears twice in it, so it can be interpolated where it is rather than copied.
    const data = check(file, document, scope.lookup, !text.includes("*"));
    if (!data) return undefined;
    const canonical = canonicalizeFile(data, file, baseDir, sources, diagnostics, lookup);
    const tagged = taggedPaths.get(document);
    if (tagged?.length) canonical.tagged = tagged;
    // Most files have neither: the text tells without a look at each service.
    if (text.includes("extends")) resolveExtends(canonical, data, scope, loader);
    // Without what an include defines, checks across the project would report only its absence.
    if (data.include !== undefined && !includeFiles(canonical, data.include, scope, loader)) return undefined;
    return canonical;
  }

  function parse(file: string, text: string): Record<string, unknown> | undefined {
    const { parsed, problems } = parseYaml(file, text);
    if (!parsed) {
      diagnostics.problems.push(...problems);
      return undefined;
    }
    sources.addFile(parsed.written);
    if (parsed.tagged.length > 0 && parsed.data !== null && typeof parsed.data === "object")
      taggedPaths.set(parsed.data, parsed.tagged);
    if (parsed.data === null || parsed.data === undefined) {
      diagnostics.error({ file, line: 1, column: 1 }, "", "empty compose file; it needs at least services:");
      return undefined;
    }
    if (typeof parsed.data !== "object" || Array.isArray(parsed.data)) {
      diagnostics.error(
        { file, line: 1, column: 1 },
        "",
        "a compose file must be a mapping with services, networks, volumes, secrets",
      );
      return undefined;
    }
    return parsed.data as Record<string, unknown>;
  }

  function check(
    file: string,
    document: Record<string, unknown>,
    fileLookup: Lookup,
    inPlace: boolean,
    broken = diagnostics.broken,
  ): ComposeFile | undefined {
    const interpolated = interpolateData(document, fileLookup, { inPlace });
    collectSecretValues(interpolated.data, fileLookup, secretValues);
    for (const problem of interpolated.problems) {
      diagnostics.error(sources.positionIn(file, splitPath(problem.path)), problem.path, problem.message);
    }
    const data = validShape(file, interpolated.data, broken);
    if (data) warnNotRun(data, file, sources, diagnostics);
    return data;
  }

  /**
   * Checks the file against the schema. Every issue is reported, then the values at fault are left
   * out and the rest checked again, so that one wrong type does not hide the file's other problems
   * (an undefined secret, a missing file). A definition with a fault is left out whole and marked
   * broken, so references to it are not reported a second time as undefined.
   */
  function validShape(file: string, data: unknown, broken: Set<string>): ComposeFile | undefined {
    let current = data;
    for (let round = 0; round < 5; round++) {
      const result = composeFileSchema.safeParse(current);
      if (result.success) return result.data;
      const issues = result.error.issues.flatMap((issue) => closestBranch(issue));
      const paths = issues.map((issue) => issue.path as (string | number)[]);
      if (round === 0) {
        issues.forEach((issue, index) => {
          diagnostics.error(sources.positionIn(file, paths[index]!), paths[index]!, describeIssue(issue));
        });
      }
      if (paths.some((path) => path.length === 0)) return undefined;
      current = withoutFaults(current, paths, broken);
    }
    return undefined;
  }
}

/** Adds the value of each variable a top-level `secrets.*.environment` of `data` names. */
function collectSecretValues(data: unknown, lookup: Lookup, values: Set<string>): void {
  const secrets = (data as { secrets?: unknown } | null)?.secrets;
  if (secrets === null || typeof secrets !== "object") return;
  for (const key in secrets) {
    const variable = (secrets as Record<string, { environment?: unknown } | null>)[key]?.environment;
    if (typeof variable !== "string") continue;
    const value = lookup(variable);
    if (value !== undefined) values.add(value);
  }
}

/** A copy of `data` without the values at `paths`; a faulty definition goes whole (see validShape). */
function withoutFaults(data: unknown, paths: (string | number)[][], broken: Set<string>): unknown {
  const copy = structuredClone(data) as Record<string, unknown>;
  const removals = paths.map((path) => {
    const [kind, name] = path;
    if (kind !== "services" && typeof kind === "string" && typeof name === "string" && path.length >= 2) {
      broken.add(`${kind}:${name}`);
      return [kind, name];
    }
    if (kind === "services" && typeof name === "string" && path.length === 2) broken.add(`services:${name}`);
    // A service whose image or build was left out must not also be told it has neither.
    if (kind === "services" && typeof name === "string" && (path[2] === "image" || path[2] === "build")) {
      broken.add(`services:${name}.${path[2]}`);
    }
    // Nor one whose base (`extends`) was left out.
    if (kind === "services" && typeof name === "string" && path[2] === "extends") {
      broken.add(`services:${name}.image`);
    }
    return path;
  });
  // Deepest and last first, so removing a list entry does not shift one still to be removed.
  removals.sort(
    (a, b) =>
      b.length - a.length || String(b.at(-1)).localeCompare(String(a.at(-1)), undefined, { numeric: true }),
  );
  for (const path of removals) {
    let parent: unknown = copy;
    for (const segment of path.slice(0, -1))
      parent = (parent as Record<string | number, unknown> | undefined)?.[segment];
    const last = path.at(-1)!;
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else if (parent && typeof parent === "object") delete (parent as Record<string, unknown>)[last];
  }
  return copy;
}

function splitPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Shell variables over env files: `--env-file`s in order, else `.env` of the project directory. */
function loadVariables(
  workingDir: string,
  cwd: string,
  envFiles: string[],
  shell: Record<string, string | undefined>,
  diagnostics: Diagnostics,
): Record<string, string> {
  const fromShell: Record<string, string> = {};
  for (const [key, value] of Object.entries(shell)) if (value !== undefined) fromShell[key] = value;
  const paths =
    envFiles.length > 0 ? envFiles.map((file) => resolve(cwd, file)) : [resolve(workingDir, ".env")];
  const { values: fromFiles } = readEnvFiles(
    paths,
    (name) => fromShell[name],
    diagnostics,
    (path, error) => {
      const missing = error.code === "ENOENT";
      if (envFiles.length === 0 && missing) return false;
      diagnostics.error(
        undefined,
        "",
        `env file ${path} ${missing ? "not found" : `cannot be read: ${error.message}`}`,
      );
      return true;
    },
  );
  return { ...fromFiles, ...fromShell };
}

/**
 * The values of the env files at `paths`, each interpolated with `outer` over the earlier files'
 * values. `unreadable` is told of a file that cannot be read and says whether that is a problem
 * (reported); `ok` is false when one was.
 */
export function readEnvFiles(
  paths: string[],
  outer: Lookup,
  diagnostics: Diagnostics,
  unreadable: (path: string, error: NodeJS.ErrnoException) => boolean,
): { values: Record<string, string>; ok: boolean } {
  const values: Record<string, string> = {};
  let ok = true;
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if (unreadable(path, error as NodeJS.ErrnoException)) ok = false;
      continue;
    }
    const { values: read, problems } = parseDotenv(text, (name) => outer(name) ?? values[name]);
    for (const problem of problems)
      diagnostics.error({ file: path, line: problem.line, column: 1 }, "", problem.message);
    if (problems.length > 0) ok = false;
    for (const [key, value] of read) values[key] = value;
  }
  return { values, ok };
}

function projectName(
  flag: string | undefined,
  shell: Record<string, string | undefined>,
  variables: Record<string, string>,
  fromFile: string | undefined,
  workingDir: string,
  diagnostics: Diagnostics,
): string {
  for (const [value, from] of [
    [flag, "-p"],
    [shell["COMPOSE_PROJECT_NAME"] ?? variables["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME"],
  ] as const) {
    if (value === undefined || value === "") continue;
    const problem = checkProjectName(value, from);
    if (problem) diagnostics.problems.push(problem);
    return value;
  }
  const candidate = normalizeProjectName(fromFile ?? workingDir.split("/").pop() ?? "");
  if (candidate === "") {
    diagnostics.error(
      undefined,
      "name",
      `cannot make a project name from "${fromFile ?? workingDir}"; pass -p NAME`,
    );
  }
  return candidate;
}

/** Reads each service's `env_file`s; `environment` wins over them, as in Compose. */
function readServiceEnvFiles(
  project: Project,
  lookup: (name: string) => string | undefined,
  sources: SourceMap,
  diagnostics: Diagnostics,
): void {
  for (const [name, service] of Object.entries(project.services)) {
    const fromFiles: Record<string, string> = {};
    for (const entry of service.envFiles) {
      let text: string;
      try {
        text = readFileSync(entry.path, "utf8");
      } catch (error) {
        if (entry.required || (error as NodeJS.ErrnoException).code !== "ENOENT") {
          diagnostics.error(
            sources.locate(service, ["env_file"]),
            ["services", name, "env_file"],
            `env file ${entry.path} cannot be read (${(error as NodeJS.ErrnoException).code}); create it or mark it required: false`,
          );
        }
        continue;
      }
      const { values, problems } = parseDotenv(text, lookup);
      for (const problem of problems)
        diagnostics.error({ file: entry.path, line: problem.line, column: 1 }, "", problem.message);
      for (const [key, value] of values) fromFiles[key] = value;
    }
    service.environment = { ...fromFiles, ...service.environment };
  }
}

/** Reads each service's `label_file`s (env-file syntax) into its labels; `labels` win, as in Compose. */
function readServiceLabelFiles(
  project: Project,
  lookup: (name: string) => string | undefined,
  sources: SourceMap,
  diagnostics: Diagnostics,
): void {
  for (const [name, service] of Object.entries(project.services)) {
    const paths = service.labelFiles;
    if (paths === undefined) continue;
    delete service.labelFiles;
    const fromFiles: Record<string, string> = {};
    for (const path of paths) {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (error) {
        diagnostics.error(
          sources.locate(service, ["label_file"]),
          ["services", name, "label_file"],
          `label file ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); create it or remove it from label_file`,
        );
        continue;
      }
      const { values, problems } = parseDotenv(text, lookup);
      for (const problem of problems)
        diagnostics.error({ file: path, line: problem.line, column: 1 }, "", problem.message);
      for (const [key, value] of values) fromFiles[key] = value;
    }
    service.labels = { ...fromFiles, ...service.labels };
  }
}

function warnNotRun(data: ComposeFile, file: string, sources: SourceMap, diagnostics: Diagnostics): void {
  const warn = (path: (string | number)[], why: string) =>
    diagnostics.warn(
      sources.positionIn(file, path),
      path,
      `composec does not run "${path.at(-1)}" (${why}); it is ignored`,
    );
  // Each mapping's own keys are looked up in the registry's maps, not every listed name in each
  // mapping: a service has a handful of keys, the list of attributes not run has dozens.
  const each = (mapping: object, notRun: ReadonlyMap<string, string>, path: (string | number)[]) => {
    for (const key in mapping) {
      const why = notRun.get(key);
      if (why !== undefined) warn([...path, key], why);
    }
  };
  each(data, NOT_RUN.top, []);
  const services = data.services ?? {};
  for (const name in services) {
    const service = services[name]!;
    each(service, NOT_RUN.service, ["services", name]);
    const deploy = service.deploy;
    if (deploy) {
      each(deploy, NOT_RUN.deploy, ["services", name, "deploy"]);
      const reservations = deploy.resources?.reservations;
      if (reservations)
        each(reservations, NOT_RUN.reservations, ["services", name, "deploy", "resources", "reservations"]);
    }
    const build = service.build;
    if (build && typeof build === "object") each(build, NOT_RUN.build, ["services", name, "build"]);
  }
  const networks = data.networks ?? {};
  for (const name in networks) {
    const network = networks[name];
    if (network) each(network, NOT_RUN.network, ["networks", name]);
  }
  const volumes = data.volumes ?? {};
  for (const name in volumes) {
    const volume = volumes[name];
    if (volume) each(volume, NOT_RUN.volume, ["volumes", name]);
  }
}

/**
 * A value that fits no form of a union (`- name` or a mapping, say) gets zod's one "invalid union"
 * issue. When one form matched the value's type and only its fields are wrong, those fields' issues
 * say far more, so we report them instead.
 */
function closestBranch(issue: Issue): Issue[] {
  if (issue.code !== "invalid_union") return [issue];
  const typed = (issue.errors ?? []).filter(
    (branch) => branch.length > 0 && branch.every((inner) => inner.path.length > 0),
  );
  if (typed.length !== 1) return [issue];
  return typed[0]!.flatMap((inner) => closestBranch({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** One line for a schema issue: what is wrong, what would be valid, and the value found. */
function describeIssue(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === "custom") return issue.message;
  if (input === undefined) return issue.code === "invalid_type" ? "is required" : issue.message;
  return `${issue.message}, not ${describeValue(input)}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}
