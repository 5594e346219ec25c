// Attached `up`: follow the containers' logs on stdout, each line prefixed with the container's
// short name (`web-1  | ...`), until they have all exited, or until Ctrl-C, which stops them
// (a second Ctrl-C kills them), as `docker compose up` does.
import { PassThrough, type Readable } from "node:stream";
import { createInterface } from "node:readline";
import { InterruptedError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { toObservedContainer } from "../engine/observe.js";
import { resourceTitle } from "../model/names.js";
import type { Project } from "../model/project.js";
import type { ObservedContainer } from "../plan/state.js";
import type { Output } from "./output.js";
import { createProgress } from "./progress.js";

const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface AttachOptions {
  /** Services named on the command line (default: all of the project's). */
  services: string[];
  /** Unix seconds: only output from then on (what this `up` started). */
  since: number;
  progressMode: string;
}

/** Follows the logs of the selected services' containers; Ctrl-C stops them and fails with InterruptedError. */
export async function followAndStop(
  project: Project,
  engine: Engine,
  output: Output,
  options: AttachOptions,
): Promise<void> {
  const wanted = new Set(options.services.length > 0 ? options.services : Object.keys(project.services));
  const containers = (await engine.listProjectContainers(project.name, { all: true }))
    .map(toObservedContainer)
    .filter((container) => !container.oneoff && wanted.has(container.service))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (containers.length === 0) return;

  const prefixOf = (container: ObservedContainer): string =>
    container.name.startsWith(`${project.name}-`)
      ? container.name.slice(project.name.length + 1)
      : container.name;
  const width = Math.max(...containers.map((container) => prefixOf(container).length));
  const follows = containers.map(async (container, index) => {
    const colour = COLOURS[index % COLOURS.length] as number;
    const label = prefixOf(container).padEnd(width);
    const prefix = output.stdoutIsTTY ? `\x1b[${colour}m${label}  |\x1b[0m ` : `${label}  | `;
    const stream = await engine.logs(container, { follow: true, since: options.since });
    const tty = project.services[container.service]?.tty ?? false;
    await printLines(engine, stream, tty, (line) => output.stdout(`${prefix}${line}\n`));
    const code = await engine.waitContainer(container);
    output.stdout(`${prefixOf(container)} exited with code ${code}\n`);
  });

  let interrupts = 0;
  let stopping: Promise<void> | undefined;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      output.stderr("Gracefully stopping... (press Ctrl+C again to force)\n");
      stopping = stopAll(engine, containers, output, options.progressMode, undefined);
    } else {
      void stopAll(engine, containers, output, options.progressMode, 0);
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

/** Calls `line` for each line of a log stream (demultiplexed unless the container has a TTY). */
async function printLines(
  engine: Engine,
  stream: Readable,
  tty: boolean,
  line: (text: string) => void,
): Promise<void> {
  const text = new PassThrough();
  if (tty) stream.pipe(text);
  else {
    engine.demuxLogs(stream, text, text);
    stream.on("end", () => text.end());
  }
  stream.on("error", () => text.end());
  for await (const entry of createInterface({ input: text, crlfDelay: Infinity })) line(entry);
}
