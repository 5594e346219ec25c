// Every line of container output composec shows (`logs`, attached `up`) passes through a masker
// before it is printed, whole: the log readers buffer output to line ends first, so a value split
// across two output chunks still arrives here in one piece (CLARIFICATIONS.md 16). The output of
// `exec` and `run` without a TTY is a byte stream the user may redirect (a dump, an archive): it
// goes through a StreamMasker instead, which hides the same values and leaves every other byte as
// the command wrote it.
import { Writable } from "node:stream";
import type { LocalTmpfsStore } from "../materialize/local-store.js";
import type { AsyncMaterialWatch, MaterialStore, MaterialWatch } from "../materialize/store.js";

/**
 * Hides secret values in one line of output. A masker whose values need a round trip to refresh
 * (the engine-side store) has `refresh`: the printer awaits it before printing the lines that
 * arrived before it was called.
 */
export type Masker = ((line: string) => string) & { refresh?: () => Promise<void> };

import { MASK } from "../errors.js";

export { MASK };
const MASK_BYTES = Buffer.from(MASK);
/** Shorter values would mask ordinary words and numbers everywhere: they are left alone. */
const MIN_LENGTH = 4;

export const noMasking: Masker = (line) => line;

/**
 * The byte sequences that stand for these values in output, longest first: each value without its
 * trailing line end, and each of its lines (a multi-line key reaches a log one line at a time),
 * each without a trailing `\r`; only those of four bytes or more. The line end after a value is
 * never masked, so masked output keeps its line structure.
 */
export function maskNeedles(values: Buffer[]): Buffer[] {
  const needles = new Map<string, Buffer>();
  const add = (candidate: Buffer): void => {
    const trimmed = candidate.at(-1) === 0x0d ? candidate.subarray(0, -1) : candidate;
    if (trimmed.length >= MIN_LENGTH) needles.set(trimmed.toString("latin1"), trimmed);
  };
  for (const value of values) {
    add(value.at(-1) === 0x0a ? value.subarray(0, -1) : value);
    for (let start = 0; start <= value.length;) {
      const end = value.indexOf(0x0a, start);
      add(value.subarray(start, end === -1 ? value.length : end));
      if (end === -1) break;
      start = end + 1;
    }
  }
  // Longest first, so a value containing another is hidden whole.
  return [...needles.values()].sort((a, b) => b.length - a.length);
}

/** A masker for these secret values (see maskNeedles for what is hidden). */
export function createMasker(values: Buffer[]): Masker {
  const needles = [...new Set(maskNeedles(values).map((needle) => needle.toString("utf8")))];
  if (needles.length === 0) return noMasking;
  const finder = needles.length <= FEW ? new FewNeedles(needles) : new NeedleIndex(needles);
  return (line) => finder.mask(line);
}

/** Up to this many values, each is searched for in turn (see NeedleIndex). */
const FEW = 8;

/**
 * Finds every value in a line in one pass, however many values there are: 50 services with 20
 * secrets each are a thousand values, and trying each in turn on every line held `logs -f` to 7,500
 * lines a second. Each position is ruled out by a table lookup on its first two characters, and
 * only values beginning with its first characters are compared there. Every occurrence is hidden,
 * overlapping ones as one mask: no character of any value is shown, whichever is longer.
 */
class NeedleIndex {
  /** How many characters of a value its bucket is keyed by: the shortest value's length, at most 4. */
  readonly #keyLength: number;
  /** Values by their first #keyLength characters. */
  readonly #buckets = new Map<string, string[]>();
  /** Whether a pair of characters (hashed) may begin a value; 0 rules the position out. */
  readonly #pairs = new Uint8Array(1 << 16);

  constructor(needles: string[]) {
    this.#keyLength = Math.min(4, ...needles.map((needle) => needle.length));
    for (const needle of needles) {
      const key = needle.slice(0, this.#keyLength);
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) this.#buckets.set(key, [needle]);
      else bucket.push(needle);
      this.#pairs[pairHash(needle, 0, this.#keyLength)] = 1;
    }
  }

  mask(line: string): string {
    return hide(line, this.#find(line));
  }

  /** Where values occur, as [start, end) pairs in order of start, overlapping ones merged. */
  #find(line: string): number[] | undefined {
    const last = line.length - this.#keyLength;
    let ranges: number[] | undefined;
    for (let at = 0; at <= last; at++) {
      if (this.#pairs[pairHash(line, at, this.#keyLength)] === 0) continue;
      const bucket = this.#buckets.get(line.slice(at, at + this.#keyLength));
      if (bucket === undefined) continue;
      for (const needle of bucket) {
        if (!line.startsWith(needle, at)) continue;
        const end = at + needle.length;
        ranges ??= [];
        if (ranges.length > 0 && at < (ranges[ranges.length - 1] as number)) {
          ranges[ranges.length - 1] = Math.max(ranges[ranges.length - 1] as number, end);
        } else ranges.push(at, end);
      }
    }
    return ranges;
  }
}

/** A few values are found faster by searching for each in turn, with the same result. */
class FewNeedles {
  constructor(private readonly needles: string[]) {}

