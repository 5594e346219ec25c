// The `x-composec-command` secret source: a top-level secret whose value is the standard output of
// a command (a password manager's CLI, `pass`, `sops -d`, `age -d`). Extension keys pass the schema
// untouched, so their shape is checked here, from finalize's secret step, with the same locations
// and wording as every other field.
import { dirname, isAbsolute, resolve } from "node:path";
import type { SecretSource } from "../model/project.js";
import type { PathSegment } from "./paths.js";
import type { Location } from "../errors.js";
import { parseDuration } from "./units.js";

export const COMMAND_EXTENSION = "x-composec-command";
export const TIMEOUT_EXTENSION = "x-composec-timeout";
/** How long a secret's command may run when `x-composec-timeout` is not given. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export type CommandSecretResult =
  | { kind: "none" }
  | { kind: "source"; source: Extract<SecretSource, { kind: "command" }> }
  | { kind: "invalid" };

/**
 * Reads `x-composec-command` (and `x-composec-timeout`) of a raw secret definition. `fail` reports a
 * problem at a path under the secret; `at` locates the definition (asked only when there is a
 * command: working out positions costs a second parse of the file), so a relative program path and
 * the command's working directory are the declaring file's directory, as for `file:`.
 */
export function commandSecret(
  raw: Record<string, unknown>,
  workingDir: string,
  at: () => Location | undefined,
  fail: (suffix: PathSegment[], message: string) => void,
): CommandSecretResult {
  const command = raw[COMMAND_EXTENSION];
  const timeout = raw[TIMEOUT_EXTENSION];
  if (command === undefined) {
    if (timeout !== undefined) {
      fail(
        [TIMEOUT_EXTENSION],
        `${TIMEOUT_EXTENSION} goes with ${COMMAND_EXTENSION}; remove it or add a command`,
      );
      return { kind: "invalid" };
    }
    return { kind: "none" };
  }
  const others = ["file", "environment", "external"].filter((field) => field in raw);
  let ok = true;
  for (const field of others) {
    fail(
      [field],
      `secret has both ${COMMAND_EXTENSION} and ${field}; give exactly one source (the command's output is the value)`,
    );
    ok = false;
  }
  const argv = commandArgv(command, fail);
  if (!argv) ok = false;
  let timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS;
  if (timeout !== undefined) {
    const parsed =
      typeof timeout === "string" || typeof timeout === "number" ? parseDuration(timeout) : undefined;
    if (parsed === undefined || !(parsed > 0) || !Number.isFinite(parsed)) {
      fail(
        [TIMEOUT_EXTENSION],
        `${JSON.stringify(timeout)} is not a duration; use one such as 30s, 1m or 90 (seconds), greater than zero`,
      );
      ok = false;
    } else timeoutMs = Math.ceil(parsed / 1e6);
  }
  if (!ok || !argv) return { kind: "invalid" };
  // Standard input has no directory of its own: its relative paths are the project's.
  const where = at();
  const baseDir = where && where.file !== "-" && isAbsolute(where.file) ? dirname(where.file) : workingDir;
  const program = argv[0]!;
  const resolvedArgv = program.includes("/") ? [resolve(baseDir, program), ...argv.slice(1)] : argv;
  return { kind: "source", source: { kind: "command", argv: resolvedArgv, cwd: baseDir, timeoutMs } };
}

function commandArgv(
  command: unknown,
  fail: (suffix: PathSegment[], message: string) => void,
): string[] | undefined {
  if (typeof command === "string") {
    fail(
      [COMMAND_EXTENSION],
      `${JSON.stringify(command)} is a string; give the command as a list of arguments (no shell runs it), e.g. [pass, show, db/password]`,
    );
    return undefined;
  }
  if (!Array.isArray(command) || command.length === 0) {
    fail(
      [COMMAND_EXTENSION],
      "must be a non-empty list of arguments (no shell runs it), e.g. [pass, show, db/password]",
    );
    return undefined;
  }
  let ok = true;
  command.forEach((argument, index) => {
    if (typeof argument === "number" || typeof argument === "boolean") return;
    if (typeof argument !== "string") {
      fail([COMMAND_EXTENSION, index], "each argument must be a string, number or boolean");
      ok = false;
    } else if (argument.includes("\0")) {
      fail([COMMAND_EXTENSION, index], "an argument cannot hold a NUL byte");
      ok = false;
    }
  });
  if (ok && String(command[0]) === "") {
    fail([COMMAND_EXTENSION, 0], '"" is not a program; name the program to run, e.g. pass');
    ok = false;
  }
  return ok ? command.map(String) : undefined;
}
