import { EngineError, InterruptedError, ProjectError, StoreError, UsageError } from "../errors.js";

/**
 * Not a failure: the command ran to its end and its exit code is another program's (`exec`, `run`,
 * `up --exit-code-from`), returned as the CLI's own (CLARIFICATIONS.md 7). Thrown by the command's
 * action because Commander has no other way to carry a result back to `run`.
 */
export class ExitStatus extends Error {
  override name = "ExitStatus";
  readonly code: number;
  constructor(code: number) {
    super(`exit status ${code}`);
    this.code = code;
  }
}

/** The one mapping from error class to process exit code (CLARIFICATIONS.md 7). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ExitStatus) return error.code;
  if (error instanceof UsageError) return 2;
  if (error instanceof InterruptedError) return error.by === "SIGTERM" ? 143 : 130;
  if (error instanceof ProjectError || error instanceof EngineError || error instanceof StoreError) return 1;
  return 1;
}

/** Whether the error is the user's (printed as a message) or a bug (printed with its stack). */
export function isUserFacing(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof InterruptedError ||
    error instanceof ProjectError ||
    error instanceof EngineError ||
    error instanceof StoreError
  );
}
