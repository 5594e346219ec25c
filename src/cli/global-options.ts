import type { Command } from "commander";
import { formatProblem } from "../errors.js";
import { loadProject, type LoadResult } from "../loader/index.js";
import type { Output } from "./output.js";

/** The flags that come before the command (`composec -p demo -f a.yaml up`). */
export interface GlobalOptions {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
  profile: string[];
  host?: string;
  context?: string;
  dryRun: boolean;
  progress: string;
  /** `--secrets-delivery`: local or engine. */
  secretsDelivery?: string;
}

/** The global options, read from the root program whichever subcommand runs. */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts<GlobalOptions>();
}

/** Loads the project the global options describe and prints its warnings to stderr. */
export async function loadFromOptions(
  options: GlobalOptions,
  output: Output,
  { checkSecretSources = true }: { checkSecretSources?: boolean } = {},
): Promise<LoadResult> {
  const result = await loadProject({
    checkSecretSources,
    files: options.file,
    ...(options.projectName !== undefined ? { projectName: options.projectName } : {}),
    ...(options.projectDirectory !== undefined ? { projectDirectory: options.projectDirectory } : {}),
    envFiles: options.envFile,
    profiles: options.profile,
  });
  for (const warning of result.warnings) output.stderr(`warning: ${formatProblem(warning)}\n`);
  return result;
}