  mask(line: string): string {
    let found: [number, number][] | undefined;
    for (const needle of this.needles) {
      for (let at = line.indexOf(needle); at !== -1; at = line.indexOf(needle, at + 1)) {
        (found ??= []).push([at, at + needle.length]);
      }
    }
    if (found === undefined) return line;
    found.sort((a, b) => a[0] - b[0]);
    const ranges: number[] = [];
    for (const [start, end] of found) {
      if (ranges.length > 0 && start < (ranges[ranges.length - 1] as number)) {
        ranges[ranges.length - 1] = Math.max(ranges[ranges.length - 1] as number, end);
      } else ranges.push(start, end);
    }
    return hide(line, ranges);
  }
}

/** `line` with each [start, end) range of `ranges` replaced by the mask. */
function hide(line: string, ranges: number[] | undefined): string {
  if (ranges === undefined) return line;
  let out = "";
  let from = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    out += line.slice(from, ranges[i]) + MASK;
    from = ranges[i + 1] as number;
  }
  return out + line.slice(from);
}

/** A 16-bit hash of the first one or two characters at `at` (two when keys are that long). */
function pairHash(text: string, at: number, keyLength: number): number {
  const first = text.charCodeAt(at);
  return keyLength < 2 ? first & 0xffff : (first * 31 + text.charCodeAt(at + 1)) & 0xffff;
}

/**
 * Hides secret values in a byte stream that arrives cut anywhere. What could be the beginning of a
 * value is held back until the next chunk (or the end) shows whether it is one; everything else is
 * passed on at once, byte for byte, so a prompt without a newline still shows and binary output
 * is not re-encoded.
 */
export class StreamMasker {
  readonly #needles: Buffer[];
  readonly #longest: number;
  /** Whether a byte can start a value: most positions are ruled out by one lookup. */
  readonly #starts = new Uint8Array(256);
  #held: Buffer = Buffer.alloc(0);

  constructor(values: Buffer[]) {
    this.#needles = maskNeedles(values);
    this.#longest = this.#needles[0]?.length ?? 0;
    for (const needle of this.#needles) this.#starts[needle[0] as number] = 1;
  }

  /** The bytes that can be shown now, masked. */
  push(chunk: Buffer): Buffer {
    if (this.#needles.length === 0) return chunk;
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    let cut = this.#holdFrom(data);
    // A whole value straddling the cut is held with it: it must never be shown in two parts.
    for (let moved = true; moved;) {
      moved = false;
      for (const needle of this.#needles) {
        const at = data.indexOf(needle, Math.max(0, cut - needle.length + 1));
        if (at !== -1 && at < cut) {
          cut = at;
          moved = true;
        }
      }
    }
    // Copied, so a large chunk is not kept alive by the few bytes held from its end.
    this.#held = Buffer.from(data.subarray(cut));
    return this.#mask(data.subarray(0, cut));
  }

  /** What was held back, masked: the stream has ended, so no value can continue it. */
  end(): Buffer {
    const rest = this.#mask(this.#held);
    this.#held = Buffer.alloc(0);
    return rest;
  }

  /** Where the longest tail of `data` that is the beginning of some value (and not all of it) starts. */
  #holdFrom(data: Buffer): number {
    for (let at = Math.max(0, data.length - this.#longest + 1); at < data.length; at++) {
      if (this.#starts[data[at] as number] === 0) continue;
      const tail = data.subarray(at);
      for (const needle of this.#needles) {
        if (needle.length <= tail.length) break;
        if (needle.subarray(0, tail.length).equals(tail)) return at;
      }
    }
    return data.length;
  }

  #mask(bytes: Buffer): Buffer {
    let out = bytes;
    for (const needle of this.#needles) {
      let at = out.indexOf(needle);
      if (at === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(out.subarray(from, at), MASK_BYTES);
        from = at + needle.length;
        at = out.indexOf(needle, from);
      }
      parts.push(out.subarray(from));
      out = Buffer.concat(parts);
    }
    return out;
  }
}

/** A stream that writes to `target` (left open at its end) what is written to it, values masked. */
export interface MaskedOutput extends Writable {
  /** Why the values to mask could not be read; nothing was passed on after it. */
  readonly failure: Error | undefined;
}

/**
 * Masks what goes to `target` (stdout or stderr of `exec` and `run`). `values` may be read only at
 * the first write: `run` delivers its secrets after the caller has handed over its streams, and
 * before the container can print anything. Without values to hide, writes pass straight through.
 * End the stream (and wait for `finish`) to pass on the bytes held at the end.
 */
export function maskedOutput(
  target: NodeJS.WritableStream,
  values: Buffer[] | (() => Promise<Buffer[]>),
): MaskedOutput {
  let masker = Array.isArray(values) ? new StreamMasker(values) : undefined;
  let failure: Error | undefined;
  const forward = (bytes: Buffer, callback: (error?: Error | null) => void): void => {
    if (bytes.length === 0 || target.write(bytes)) callback();
    else target.once("drain", () => callback());
  };
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (failure !== undefined) return callback();
      if (masker !== undefined) return forward(masker.push(chunk), callback);
      (values as () => Promise<Buffer[]>)().then(
        (loaded) => {
          masker = new StreamMasker(loaded);
          forward(masker.push(chunk), callback);
        },
        (error: unknown) => {
          // Failing closed: output that cannot be masked is not shown at all.
          failure = error instanceof Error ? error : new Error(String(error));
          callback();
        },
      );
    },
    final(callback) {
      forward(masker?.end() ?? Buffer.alloc(0), callback);
    },
  });
  return Object.defineProperty(stream, "failure", { get: () => failure }) as MaskedOutput;
}

