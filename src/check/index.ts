// `composec check` as a library call: gather from the disk, check, fingerprint. The CLI renders.
import { resolve } from "node:path";
import { checkProject, fingerprint } from "./check-project.js";
import { gatherInput, type GatherOptions, type Loaded } from "./gather.js";
import { shownFile } from "./render.js";
import type { ReportedFinding } from "./types.js";

export { checkProject } from "./check-project.js";
export type { CheckInput } from "./input.js";
export type { Finding, ReportedFinding, Severity } from "./types.js";
export { RULES } from "./rules.js";

export interface RunCheckOptions extends GatherOptions {
  /** File names are shown relative to this directory (default: the current one). */
  base?: string;
}

/** The env files interpolation read: the `--env-file`s, else the project directory's `.env`. */
export function variableFilesOf(workingDir: string, envFiles: string[], cwd = process.cwd()): string[] {
  return envFiles.length > 0 ? envFiles.map((file) => resolve(cwd, file)) : [resolve(workingDir, ".env")];
}

/** Checks a loaded project; the secret values read for it are wiped before this returns. */
export async function runCheck(
  loaded: Loaded,
  options: RunCheckOptions,
): Promise<{ findings: ReportedFinding[]; gitUnavailable?: string }> {
  const { input, gitUnavailable } = await gatherInput(loaded, options);
  try {
    const base = options.base ?? process.cwd();
    const findings = checkProject(loaded.project, input).map((item) => ({
      ...item,
      fingerprint: fingerprint(loaded.project, item),
      file: shownFile(base, item.location.file),
    }));
    return { findings, ...(gitUnavailable ? { gitUnavailable } : {}) };
  } finally {
    for (const value of input.secretValues.values()) value.wipe();
  }
}
