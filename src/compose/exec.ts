// `exec` as a library function: run a command in a service's running container, wire its stdin,
// stdout and stderr to the caller's streams, and return the command's exit code.
import { setTimeout as delay } from "node:timers/promises";
import type { Readable, Writable } from "node:stream";
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { serviceContainer } from "./containers.js";

export interface ExecOptions {
  service: string;
  command: string[];
  /** Container number (`--index`); default 1. */
  index?: number;
  /** Allocate a pseudo-terminal: output arrives raw, stdin is a terminal for the command. */
  tty: boolean;
  /** Start it and return at once (`-d`); the exit code is then 0. */
  detach?: boolean;
  user?: string;
  /** `KEY=VALUE` entries added to the container's environment. */
  env?: string[];
  workingDir?: string;
  privileged?: boolean;
  /** Where the command's input comes from; absent: it gets none. */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Called once the exec exists, to let a terminal caller pass on its size. */
  onStarted?: (resize: (size: { rows: number; columns: number }) => Promise<void>) => void;
}

/** Runs the command in the service's container; resolves with its exit code. */
export async function exec(projectName: string, engine: Engine, options: ExecOptions): Promise<number> {
  const container = await serviceContainer(projectName, engine, options.service, {
    ...(options.index === undefined ? {} : { index: options.index }),
    running: true,
  });
  const execId = await engine.createExec(container, {
    cmd: options.command,
    tty: options.tty,
    stdin: options.stdin !== undefined && !options.detach,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.workingDir === undefined ? {} : { workingDir: options.workingDir }),
    ...(options.privileged === undefined ? {} : { privileged: options.privileged }),
  });
  if (options.detach) {
    await engine.startExecDetached(container, execId, { tty: options.tty });
    return 0;
  }
  const connection = await engine.startExec(container, execId, { tty: options.tty });
  options.onStarted?.((size) => engine.resizeExec(execId, size));
  const ended = new Promise<void>((resolve) => {
    connection.on("end", resolve);
    connection.on("close", resolve);
    connection.on("error", resolve);
  });
  if (options.tty) connection.pipe(options.stdout, { end: false });
  else engine.demuxLogs(connection, options.stdout, options.stderr);
  const stdin = options.stdin;
  // The end of our input half-closes the connection: the command sees EOF, its output goes on.
  if (stdin !== undefined) stdin.pipe(connection);
  try {
    await ended;
  } finally {
    stdin?.unpipe(connection);
  }
  return exitCodeOf(engine, container, execId);
}

/** The engine may report the exec as running for a moment after its output ended. */
async function exitCodeOf(engine: Engine, container: { id: string; name: string }, execId: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const code = await engine.execExitCode(container, execId);
    if (code !== undefined) return code;
    await delay(20);
  }
  throw new EngineError(`container ${container.name}: the command's output ended but it did not exit`, {
    resource: `container ${container.name}`,
  });
}
