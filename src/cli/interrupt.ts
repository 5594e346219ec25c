// Ctrl-C (SIGINT) and SIGTERM (a CI job cancelled, `docker stop` of a container running composec,
// a process manager) both ask a command to stop between operations, as docker compose treats them:
// what is done stays done, and the next `up` or `down` converges from there. Without this, SIGTERM
// ended the process wherever it was, like SIGKILL.
import { InterruptedError } from "../errors.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** An abort signal raised by the first SIGINT or SIGTERM, until dispose(). */
export class Interrupt {
  readonly #controller = new AbortController();
  #received: StopSignal | undefined;
  readonly #listeners = new Map<StopSignal, () => void>();

  constructor() {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      const listener = (): void => {
        this.#received ??= name;
        this.#controller.abort();
      };
      this.#listeners.set(name, listener);
      process.once(name, listener);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#controller.signal.aborted;
  }

  /** The error a command stopped this way ends with (exit 130 for SIGINT, 143 for SIGTERM). */
  error(message: string, cause?: unknown): InterruptedError {
    return new InterruptedError(message, {
      ...(cause === undefined ? {} : { cause }),
      by: this.#received ?? "SIGINT",
    });
  }

  dispose(): void {
    for (const [name, listener] of this.#listeners) process.removeListener(name, listener);
  }
}
