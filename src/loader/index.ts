// Placeholder replaced by the loader (being written now): the signature is the contract.
import type { Problem } from "../errors.js";
import type { Project } from "../model/project.js";

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
}

export interface LoadResult {
  project: Project;
  warnings: Problem[];
  /** The variables interpolation used (shell over env files): `environment` secrets read these. */
  variables: Record<string, string>;
}

export declare function loadProject(options?: LoadOptions): Promise<LoadResult>;