/** Ends a stream from maskedOutput and resolves once what it held has been passed on. */
export function closeMaskedOutput(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableFinished) return resolve();
    stream.once("finish", resolve);
    stream.once("error", () => resolve());
    stream.end();
  });
}

/** The values delivered to the project's containers, read back from its store (into memory). */
export async function projectSecretValues(store: MaterialStore): Promise<Buffer[]> {
  return store.values();
}

/**
 * A masker for the values delivered to the project's containers, read back from its store, kept
 * up to date: a second `up` may put new values in place (live, or for a container it recreates)
 * while `logs -f` or an attached `up` prints, and a container can print a new value only after it
 * is in place. No engine event marks a live replacement, so before a batch of lines is printed
 * the material is looked at (one stat locally, one round trip on the engine's side; the values
 * are read again only when it changed). Every value read stays masked: a replaced one is still in
 * the memory of containers that read it before.
 */
export async function projectMasker(store: MaterialStore): Promise<Masker> {
  // A store this host reads synchronously (the local tmpfs) is looked at between two lines, as before.
  if ("valuesSync" in store) {
    const local = store as LocalTmpfsStore;
    return followingMasker(local.watch(), () => local.valuesSync());
  }
  const engineSide = store as MaterialStore & { watch(): AsyncMaterialWatch };
  return asyncFollowingMasker(engineSide.watch(), () => store.values());
}

export type { MaterialWatch } from "../materialize/store.js";

/** A masker of every value `read` has ever given, read again when `watch` sees a change. */
export function followingMasker(watch: MaterialWatch, read: () => Buffer[]): Masker {
  const known = new Map<string, Buffer>();
  let masker: Masker = noMasking;
  /** Whether the values read last are all the directory times show; false forces a read. */
  let settled = false;
  const refresh = (): void => {
    const { changed, newestNs } = watch.look();
    if (settled && !changed) return;
    const before = known.size;
    for (const value of read()) known.set(value.toString("latin1"), value);
    if (known.size !== before) masker = createMasker([...known.values()]);
    // A change in the same clock tick as the one just read would not change the times: while the
    // newest change is that recent, read again next time.
    settled = BigInt(Date.now()) * 1_000_000n - newestNs >= RECENT_NS;
  };
  refresh();
  // Once per batch: the lines one callback prints came from output received before it, so none
  // of them can hold a value put in place after the look.
  let checked = false;
  return (line) => {
    if (!checked) {
      checked = true;
      queueMicrotask(() => (checked = false));
      refresh();
    }
    return masker(line);
  };
}

/** Longer than a kernel clock tick (at most 10 ms), which is how coarse directory times are. */
const RECENT_NS = 50_000_000n;

/**
 * As followingMasker, for a store whose look and read are round trips: the masker's `refresh`
 * looks (and reads when something changed); the printer awaits it before printing the lines that
 * arrived before the call, so none of them is shown before the values in place when it arrived.
 */
export async function asyncFollowingMasker(
  watch: AsyncMaterialWatch,
  read: () => Promise<Buffer[]>,
): Promise<Masker> {
  const known = new Map<string, Buffer>();
  let current: Masker = noMasking;
  let settled = false;
  const refresh = async (): Promise<void> => {
    const { changed, newestNs } = await watch.look();
    if (settled && !changed) return;
    const before = known.size;
    for (const value of await read()) known.set(value.toString("latin1"), value);
    if (known.size !== before) current = createMasker([...known.values()]);
    settled = BigInt(Date.now()) * 1_000_000n - newestNs >= RECENT_NS;
  };
  await refresh();
  return Object.assign((line: string) => current(line), { refresh });
}
