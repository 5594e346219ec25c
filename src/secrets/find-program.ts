// Finding the program of an `x-composec-command` secret, as the loader does for every project that
// has one. Apart from command-source.ts, which runs it: loading a project must not load child_process.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The absolute path `program` runs from, or why it cannot run (found on `path` unless it has a `/`). */
export function findProgram(program: string, path: string | undefined): string | { problem: string } {
  if (program.includes("/")) return executableProblem(program) ?? program;
  const directories = (path ?? "").split(delimiter).filter(Boolean);
  for (const directory of directories) {
    const candidate = join(directory, program);
    if (executableProblem(candidate) === undefined) return candidate;
  }
  return {
    problem: `"${program}" is not found on PATH (${directories.join(delimiter) || "empty"}); install it or give its absolute path`,
  };
}

function executableProblem(path: string): { problem: string } | undefined {
  try {
    if (!statSync(path).isFile()) return { problem: `"${path}" is not a file` };
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem:
        code === "ENOENT"
          ? `"${path}" does not exist`
          : code === "EACCES"
            ? `"${path}" is not executable by this user`
            : `"${path}" cannot be run (${code})`,
    };
  }
}
