// The frames composec and the holder (holder.c, whose header describes them) exchange over the
// holder's stdin and stdout: encoding, a reader that finds whole frames in a stream that may carry
// garbage or halves of frames, the records of META and VALUES replies, and the engine's
// multiplexing of an attached stdout. Pure.
import * as zlib from "node:zlib";

export const FRAME_MAGIC = Buffer.from("CSH1", "latin1");
export const FRAME_HEADER = 28;
/** The largest body either side takes (holder.c's MAX_BODY): MAX_SECRET_BYTES and room for a path. */
export const MAX_FRAME_BODY = (1 << 20) + (64 << 10);
/** The flag of a reply frame after which more frames of the same reply follow. */
export const MORE = 1;

export const FrameKind = { meta: 1, stage: 2, commit: 3, values: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** One frame, as read or to write. `kind` has 0x80 set on replies. */
export interface Frame {
  id: Buffer;
  kind: number;
  flags: number;
  status: number;
  seq: number;
  body: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of `bytes`: zlib's where Node has it (20.15 on), else a table walk. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32 !== undefined ? zlibCrc32(bytes) : crc32Table(bytes);
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The table walk alone (what crc32 does without zlib's), for tests. */
export function crc32Table(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The bytes of one frame. */
export function encodeFrame(frame: Frame): Buffer {
  if (frame.id.length !== 8) throw new Error("a frame's id is 8 bytes");
  if (frame.body.length > MAX_FRAME_BODY)
    throw new Error(`a frame's body is at most ${MAX_FRAME_BODY} bytes`);
  const out = Buffer.alloc(FRAME_HEADER + frame.body.length);
  FRAME_MAGIC.copy(out, 0);
  out.writeUInt32LE(frame.body.length, 4);
  frame.id.copy(out, 12);
  out[20] = frame.kind;
  out[21] = frame.flags;
  out.writeUInt16LE(frame.status, 22);
  out.writeUInt32LE(frame.seq, 24);
  frame.body.copy(out, FRAME_HEADER);
  out.writeUInt32LE(crc32(out.subarray(12)), 8);
  return out;
}

/**
 * Takes whole frames out of a byte stream: bytes before a magic, and frames whose length or CRC is
 * wrong, are skipped one byte at a time (the stream is searched again for the magic after them).
 */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the frames they complete. */
  push(bytes: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    const frames: Frame[] = [];
    let at = 0;
    const buffer = this.#buffer;
    for (;;) {
      const found = buffer.indexOf(FRAME_MAGIC[0]!, at);
      if (found < 0) {
        at = buffer.length;
        break;
      }
      at = found;
      const available = buffer.length - at;
      const prefix = Math.min(4, available);
      if (!buffer.subarray(at, at + prefix).equals(FRAME_MAGIC.subarray(0, prefix))) {
        at++;
        continue;
      }
      if (available < FRAME_HEADER) break;
      const length = buffer.readUInt32LE(at + 4);
      if (length > MAX_FRAME_BODY) {
        at++;
        continue;
      }
      if (available < FRAME_HEADER + length) break;
      const frame = buffer.subarray(at, at + FRAME_HEADER + length);
      if (crc32(frame.subarray(12)) !== frame.readUInt32LE(8)) {
        at++;
        continue;
      }
      frames.push({
        id: Buffer.from(frame.subarray(12, 20)),
        kind: frame[20]!,
        flags: frame[21]!,
        status: frame.readUInt16LE(22),
        seq: frame.readUInt32LE(24),
        body: Buffer.from(frame.subarray(FRAME_HEADER)),
      });
      at += FRAME_HEADER + length;
    }
    this.#buffer = Buffer.from(buffer.subarray(at));
    return frames;
  }

  /** Bytes held that do not make a whole frame yet. */
  get pending(): number {
    return this.#buffer.length;
  }
}

/** One file of a META or VALUES reply: a chunk of its bytes at `offset` (none in META's listing). */
export interface FileRecord {
  path: string;
  total: number;
  offset: number;
  chunk: Buffer;
}

/** The records of one reply frame's body (holder.c's reply_file). Throws on a malformed body. */
export function decodeRecords(body: Buffer): FileRecord[] {
  const records: FileRecord[] = [];
  for (let at = 0; at < body.length;) {
    if (body.length - at < 16) throw new Error("a truncated file record");
    const pathLength = body.readUInt32LE(at);
    const total = body.readUInt32LE(at + 4);
    const offset = body.readUInt32LE(at + 8);
    const length = body.readUInt32LE(at + 12);
    const end = at + 16 + pathLength + length;
    if (end > body.length) throw new Error("a truncated file record");
    records.push({
      path: body.subarray(at + 16, at + 16 + pathLength).toString("utf8"),
      total,
      offset,
      chunk: Buffer.from(body.subarray(at + 16 + pathLength, end)),
    });
    at = end;
  }
  return records;
}

/** Joins the chunks of each file (in reply order) into its whole bytes, by path. Throws on a gap. */
export function joinRecords(records: FileRecord[]): Map<string, Buffer> {
  const parts = new Map<string, { total: number; chunks: Buffer[]; next: number }>();
  for (const record of records) {
    let part = parts.get(record.path);
    if (part === undefined || record.offset === 0) {
      part = { total: record.total, chunks: [], next: 0 };
      parts.set(record.path, part);
    }
    if (record.offset !== part.next) throw new Error(`file ${record.path}: a chunk is missing`);
    part.chunks.push(record.chunk);
    part.next += record.chunk.length;
  }
  const files = new Map<string, Buffer>();
  for (const [path, part] of parts) {
    if (part.next !== part.total) throw new Error(`file ${path}: ${part.next} of ${part.total} bytes`);
    files.set(path, Buffer.concat(part.chunks));
  }
  return files;
}

/** The body of a STAGE frame: a chunk of the staged file `name` at `offset`, the file `total` bytes. */
export function stageBody(name: string, total: number, offset: number, chunk: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(total, 0);
  head.writeUInt32LE(offset, 4);
  return Buffer.concat([head, Buffer.from(`${name}\0`, "utf8"), chunk]);
}

/** One operation of a COMMIT, paths relative to the volume root. */
export type CommitOp =
  | { op: "dir"; path: string }
  | { op: "own"; path: string; uid: number; gid: number; mode: number }
  | { op: "rm"; path: string }
  | { op: "mv"; from: string; to: string };

/** The body of a COMMIT frame: NUL-terminated words. */
export function commitBody(ops: CommitOp[]): Buffer {
  const words = ops.flatMap((op) =>
    op.op === "mv"
      ? ["mv", op.from, op.to]
      : op.op === "own"
        ? ["own", op.path, String(op.uid), String(op.gid), String(op.mode)]
        : [op.op, op.path],
  );
  return Buffer.from(words.map((word) => `${word}\0`).join(""), "utf8");
}

/**
 * Splits the engine's multiplexed attach stream (no TTY): 8-byte headers (stream, 3 zero bytes,
 * big-endian size) before each chunk. Returns stdout's bytes; stderr's are dropped.
 */
export class StdoutDemuxer {
  #buffer: Buffer = Buffer.alloc(0);

  push(bytes: Buffer): Buffer {
    this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    const out: Buffer[] = [];
    let at = 0;
    while (this.#buffer.length - at >= 8) {
      const size = this.#buffer.readUInt32BE(at + 4);
      if (this.#buffer.length - at - 8 < size) break;
      if (this.#buffer[at] === 1) out.push(this.#buffer.subarray(at + 8, at + 8 + size));
      at += 8 + size;
    }
    this.#buffer = Buffer.from(this.#buffer.subarray(at));
    return Buffer.concat(out);
  }
}
