/** Where the CLI writes: data to stdout, progress, warnings and errors to stderr. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (live progress, colours). */
  readonly stderrIsTTY: boolean;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTTY: boolean;
}

/** The process's own streams; a reader that goes away (`| head -1`) ends the process quietly. */
export function createOutput(): Output {
  // A closed pipe on stdout (`composec ps --format json | head -1`, `logs -f | grep -m1`) means
  // the reader has all it wants: stop without a stack, as a command killed by SIGPIPE would, but
  // with the exit code the command had so far (0 unless something already failed). Node reports
  // the broken pipe as an 'error' event on the stream, which would otherwise crash the process;
  // `logs -f` would never end by itself, so exiting here is the only way out.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  // Nowhere is left to report a failure of stderr itself.
  process.stderr.on("error", () => {});
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  };
}
