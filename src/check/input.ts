// What the pure check reads besides the project: every byte and fact from the disk, gathered
// beforehand by gather.ts, so checkProject itself does no I/O and tests can hand it anything.
import { isAbsolute, resolve } from "node:path";
import type { Build, Project } from "../model/project.js";
import type { SourceMap } from "../loader/source-map.js";
import type { SecretValue } from "../secrets/secret-value.js";

export type GitState = "tracked" | "untracked" | "ignored";

export interface CheckInput {
  sources: SourceMap;
  /** The variables interpolation used (shell over env files). */
  variables: Record<string, string>;
  /** The shell environment: a variable set here did not come from an env file. */
  shell: Record<string, string | undefined>;
  /** Values of the secrets with a `file` or `environment` source, by secret key. */
  secretValues: Map<string, SecretValue>;
  /** Texts by absolute path: the env files read, Dockerfiles, .dockerignore files. */
  texts: Map<string, string>;
  /** The env files interpolation read, in order (the project's `.env`, or `--env-file`s). */
  variableFiles: string[];
  /** Git's view of each sensitive file inside a repository (absent: in no repository). */
  git: Map<string, GitState>;
  /** Permission bits of each sensitive file (following symlinks). */
  modes: Map<string, number>;
  /** Files found to exist among those asked about (`<context>/.env`). */
  exists: Set<string>;
  /** Only these services (and what they use); all when undefined. */
  services?: string[];
  /**
   * Look for errors only (`up`'s hint): rules that can only warn or note are skipped, and so is the
   * work they alone need (positions in the files, file modes, `git check-ignore`).
   */
  errorsOnly?: boolean;
}

/** One `NAME=value` line of an env file. */
export interface EnvLine {
  name: string;
  /** The value without quotes or a trailing comment. */
  value: string;
  line: number;
  column: number;
}

/** The assignments of an env file's text, with their lines (the loader's parser keeps no lines). */
export function envLines(text: string): EnvLine[] {
  const out: EnvLine[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const match = /^(\s*)(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/.exec(
      raw.replace(/\r$/, ""),
    );
    if (!match) return;
    let value = match[3]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    out.push({ name: match[2]!, value, line: index + 1, column: match[1]!.length + 1 });
  });
  return out;
}

/** A file holding a secret's value: a `file` source, or the env file an `environment` source reads. */
export interface SensitiveFile {
  path: string;
  /** Secret keys whose value it holds. */
  secrets: string[];
  /** Where the file is named: the secret's definition, or the env file's line. */
  kind: "secret-file" | "env-file";
}

/** The services checked: those named, else all. */
export function checkedServices(project: Project, input: Pick<CheckInput, "services">): string[] {
  const all = Object.keys(project.services).sort();
  return input.services ? all.filter((name) => input.services!.includes(name)) : all;
}

/** The secrets the checked services use; every secret when no service is named. */
export function checkedSecrets(project: Project, input: Pick<CheckInput, "services">): string[] {
  if (!input.services) return Object.keys(project.secrets).sort();
  const keys = new Set<string>();
  for (const name of checkedServices(project, input)) {
    const service = project.services[name]!;
    for (const grant of service.secrets) keys.add(grant.source);
    for (const grant of service.build?.secrets ?? []) keys.add(grant.source);
  }
  return [...keys].filter((key) => project.secrets[key]).sort();
}

/**
 * The files that hold secret values: `file` sources, and the env files that define the variable of
 * an `environment` source (when the shell does not set it). Needs the env files' texts for the
 * latter; without them, only `file` sources.
 */
export function sensitiveFiles(
  project: Project,
  input: Pick<CheckInput, "services" | "shell" | "texts" | "variableFiles">,
): SensitiveFile[] {
  const byPath = new Map<string, SensitiveFile>();
  const add = (path: string, key: string, kind: SensitiveFile["kind"]) => {
    const entry = byPath.get(path) ?? { path, secrets: [], kind };
    entry.secrets.push(key);
    byPath.set(path, entry);
  };
  for (const key of checkedSecrets(project, input)) {
    const source = project.secrets[key]!.source;
    if (source.kind === "file") add(source.path, key, "secret-file");
    if (source.kind === "environment" && input.shell[source.variable] === undefined) {
      // The last env file that sets it wins, as in the loader.
      const from = [...input.variableFiles]
        .reverse()
        .find((file) => envLines(input.texts.get(file) ?? "").some((line) => line.name === source.variable));
      if (from) add(from, key, "env-file");
    }
  }
  return [...byPath.values()];
}

/** The Dockerfile a build reads: its absolute path, or `undefined` for `dockerfile_inline`. */
export function dockerfilePath(build: Build): string | undefined {
  if (build.dockerfileInline !== undefined) return undefined;
  const file = build.dockerfile ?? "Dockerfile";
  return isAbsolute(file) ? file : resolve(build.context, file);
}

/** The key under which an inline Dockerfile's text is kept in `texts`. */
export function inlineDockerfileKey(service: string): string {
  return `<dockerfile_inline of ${service}>`;
}
