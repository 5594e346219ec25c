// BuildKit status messages to readable lines, in the shape of BuildKit's own plain progress (what
// `docker buildx build --progress=plain` prints), each step named with its service:
//
//   #3 [myapp 2/2] RUN --mount=type=secret,id=npm_token sha256sum /run/secrets/npm_token > /digest
//   #3 0.214 some output
//   #3 DONE 0.3s          (or: #3 CACHED, #3 ERROR: ...)
//
// Pure: lines come out of `update()`, and the caller decides where they go. Every line of step
// output passes through `redact` first, so a RUN step that prints a secret does not put it on our
// stderr.
import type { StatusResponse } from "./status.js";

/** How many lines of a failing step's output the error repeats (as buildx does). */
const FAILURE_TAIL = 20;

interface StepState {
  number: number;
  name: string;
  started?: number;
  completed?: number;
  cached: boolean;
  done: boolean;
  error?: string;
  /** Output not yet ended by a newline. */
  partial: Buffer;
  /** The last lines of output, for the error message of a failing step. */
  tail: string[];
}

export interface StepCounts {
  /** Dockerfile steps (`[n/m] ...`) other than FROM. */
  total: number;
  /** Of those, served from the build cache. */
  cached: number;
}

/** One build's progress, as lines. `nextNumber` numbers steps across the builds of one run. */
export class BuildTrace {
  readonly #service: string;
  readonly #nextNumber: () => number;
  readonly #redact: (line: Buffer) => Buffer;
  readonly #steps = new Map<string, StepState>();
  readonly #statusesDone = new Set<string>();

  constructor(service: string, nextNumber: () => number, redact: (line: Buffer) => Buffer = (line) => line) {
    this.#service = service;
    this.#nextNumber = nextNumber;
    this.#redact = redact;
  }

