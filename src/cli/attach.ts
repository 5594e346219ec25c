// Attached `up`: follow the containers' logs on stdout, each line prefixed with the container's
// short name (`web-1  | ...`), until they have all exited, or until Ctrl-C, which stops them
// (a second Ctrl-C kills them), as `docker compose up` does. With `--abort-on-container-exit`
// (or `--exit-code-from`), the first container to exit stops the others.
import type { SecretsDelivery } from "../compose/secrets.js";
import { InterruptedError, UsageError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { containerLines } from "../compose/logs.js";
import { toObservedContainer } from "../engine/observe.js";
import { resourceTitle } from "../model/names.js";
import type { Project } from "../model/project.js";
import type { ObservedContainer } from "../plan/state.js";
import { createLogPrinter, shortName } from "./log-printer.js";
import { projectMasker } from "./mask.js";
import type { Output } from "./output.js";
import { createProgress } from "./progress.js";

export interface AttachOptions {
  /** Services named on the command line (default: all of the project's). */
  services: string[];
  /** Unix seconds: only output from then on (what this `up` started). */
  since: number;
  progressMode: string;
  /** Stop every container as soon as one exits. */
  abortOnContainerExit?: boolean;
  /** Return this service's exit code (implies abortOnContainerExit). */
  exitCodeFrom?: string;
  /** Don't colour the prefixes. */
  noColour?: boolean;
  /** Where the project's secrets are, to mask them. */
  delivery: () => Promise<SecretsDelivery>;
}

/**
 * Follows the logs of the selected services' containers; Ctrl-C stops them and fails with
 * InterruptedError. Resolves with the exit code `up` should return: 0, or with `exitCodeFrom` /
 * `abortOnContainerExit` the code of that service's (or the first exited) container.
 */
export async function followAndStop(
  project: Project,
  engine: Engine,
  output: Output,
  options: AttachOptions,
): Promise<number> {
  const wanted = new Set(options.services.length > 0 ? options.services : Object.keys(project.services));
  const all = (await engine.listProjectContainers(project.name, { all: true }))
    .map(toObservedContainer)
    .filter((container) => !container.oneoff && wanted.has(container.service))
    .sort((a, b) => a.name.localeCompare(b.name));
  // `attach: false`: its output is left out and its exit not waited for; Ctrl-C still stops it.
  const containers = all.filter((container) => project.services[container.service]?.attach !== false);
  if (containers.length === 0) return 0;
  if (options.exitCodeFrom !== undefined && !containers.some((c) => c.service === options.exitCodeFrom)) {
    throw new UsageError(
      `--exit-code-from "${options.exitCodeFrom}": no container of that service was started; name one of ${[...wanted].sort().join(", ")}`,
    );
  }
  const abort = options.abortOnContainerExit === true || options.exitCodeFrom !== undefined;

  const printer = createLogPrinter(output, project.name, containers, {
    prefix: true,
    colour: output.stdoutIsTTY && options.noColour !== true,
    mask: await projectMasker((await options.delivery()).store),
  });
  let interrupts = 0;
  let stopping: Promise<void> | undefined;
  let firstExit: { container: ObservedContainer; code: number } | undefined;
  const exits = new Map<string, number>();

  const stop = (timeoutSeconds: number | undefined): Promise<void> =>
    stopAll(engine, all, output, options.progressMode, timeoutSeconds);

  const follows = containers.map(async (container) => {
    const tty = project.services[container.service]?.tty ?? false;
    await containerLines(engine, container, { tty, follow: true, since: options.since }, printer.line);
    await printer.flush();
    const code = await engine.waitContainer(container);
    exits.set(container.id, code);
    output.stdout(`${shortName(project.name, container)} exited with code ${code}\n`);
    if (firstExit === undefined) {
      firstExit = { container, code };
      if (abort && stopping === undefined) {
        output.stderr("Aborting on container exit...\n");
        stopping = stop(undefined);
      }
    }
  });

  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      output.stderr("Gracefully stopping... (press Ctrl+C again to force)\n");
      stopping ??= stop(undefined);
    } else {
      void stop(0);
    }
  };
  process.on("SIGINT", onSigint);
  try {
    await Promise.all(follows);
    if (stopping !== undefined) await stopping;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  if (interrupts > 0)
    throw new InterruptedError("stopped by Ctrl-C; `composec up` starts the containers again");
  if (options.exitCodeFrom !== undefined) {
    const from = containers.find((container) => container.service === options.exitCodeFrom);
    return from === undefined ? 0 : (exits.get(from.id) ?? 0);
  }
  return abort ? ((firstExit as { code: number } | undefined)?.code ?? 0) : 0;
}

async function stopAll(
  engine: Engine,
  containers: ObservedContainer[],
  output: Output,
  progressMode: string,
  timeoutSeconds: number | undefined,
): Promise<void> {
  const progress = createProgress(output, progressMode, "Stopping");
  await Promise.all(
    containers.map(async (container) => {
      const title = resourceTitle.container(container.name);
      progress.onProgress({ resource: title, status: "Stopping" });
      await engine.stopContainer(container, timeoutSeconds);
      progress.onProgress({ resource: title, status: "Stopped" });
    }),
  );
  progress.finish();
}
