// Container output arrives in chunks that cut lines (and UTF-8 characters) anywhere; everything
// that shows it works on whole lines, so masking sees a secret value in one piece even when the
// engine delivered it in two frames.

/** Hard limit on a buffered line: a process that never prints a newline must not grow us forever. */
export const MAX_LINE_BYTES = 1 << 20;

/** Buffers bytes to line ends and hands over each complete line (without `\n` or `\r\n`). */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The last line handed over was cut at the limit: a newline right after it ends that line. */
  #cut = false;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      if (end === -1) break;
      this.#pending.push(chunk.subarray(start, end));
      if (this.#cut && this.#pendingBytes === 0 && end === start) this.#pending = [];
      else this.#flush();
      this.#cut = false;
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      // An over-long line is cut, not dropped: what was printed is still seen (and masked) whole
      // up to the limit.
      if (this.#pendingBytes >= MAX_LINE_BYTES) {
        this.#flush();
        this.#cut = true;
      }
    }
  }

  /** Hands over a last line that had no newline. */
  end(): void {
    if (this.#pendingBytes > 0) this.#flush();
  }

  #flush(): void {
    let text = Buffer.concat(this.#pending).toString("utf8");
    if (text.endsWith("\r")) text = text.slice(0, -1);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onLine(text);
  }
}
