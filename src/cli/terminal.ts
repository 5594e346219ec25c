// The user's terminal while a command runs attached to a container with a TTY (`exec`, `run`): raw
// input (keys go to the container as typed, Ctrl-C included), the window size passed on at start
// and on every resize, and everything put back afterwards.

export interface TerminalSession {
  /** Passes the current size on now and after each resize. */
  follow(resize: (size: { rows: number; columns: number }) => Promise<void>): void;
  /** Restores the terminal and stops listening for resizes. */
  restore(): void;
}

/** Whether `exec`/`run` should allocate a TTY: not disabled (`-T`) and both ends are terminals. */
export function wantsTty(disabled: boolean): boolean {
  return !disabled && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

/** Puts the terminal in raw mode when `tty` (a no-op session otherwise). */
export function openTerminal(tty: boolean): TerminalSession {
  if (!tty || !process.stdin.isTTY) return { follow: () => {}, restore: () => {} };
  const stdin = process.stdin;
  stdin.setRawMode(true);
  let onResize: (() => void) | undefined;
  return {
    follow(resize) {
      onResize = () => {
        const size = { rows: process.stdout.rows, columns: process.stdout.columns };
        // A resize the engine refuses (the process already exited) changes nothing for the user.
        void resize(size).catch(() => {});
      };
      onResize();
      process.stdout.on("resize", onResize);
    },
    restore() {
      if (onResize !== undefined) process.stdout.removeListener("resize", onResize);
      stdin.setRawMode(false);
    },
  };
}

/** Stops reading our stdin once the container no longer wants it, so the process can exit. */
export function releaseStdin(): void {
  process.stdin.unref?.();
  process.stdin.destroy();
}
