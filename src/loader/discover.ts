// Which compose files make up the project, where its directory is, and what it is called.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Problem } from "../errors.js";

/** The file names `docker compose` looks for, in order of preference. */
export const DEFAULT_FILE_NAMES = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yaml",
  "docker-compose.yml",
];

export const STDIN_FILE = "-";

/**
 * The compose files to load: the `-f` paths as given, else `COMPOSE_FILE`, else the first default
 * name found in `cwd` or its parents plus its `.override` companion.
 */
export function discoverFiles(
  explicit: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): { files: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const fromEnv = env["COMPOSE_FILE"]?.split(env["COMPOSE_PATH_SEPARATOR"] ?? ":").filter(Boolean) ?? [];
  const requested = explicit.length > 0 ? explicit : fromEnv;
  if (requested.length > 0) {
    const files = requested.map((file) => (file === STDIN_FILE ? file : resolve(cwd, file)));
    for (const file of files) {
      if (file === STDIN_FILE) continue;
      const kind = fileKind(file);
      if (kind === "missing") problems.push({ message: `compose file ${file} not found` });
      else if (kind === "directory")
        problems.push({ message: `compose file ${file} is a directory; give the path of a YAML file` });
      else if (kind !== "file") problems.push({ message: `compose file ${file} is not a regular file` });
    }
    return { files, problems };
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const found = DEFAULT_FILE_NAMES.map((name) => join(dir, name)).find((path) => fileKind(path) === "file");
    if (found) return { files: [found, ...overrideFor(found)], problems };
    if (dirname(dir) === dir) break;
  }
  problems.push({
    message: `no compose file found in ${cwd} or its parents; looked for ${DEFAULT_FILE_NAMES.join(", ")} (or pass -f FILE)`,
  });
  return { files: [], problems };
}

function overrideFor(file: string): string[] {
  const stem = basename(file).replace(/\.ya?ml$/, "");
  return [".yaml", ".yml"]
    .map((extension) => join(dirname(file), `${stem}.override${extension}`))
    .filter((path) => fileKind(path) === "file")
    .slice(0, 1);
}

function fileKind(path: string): "file" | "directory" | "missing" | "other" {
  try {
    const stat = statSync(path);
    return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}

const VALID_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Checks a name given by `-p` or `COMPOSE_PROJECT_NAME`: these must already be valid. */
export function checkProjectName(name: string, from: string): Problem | undefined {
  if (VALID_PROJECT_NAME.test(name)) return undefined;
  return {
    message: `${from} "${name}" is not a valid project name; use lower-case letters, digits, "-" and "_", starting with a letter or digit`,
  };
}

/** Turns a directory name or `name:` into a project name, as Compose does. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[^a-z0-9]+/, "");
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
