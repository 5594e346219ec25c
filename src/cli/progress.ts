// Renders engine progress on stderr as Compose does: one line per resource
// (`Container demo-web-1  Started`). In a terminal the lines update in place under a header that
// counts finished resources; piped, every event is a plain line; `json` prints one object per event;
// `quiet` prints nothing. Warnings always print, as `warning: ...` lines.
import { UsageError } from "../errors.js";
import { isFinal, type ProgressEvent, type ProgressListener } from "../engine/progress.js";
import type { Output } from "./output.js";

export type ProgressMode = "auto" | "tty" | "plain" | "json" | "quiet";

const MODES: ProgressMode[] = ["auto", "tty", "plain", "json", "quiet"];

export interface ProgressRenderer {
  onProgress: ProgressListener;
  onWarning: (message: string) => void;
  /** Ends live rendering (a final redraw); call once the operation is over. */
  finish(): void;
}

/** A renderer for `--progress <mode>`; `title` heads the live view (`Running`, `Stopping`). */
export function createProgress(
  output: Output,
  mode: string,
  title: string,
  clock: () => number = Date.now,
): ProgressRenderer {
  if (!MODES.includes(mode as ProgressMode)) {
    throw new UsageError(`--progress "${mode}" is not a progress mode; use ${MODES.join(", ")}`);
  }
  const resolved = mode === "auto" ? (output.stderrIsTTY ? "tty" : "plain") : (mode as ProgressMode);
  const warn = (message: string): void => output.stderr(`warning: ${message}\n`);
  switch (resolved) {
    case "quiet":
      return { onProgress: () => {}, onWarning: warn, finish: () => {} };
    case "json":
      return {
        onProgress: (event) => output.stderr(`${JSON.stringify(event)}\n`),
        onWarning: (message) => output.stderr(`${JSON.stringify({ status: "Warning", detail: message })}\n`),
        finish: () => {},
      };
    case "plain":
      return {
        onProgress: (event) => output.stderr(`${plainLine(event)}\n`),
        onWarning: warn,
        finish: () => {},
      };
    default:
      return new LiveProgress(output, title, clock);
  }
}

/** `Container demo-web-1  Started`, with the detail of an error after it. */
export function plainLine(event: ProgressEvent): string {
  return `${event.resource}  ${event.status}${event.detail === undefined ? "" : `: ${event.detail}`}`;
}

interface Row {
  resource: string;
  status: string;
  detail?: string;
  final: boolean;
  started: number;
  ended?: number;
}

/** Redraws the block of lines it owns at the bottom of the terminal after each event. */
class LiveProgress implements ProgressRenderer {
  readonly #output: Output;
  readonly #title: string;
  readonly #clock: () => number;
  readonly #rows: Row[] = [];
  #drawn = 0;

  constructor(output: Output, title: string, clock: () => number) {
    this.#output = output;
    this.#title = title;
    this.#clock = clock;
  }

  readonly onProgress = (event: ProgressEvent): void => {
    let row = this.#rows.find((candidate) => candidate.resource === event.resource);
    const now = this.#clock();
    if (row === undefined) {
      row = { resource: event.resource, status: event.status, final: false, started: now };
      this.#rows.push(row);
    }
    row.status = event.status;
    row.final = isFinal(event.status);
    if (row.final) row.ended = now;
    if (event.detail !== undefined) row.detail = event.detail;
    this.#draw();
  };

  readonly onWarning = (message: string): void => {
    this.#erase();
    this.#output.stderr(`warning: ${message}\n`);
    this.#draw();
  };

  finish(): void {
    this.#draw();
    this.#drawn = 0;
  }

  #erase(): void {
    // Up one line and clear it, once per line drawn.
    if (this.#drawn > 0) this.#output.stderr("\x1b[1A\x1b[2K".repeat(this.#drawn));
    this.#drawn = 0;
  }

  #draw(): void {
    this.#erase();
    const done = this.#rows.filter((row) => row.final).length;
    const width = Math.max(...this.#rows.map((row) => row.resource.length));
    const lines = [`[+] ${this.#title} ${done}/${this.#rows.length}`];
    for (const row of this.#rows) {
      const mark = !row.final ? " ⠿" : row.status === "Error" ? " ✘" : " ✔";
      const seconds = (((row.ended ?? this.#clock()) - row.started) / 1000).toFixed(1);
      // One screen line per row, or the redraw would erase the wrong number of lines.
      const detail = row.detail === undefined ? "" : ` ${row.detail.split("\n")[0]}`;
      lines.push(`${mark} ${row.resource.padEnd(width)}  ${row.status.padEnd(9)} ${seconds}s${detail}`);
    }
    this.#output.stderr(`${lines.join("\n")}\n`);
    this.#drawn = lines.length;
  }
}
