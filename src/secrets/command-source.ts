// The `x-composec-command` source: run a program (no shell) and take its standard output as the
// secret's bytes. The output is never logged or shown: on failure only the exit status and the
// last lines of standard error are, with any occurrence of what was read masked.
import { spawn } from "node:child_process";
import { findProgram } from "./find-program.js";
import { MASK } from "../errors.js";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import type { SecretSource } from "../model/project.js";
import { SecretValue } from "./secret-value.js";

type CommandSource = Extract<SecretSource, { kind: "command" }>;

/** How much of the command's standard error an error message quotes. */
const STDERR_LINES = 5;
const STDERR_KEEP_BYTES = 4096;
/** After a timeout's SIGTERM, how long the command has before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** A command source that could not give a value; the message is safe to show. */
export class CommandSourceError extends Error {
  override name = "CommandSourceError";
}

export interface RunCommandOptions {
  /** The environment the command runs with (default `process.env`). */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Runs the source's command once and returns its standard output as the secret's bytes. */
export async function readCommandSource(
  source: CommandSource,
  options: RunCommandOptions = {},
): Promise<SecretValue> {
  const env = options.env ?? process.env;
  const shown = source.argv.map((argument) => JSON.stringify(argument)).join(" ");
  const program = findProgram(source.argv[0]!, env["PATH"]);
  if (typeof program !== "string") throw new CommandSourceError(`command [${shown}]: ${program.problem}`);
  options.signal?.throwIfAborted();
  const chunks: Buffer[] = [];
  let size = 0;
  let stderr = Buffer.alloc(0);
  /** Whether the start of standard error was dropped: its first kept line is then a fragment. */
  let stderrCut = false;
  let reason: "timeout" | "too-large" | "aborted" | undefined;
  const wipe = () => {
    for (const chunk of chunks) chunk.fill(0);
    chunks.length = 0;
  };
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (settle) => {
      // Its own process group, so a timeout ends the whole command (a wrapper script's children too).
      const child = spawn(program, source.argv.slice(1), {
        cwd: source.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
        argv0: source.argv[0]!,
      });
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: typeof reason) => {
        if (reason) return;
        reason = why;
        signalGroup(child.pid, "SIGTERM");
        killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
        killTimer.unref();
      };
      const timer = setTimeout(() => stop("timeout"), source.timeoutMs);
      const onAbort = () => stop("aborted");
      options.signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout.on("data", (chunk: Buffer) => {
        if (reason) {
          chunk.fill(0);
          return;
        }
        size += chunk.length;
        chunks.push(chunk);
        if (size > MAX_SECRET_BYTES) {
          wipe();
          stop("too-large");
        }
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = Buffer.concat([stderr, chunk]);
        if (stderr.length > STDERR_KEEP_BYTES) {
          stderr = stderr.subarray(stderr.length - STDERR_KEEP_BYTES);
          stderrCut = true;
        }
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        settle({ code: null, signal: null, error });
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        options.signal?.removeEventListener("abort", onAbort);
        settle({ code, signal });
      });
    },
  );
  const value = Buffer.concat(chunks);
  wipe();
  const fail = (what: string): never => {
    const tail = stderrTail(stderr, stderrCut, value);
    value.fill(0);
    throw new CommandSourceError(
      `command [${shown}] ${what}${tail ? `; its standard error ended with:\n${tail}` : ""}`,
    );
  };
  if (outcome.error)
    fail(`could not be started (${(outcome.error as NodeJS.ErrnoException).code ?? outcome.error.message})`);
  if (reason === "aborted") fail("was stopped: interrupted");
  if (reason === "timeout") {
    fail(
      `did not finish within ${formatMs(source.timeoutMs)} and was stopped; raise x-composec-timeout if it needs longer (an interactive prompt cannot be answered: its input is closed)`,
    );
  }
  if (reason === "too-large") {
    fail(
      `wrote more than the ${MAX_SECRET_BYTES}-byte limit for a secret to its standard output and was stopped`,
    );
  }
  if (outcome.code !== 0) {
    fail(outcome.signal ? `was killed by ${outcome.signal}` : `exited with status ${outcome.code}`);
  }
  return new SecretValue(value);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The last lines of standard error, printable, with anything read from standard output masked. */
function stderrTail(stderr: Buffer, cut: boolean, stdout: Buffer): string {
  let text = stderr.toString("utf8");
  // The cut may fall inside a printed value, whose end alone would escape the mask: the fragment
  // before the first line end is dropped.
  if (cut) text = text.slice(text.indexOf("\n") + 1 || text.length);
  // A command that echoes what it printed (or part of it) to standard error must not show it.
  const printed = stdout.toString("utf8");
  for (const line of printed.split(/\r?\n/)) {
    if (line.length >= 4) text = text.split(line).join(MASK);
  }
  const lines = text
    .replace(/[^\t\n\x20-\x7e\u00a0-\uffff]/g, "?")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  return lines
    .slice(-STDERR_LINES)
    .map((line) => `  ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`)
    .join("\n");
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
