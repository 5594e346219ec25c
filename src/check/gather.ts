// The I/O half of `check`: reads what the pure rules need (secret values, env files, Dockerfiles,
// .dockerignore files, file modes, git's view of the secret files) into a CheckInput. Everything
// runs concurrently; git is asked once per repository, not once per file.
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { SourceMap } from "../loader/source-map.js";
import type { Project } from "../model/project.js";
import { resolveSecrets } from "../secrets/resolve.js";
import {
  checkedSecrets,
  checkedServices,
  dockerfilePath,
  inlineDockerfileKey,
  sensitiveFiles,
  type CheckInput,
  type GitState,
} from "./input.js";

export interface GatherOptions {
  /** The env files interpolation read: `--env-file`s, else the project's `.env`. */
  variableFiles: string[];
  /** Gather for the error rules only (see CheckInput.errorsOnly). */
  errorsOnly?: boolean;
  shell?: Record<string, string | undefined>;
  services?: string[];
}

/** What the loader gave: the project, its variables and where everything was written. */
export interface Loaded {
  project: Project;
  variables: Record<string, string>;
  sources: SourceMap;
}

/** Reads everything the rules need; `gitUnavailable` says why git's view is missing, if it is. */
export async function gatherInput(
  loaded: Loaded,
  options: GatherOptions,
): Promise<{ input: CheckInput; gitUnavailable?: string }> {
  const { project, variables, sources } = loaded;
  const shell = options.shell ?? process.env;
  const scope = options.services ? { services: options.services } : {};
  const texts = new Map<string, string>();
  const wanted = new Set<string>(options.variableFiles);
  const contexts = new Set<string>();
  for (const name of checkedServices(project, scope)) {
    const service = project.services[name]!;
    for (const file of service.envFiles) wanted.add(file.path);
    if (!service.build) continue;
    contexts.add(service.build.context);
    const dockerfile = dockerfilePath(service.build);
    if (dockerfile) wanted.add(dockerfile);
    else texts.set(inlineDockerfileKey(name), service.build.dockerfileInline!);
  }
  for (const context of contexts) wanted.add(join(context, ".dockerignore"));

  const keys = checkedSecrets(project, scope).filter(
    (key) => project.secrets[key]!.source.kind !== "external",
  );
  const [values] = await Promise.all([
    resolveSecrets(project, keys, { variables, shell }),
    ...[...wanted].map(async (file) => {
      const text = await readText(file);
      if (text !== undefined) texts.set(file, text);
    }),
  ]);

  const input: CheckInput = {
    sources,
    variables,
    shell,
    secretValues: values,
    texts,
    variableFiles: options.variableFiles,
    git: new Map(),
    modes: new Map(),
    exists: new Set(),
    ...scope,
    ...(options.errorsOnly ? { errorsOnly: true } : {}),
  };
  const sensitive = sensitiveFiles(project, input).map((file) => file.path);
  const dotEnvs = [...contexts].map((context) => join(context, ".env"));
  const [git] = await Promise.all([
    gitStates(sensitive, { trackedOnly: options.errorsOnly === true }),
    ...(options.errorsOnly ? [] : sensitive).map(async (file) => {
      const info = await stat(file).catch(() => undefined);
      if (info) input.modes.set(file, info.mode & 0o777);
    }),
    ...dotEnvs.map(async (file) => {
      if (
        await stat(file)
          .then((info) => info.isFile())
          .catch(() => false)
      )
        input.exists.add(file);
    }),
  ]);
  input.git = git.states;
  return { input, ...(git.unavailable ? { gitUnavailable: git.unavailable } : {}) };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

function git(
  cwd: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = execFile("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, missing: (error as NodeJS.ErrnoException | null)?.code === "ENOENT" });
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/**
 * Git's view of each file: tracked, untracked (and not ignored), or ignored; absent when in no
 * repository. Git is asked in each file's own directory (two calls per directory, side by side),
 * so it finds the repository that holds the file, whichever it is.
 */
export async function gitStates(
  files: string[],
  { trackedOnly = false }: { trackedOnly?: boolean } = {},
): Promise<{ states: Map<string, GitState>; unavailable?: string }> {
  const states = new Map<string, GitState>();
  const byDir = new Map<string, { file: string; name: string }[]>();
  for (const file of files) {
    const list = byDir.get(dirname(file)) ?? [];
    list.push({ file, name: basename(file) });
    byDir.set(dirname(file), list);
  }
  let missing = false;
  await Promise.all(
    [...byDir].map(async ([dir, entries]) => {
      const names = entries.map((entry) => entry.name);
      const [tracked, ignored] = await Promise.all([
        git(dir, ["ls-files", "-z", "--", ...names.map(literal)]),
        trackedOnly
          ? { code: 1, stdout: "", missing: false }
          : git(dir, ["check-ignore", "-z", "--stdin"], names.map((name) => `${name}\0`).join("")),
      ]);
      if (tracked.missing) missing = true;
      // Outside any repository git fails (128): the files have no git state.
      if (tracked.code !== 0) return;
      const trackedSet = new Set(tracked.stdout.split("\0").filter(Boolean));
      // check-ignore exits 1 when no path is ignored.
      const ignoredSet = new Set(ignored.code === 0 ? ignored.stdout.split("\0").filter(Boolean) : []);
      for (const entry of entries) {
        states.set(
          entry.file,
          trackedSet.has(entry.name) ? "tracked" : ignoredSet.has(entry.name) ? "ignored" : "untracked",
        );
      }
    }),
  );
  return missing ? { states, unavailable: "git is not installed" } : { states };
}

/** A path as a literal pathspec, so a `*` in a file name matches only itself. */
function literal(path: string): string {
  return `:(literal)${path}`;
}