  /** The lines one status message adds. */
  update(status: StatusResponse): string[] {
    const lines: string[] = [];
    const finished: StepState[] = [];
    for (const vertex of status.vertexes) {
      let step = this.#steps.get(vertex.digest);
      if (step === undefined) {
        if (vertex.started === undefined && vertex.completed === undefined) continue;
        step = {
          number: this.#nextNumber(),
          name: vertex.name,
          cached: false,
          done: false,
          partial: Buffer.alloc(0),
          tail: [],
        };
        this.#steps.set(vertex.digest, step);
        lines.push(`#${step.number} ${this.#label(vertex.name)}`);
      }
      if (vertex.started !== undefined) step.started = vertex.started;
      step.cached ||= vertex.cached;
      if (vertex.completed !== undefined && !step.done) {
        step.done = true;
        step.completed = vertex.completed;
        if (vertex.error) step.error = vertex.error;
        finished.push(step);
      }
    }
    for (const transfer of status.statuses) {
      const step = this.#steps.get(transfer.vertex);
      if (step === undefined || transfer.completed === undefined || this.#statusesDone.has(transfer.id))
        continue;
      this.#statusesDone.add(transfer.id);
      const amount = transfer.current > 0 ? ` ${formatBytes(transfer.current)}` : "";
      // Engine 20.10 names some statuses only by their id (`exporting layers`).
      lines.push(`#${step.number} ${transfer.name || transfer.id}${amount} done`);
    }
    for (const log of status.logs) {
      const step = this.#steps.get(log.vertex);
      if (step === undefined) continue;
      step.partial = Buffer.concat([step.partial, log.msg]);
      let newline: number;
      while ((newline = step.partial.indexOf(0x0a)) >= 0) {
        lines.push(this.#outputLine(step, step.partial.subarray(0, newline), log.timestamp));
        step.partial = step.partial.subarray(newline + 1);
      }
    }
    for (const step of finished) {
      if (step.partial.length > 0) {
        lines.push(this.#outputLine(step, step.partial, undefined));
        step.partial = Buffer.alloc(0);
      }
      lines.push(`#${step.number} ${this.#ending(step)}`);
    }
    return lines;
  }

  /** Dockerfile steps seen so far and how many were cached. */
  counts(): StepCounts {
    let total = 0;
    let cached = 0;
    for (const step of this.#steps.values()) {
      // FROM only resolves the base image; BuildKit marks it done, not cached, when it is local.
      if (!isDockerfileStep(step.name) || /^\[[^\]]*\] FROM /.test(step.name)) continue;
      total += 1;
      if (step.cached) cached += 1;
    }
    return { total, cached };
  }

  /** The step that failed, with its last lines of output, if one did. */
  failure(): { label: string; output: string[] } | undefined {
    for (const step of this.#steps.values()) {
      if (step.error !== undefined) return { label: this.#label(step.name), output: step.tail };
    }
    return undefined;
  }

  #outputLine(step: StepState, raw: Buffer, timestamp: number | undefined): string {
    const text = this.#redact(raw).toString("utf8").replace(/\r$/, "");
    step.tail.push(text);
    if (step.tail.length > FAILURE_TAIL) step.tail.shift();
    const elapsed =
      timestamp !== undefined && step.started !== undefined
        ? `${Math.max(0, (timestamp - step.started) / 1000).toFixed(3)} `
        : "";
    return `#${step.number} ${elapsed}${text}`;
  }

  #ending(step: StepState): string {
    if (step.error !== undefined) return `ERROR: ${this.#redact(Buffer.from(step.error)).toString("utf8")}`;
    if (step.cached) return "CACHED";
    const seconds =
      step.started !== undefined && step.completed !== undefined
        ? ` ${Math.max(0, (step.completed - step.started) / 1000).toFixed(1)}s`
        : "";
    return `DONE${seconds}`;
  }

  /** `[internal] load ...` -> `[myapp internal] load ...`; `[1/2] FROM ...` -> `[myapp 1/2] FROM ...`. */
  #label(name: string): string {
    return name.startsWith("[") ? `[${this.#service} ${name.slice(1)}` : `[${this.#service}] ${name}`;
  }
}

/** Whether a vertex is one of the Dockerfile's own steps (`[2/3] RUN ...`, `[stage 1/2] FROM ...`). */
function isDockerfileStep(name: string): boolean {
  return /^\[(?:[^\]]* )?\d+\/\d+\]/.test(name);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)}kB`;
  return `${(bytes / 1024 / 1024).toFixed(2)}MB`;
}

/**
 * A function that blanks every occurrence of the given secrets in a line of output. A line never
 * holds the newline that ended it, so each secret is also looked for without its trailing newline,
 * and each line of a multi-line secret on its own. Pieces shorter than 4 bytes are not looked for:
 * they would blank ordinary text and say something about the secret by doing so.
 */
export function secretRedactor(secrets: Buffer[]): (line: Buffer) => Buffer {
  const needles = new Set<string>();
  for (const secret of secrets) {
    const pieces = [secret, trimNewline(secret), ...splitLines(secret)];
    for (const piece of pieces) if (piece.length >= 4) needles.add(piece.toString("latin1"));
  }
  // Longest first, so a whole secret is blanked before any of its lines could be.
  const ordered = [...needles].sort((a, b) => b.length - a.length).map((n) => Buffer.from(n, "latin1"));
  if (ordered.length === 0) return (line) => line;
  const marker = Buffer.from("[secret redacted]");
  return (line) => {
    let out = line;
    for (const needle of ordered) {
      let at = out.indexOf(needle);
      while (at >= 0) {
        out = Buffer.concat([out.subarray(0, at), marker, out.subarray(at + needle.length)]);
        at = out.indexOf(needle, at + marker.length);
      }
    }
    return out;
  };
}

function trimNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end -= 1;
  return bytes.subarray(0, end);
}

function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      lines.push(trimNewline(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  return lines;
}
