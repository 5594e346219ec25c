// What the engine commands share: the project the global options describe, and the engine client
// for `-H/--host`, `--context` or the environment. Loading itself is global-options.ts's (shared with `config`).
import type { Command } from "commander";
import { ProjectError, UsageError } from "../errors.js";
import type { SecretsDelivery } from "../compose/secrets.js";
import { parseDeliveryOverride, type DeliveryOverride } from "../plan/secrets-delivery.js";
import { createEngine, type Engine } from "../engine/client.js";
import type { Project } from "../model/project.js";
import type { SourceMap } from "../loader/source-map.js";
import { selectServices } from "../plan/graph.js";
import { globalOptions, loadFromOptions, type GlobalOptions } from "./global-options.js";
import type { Output } from "./output.js";
import type { ProgressListener } from "../engine/progress.js";

export interface ProjectContext {
  options: GlobalOptions;
  project: Project;
  /** The variables the project was interpolated with (`environment` secrets read these). */
  variables: Record<string, string>;
  /** Where each part of the project was written (for `check`'s hint). */
  sources: SourceMap;
  engine: Engine;
  /** The secrets' delivery path and store (chosen at the first call, once). */
  delivery: () => Promise<SecretsDelivery>;
}

/** `--secrets-delivery`, else COMPOSEC_SECRETS_DELIVERY: the path forced from outside the file. */
export function deliveryOverride(options: GlobalOptions): DeliveryOverride | undefined {
  const parsed = parseDeliveryOverride(options.secretsDelivery, process.env);
  if (parsed !== undefined && "error" in parsed) throw new UsageError(parsed.error);
  return parsed;
}

/** A lazy, once-made delivery for the project (or project name) on `engine`. */
export function lazyDelivery(
  options: GlobalOptions,
  engine: Engine,
  project: Project | string,
): () => Promise<SecretsDelivery> {
  // Checked now: a bad value is a usage error whatever the command goes on to do.
  const override = deliveryOverride(options);
  let made: Promise<SecretsDelivery> | undefined;
  return () =>
    (made ??= import("../compose/secrets.js").then(({ secretsDelivery }) =>
      secretsDelivery(engine, project, override),
    ));
}

/** The engine client the global options (or DOCKER_HOST, DOCKER_CONTEXT, the current context) point at. */
export function engineFromOptions(options: GlobalOptions): Engine {
  return createEngine({
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
}

/** Loads the project and creates the engine client, for a command that needs both. */
export async function projectContext(command: Command, output: Output): Promise<ProjectContext> {
  const options = globalOptions(command);
  const { project, variables, sources } = await loadFromOptions(options, output);
  const engine = engineFromOptions(options);
  return { options, project, variables, sources, engine, delivery: lazyDelivery(options, engine, project) };
}

/**
 * For commands that also work on a project whose files are gone (`down`, `ps`): the loaded
 * project, or only its name when no compose file exists and `-p` / COMPOSE_PROJECT_NAME names it.
 * These deliver no secret, so the secrets' sources need not be readable (a removed secret file
 * must not keep `down` from cleaning up).
 */
export async function projectOrName(
  command: Command,
  output: Output,
): Promise<{
  options: GlobalOptions;
  project?: Project;
  /** The variables the project was interpolated with, when it was loaded. */
  variables?: Record<string, string>;
  name: string;
  engine: Engine;
  delivery: () => Promise<SecretsDelivery>;
}> {
  const options = globalOptions(command);
  const engine = engineFromOptions(options);
  try {
    const { project, variables } = await loadFromOptions(options, output, { checkSecretSources: false });
    return {
      options,
      project,
      variables,
      name: project.name,
      engine,
      delivery: lazyDelivery(options, engine, project),
    };
  } catch (error) {
    const name = options.projectName ?? process.env.COMPOSE_PROJECT_NAME;
    const noFile =
      error instanceof ProjectError &&
      options.file.length === 0 &&
      error.problems.length === 1 &&
      error.problems[0]!.message.startsWith("no compose file found");
    if (name === undefined || !noFile) throw error;
    return { options, name, engine, delivery: lazyDelivery(options, engine, name) };
  }
}

/**
 * For `start` and `restart`: makes a service's container anew after a stale task's container was
 * removed (compose/stale-task.ts), as `up <service> --no-deps --no-recreate` would; none without
 * a loaded project (to spread into the command's options).
 */
export function recreateForStaleTask(
  context: Awaited<ReturnType<typeof projectOrName>>,
  progress: { onProgress: ProgressListener; onWarning: (message: string) => void },
): { recreate?: (service: string) => Promise<void> } {
  const { project, engine, delivery } = context;
  if (project === undefined) return {};
  const recreate = async (service: string): Promise<void> => {
    const [{ up }, { openStoreSource }] = await Promise.all([
      import("../compose/up.js"),
      import("../store/source.js"),
    ]);
    await up(project, engine, {
      delivery: await delivery(),
      services: [service],
      noDeps: true,
      noRecreate: true,
      onProgress: progress.onProgress,
      onWarning: progress.onWarning,
      variables: context.variables ?? {},
      external: openStoreSource(process.env, { project: project.name }),
    });
  };
  return { recreate };
}

/** Services named on the command line must exist in the project, when it is loaded. */
export function checkServiceNames(project: Project | undefined, services: string[]): void {
  if (project !== undefined && services.length > 0) selectServices(project, services);
}
