// `logs` as a library function: the output of a project's containers, one whole line at a time
// (LineSplitter), so whoever prints it can mask each line before it is shown.
import { setMaxListeners } from "node:events";
import { Writable, type Readable } from "node:stream";
import type { Engine, LogOptions } from "../engine/client.js";
import { toObservedContainer } from "../engine/observe.js";
import type { ObservedContainer } from "../plan/state.js";
import { EngineError } from "../errors.js";
import { LineSplitter } from "./line-splitter.js";

export interface LogsOptions {
  /** Only these services' containers (default: all of the project's). */
  services?: string[];
  /** Keep following until the containers stop. */
  follow?: boolean;
  /** Prefix each line with the engine's RFC 3339 timestamp. */
  timestamps?: boolean;
  /** Lines from the end of each container's log, or all. */
  tail?: number | "all";
  /** Unix seconds (fractions allowed): only output from then on. */
  since?: number;
  /** Aborting it ends the reading (`logs -f` stopped by Ctrl-C). */
  signal?: AbortSignal;
}

/** One line of a container's output; `text` has no line end. */
export interface LogLine {
  container: ObservedContainer;
  stream: "stdout" | "stderr";
  text: string;
}

/**
 * Said instead of a container's lines when the engine cannot read its log back: its logging driver
 * keeps none (`none`, or a remote driver with the engine's local cache turned off).
 */
export interface LogNotice {
  container: ObservedContainer;
  notice: string;
}

/** What `logs` hands its caller: the containers' lines, and notices about containers. */
export type LogOutput = LogLine | LogNotice;

/** The containers `logs` shows: the services' own (not one-off ones), sorted by name. */
export async function logContainers(
  projectName: string,
  engine: Engine,
  services: string[] = [],
): Promise<ObservedContainer[]> {
  const wanted = new Set(services);
  return (await engine.listProjectContainers(projectName, { all: true }))
    .map(toObservedContainer)
    .filter((container) => !container.oneoff && (wanted.size === 0 || wanted.has(container.service)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Calls `onLine` for every line the containers printed; with `follow`, until each has stopped.
 * The containers are read in parallel.
 */
export async function logs(
  containers: ObservedContainer[],
  engine: Engine,
  options: LogsOptions,
  onLine: (line: LogOutput) => void,
): Promise<void> {
  await Promise.all(
    containers.map(async (container) => {
      const tty = (await engine.inspectContainer(container)).Config.Tty;
      await containerLines(engine, container, { tty, ...options }, onLine);
    }),
  );
}

/**
 * Reads one container's log as whole lines; `tty` says the stream is raw rather than multiplexed.
 * A log the engine cannot read back is one notice, not a failure: the other containers go on.
 */
export async function containerLines(
  engine: Engine,
  container: ObservedContainer,
  options: LogsOptions & { tty: boolean },
  onLine: (line: LogOutput) => void,
): Promise<void> {
  const query: LogOptions = { follow: options.follow ?? false, timestamps: options.timestamps ?? false };
  if (options.tail !== undefined) query.tail = options.tail;
  if (options.since !== undefined) query.since = options.since;
  let stream: Readable;
  try {
    stream = await engine.logs(container, query);
  } catch (error) {
    if (!cannotRead(error)) throw error;
    // Only now is the driver's name worth a round trip: it goes in the notice.
    const driver = (await engine.inspectContainer(container).catch(() => undefined))?.HostConfig.LogConfig
      ?.Type;
    onLine({ container, notice: unreadableNotice(container, driver) });
    return;
  }
  await splitStream(
    engine,
    stream,
    options.tty,
    (stream, text) => onLine({ container, stream, text }),
    options.signal,
  );
}

/**
 * Whether the engine refused to read a log because of its driver ("configured logging driver does
 * not support reading", HTTP 501). Engine 20.10 reads other drivers through its local cache
 * ("dual logging"), so the driver's name alone does not tell; the engine's answer does.
 */
function cannotRead(error: unknown): boolean {
  const cause = (error as { cause?: { statusCode?: unknown } } | null)?.cause;
  return (
    error instanceof EngineError &&
    (cause?.statusCode === 501 || /logging driver does not support reading/i.test(error.message))
  );
}

function unreadableNotice(container: ObservedContainer, driver: string | undefined): string {
  const which = driver ? `logging driver "${driver}"` : "its logging driver";
  return `service "${container.service}" (container ${container.name}): ${which} keeps no log the engine can read back, so there is no output to show; composec reads json-file, local and journald logs, and other drivers' through the engine's cache unless cache-disabled is set`;
}

/** Feeds a (multiplexed unless `tty`) log stream through one LineSplitter per output stream. */
async function splitStream(
  engine: Engine,
  stream: Readable,
  tty: boolean,
  onLine: (stream: "stdout" | "stderr", text: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const out = new LineSplitter((text) => onLine("stdout", text));
  const err = new LineSplitter((text) => onLine("stderr", text));
  const stop = (): void => void stream.destroy();
  if (signal?.aborted) stop();
  // One listener per container on a signal shared by all of them: with more than ten containers
  // Node.js would print a warning about a leak to the user's stderr (seen with 50 services).
  if (signal !== undefined) setMaxListeners(0, signal);
  signal?.addEventListener("abort", stop, { once: true });
  await new Promise<void>((resolve) => {
    const sink = (splitter: LineSplitter): Writable =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          splitter.push(chunk);
          callback();
        },
      });
    if (tty) stream.on("data", (chunk: Buffer) => out.push(chunk));
    else engine.demuxLogs(stream, sink(out), sink(err));
    // The engine ends the stream when the container stops; a dropped connection ends it too.
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", resolve);
  });
  signal?.removeEventListener("abort", stop);
  out.end();
  err.end();
}
