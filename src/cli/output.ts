/** Where the CLI writes: data to stdout, progress, warnings and errors to stderr. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (live progress, colours). */
  readonly stderrIsTTY: boolean;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTTY: boolean;
}

/** The process's own streams. */
export function createOutput(): Output {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  };
}
