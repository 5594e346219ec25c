// Lifecycle hooks (`post_start`, `pre_stop`): each is one exec in the service's container, run to its
// end before the step goes on, as Compose runs them (docker/compose pkg/compose/hook.go): a
// `post_start` hook right after the container starts, a `pre_stop` one before it is stopped by
// `down`, `stop`, `restart` or `rm -s`. A hook that exits non-zero fails the step: `up` stops there, and the
// container is not stopped (Compose aborts the stop).
import { setTimeout as delay } from "node:timers/promises";
import { Writable } from "node:stream";
import { EngineError } from "../errors.js";
import type { ServiceHook } from "../model/project.js";
import type { Engine } from "./client.js";

export type HookKind = "post_start" | "pre_stop";

/** What a hook printed and how it ended, for the caller to show (masked: it may print a secret). */
export interface HookReport {
  container: string;
  service: string;
  hook: HookKind;
  /** Output lines in the order they came, stdout and stderr together. */
  lines: string[];
  exitCode: number;
}

/** Runs `hook` in `container` and waits for its end; a non-zero exit is an EngineError. */
export async function runHook(
  engine: Engine,
  container: { id: string; name: string },
  run: { service: string; kind: HookKind; hook: ServiceHook },
  report?: (report: HookReport) => Promise<void> | void,
): Promise<void> {
  const { hook } = run;
  const env: string[] = [];
  for (const [key, value] of Object.entries(hook.environment))
    if (value !== null) env.push(`${key}=${value}`);
  const execId = await engine.createExec(container, {
    cmd: hook.command,
    tty: false,
    stdin: false,
    env,
    privileged: hook.privileged,
    ...(hook.user === undefined ? {} : { user: hook.user }),
    ...(hook.workingDir === undefined ? {} : { workingDir: hook.workingDir }),
  });
  const connection = await engine.startExec(container, execId, { tty: false });
  const lines = new LineCollector();
  const ended = new Promise<void>((resolve) => {
    connection.on("end", resolve);
    connection.on("close", resolve);
    connection.on("error", resolve);
  });
  engine.demuxLogs(connection, lines.stream(), lines.stream());
  await ended;
  const exitCode = await exitCodeOf(engine, container, execId);
  await report?.({
    container: container.name,
    service: run.service,
    hook: run.kind,
    lines: lines.done(),
    exitCode,
  });
  if (exitCode !== 0) {
    throw new EngineError(
      `container ${container.name}: the ${run.kind} hook (${hook.command.join(" ")}) exited with status ${exitCode}`,
      { resource: `container ${container.name}` },
    );
  }
}

/** Keeps the last lines a hook printed: enough to explain a failure, bounded for a chatty one. */
class LineCollector {
  static readonly MAX_LINES = 100;
  readonly #lines: string[] = [];
  readonly #partial = new Map<Writable, string>();

  stream(): Writable {
    const stream: Writable = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        const text = (this.#partial.get(stream) ?? "") + chunk.toString("utf8");
        const parts = text.split("\n");
        this.#partial.set(stream, parts.pop()!);
        for (const line of parts) this.#push(line);
        callback();
      },
    });
    return stream;
  }

  done(): string[] {
    for (const rest of this.#partial.values()) if (rest !== "") this.#push(rest);
    this.#partial.clear();
    return this.#lines;
  }

  #push(line: string): void {
    this.#lines.push(line.replace(/\r$/, ""));
    if (this.#lines.length > LineCollector.MAX_LINES) this.#lines.shift();
  }
}

/** The engine may report the exec as running for a moment after its output ended. */
async function exitCodeOf(engine: Engine, container: { id: string; name: string }, execId: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const code = await engine.execExitCode(container, execId);
    if (code !== undefined) return code;
    await delay(20);
  }
  throw new EngineError(`container ${container.name}: a hook's output ended but it did not exit`, {
    resource: `container ${container.name}`,
  });
}
