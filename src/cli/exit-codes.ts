import { EngineError, InterruptedError, ProjectError, StoreError, UsageError } from "../errors.js";

/** The one mapping from error class to process exit code (CLARIFICATIONS.md 7). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return 2;
  if (error instanceof InterruptedError) return 130;
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
