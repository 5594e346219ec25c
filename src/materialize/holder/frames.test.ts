import { randomBytes } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  commitBody,
  crc32,
  crc32Table,
  decodeRecords,
  encodeFrame,
  FRAME_HEADER,
  FrameReader,
  joinRecords,
  MAX_FRAME_BODY,
  MORE,
  stageBody,
  StdoutDemuxer,
  type Frame,
} from "./frames.js";

const frame = (body: Buffer, kind = 2): Frame => ({
  id: randomBytes(8),
  kind,
  flags: 0,
  status: 0,
  seq: 0,
  body,
});

/** A frame as strings: vitest compares large buffers byte by byte, slowly. */
const view = (frames: Frame[]) =>
  frames.map((f) => ({ ...f, id: f.id.toString("hex"), body: f.body.toString("base64") }));

/** One record as holder.c's reply_file writes it. */
function record(path: string, total: number, offset: number, chunk: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32LE(Buffer.byteLength(path), 0);
  head.writeUInt32LE(total, 4);
  head.writeUInt32LE(offset, 8);
  head.writeUInt32LE(chunk.length, 12);
  return Buffer.concat([head, Buffer.from(path), chunk]);
}

describe("crc32", () => {
  it("is zlib's CRC-32", () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from("123456789"), randomBytes(4096)]) {
      expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      expect(crc32Table(bytes)).toBe(zlibCrc32(bytes));
    }
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

describe("encodeFrame and FrameReader", () => {
  it("a frame read back is the frame written, whatever the chunking", () => {
    const sent = [frame(randomBytes(3000)), frame(Buffer.alloc(0), 1), frame(randomBytes(70_000), 3)];
    const bytes = Buffer.concat(sent.map(encodeFrame));
    for (const size of [997, 4096, bytes.length]) {
      const reader = new FrameReader();
      const got: Frame[] = [];
      for (let at = 0; at < bytes.length; at += size) got.push(...reader.push(bytes.subarray(at, at + size)));
      expect(view(got)).toEqual(view(sent));
      expect(reader.pending).toBe(0);
    }
  });

  it("byte by byte", () => {
    const sent = frame(randomBytes(200));
    const bytes = encodeFrame(sent);
    const reader = new FrameReader();
    const got: Frame[] = [];
    for (const byte of bytes) got.push(...reader.push(Buffer.from([byte])));
    expect(got).toEqual([sent]);
  });

  it("skips garbage before, between and after frames", () => {
    const a = frame(randomBytes(100));
    const b = frame(randomBytes(100));
    const reader = new FrameReader();
    const got = reader.push(
      Buffer.concat([
        Buffer.from("CSxCS"),
        encodeFrame(a),
        Buffer.from("CSH"),
        randomBytes(50),
        encodeFrame(b),
      ]),
    );
    expect(got).toEqual([a, b]);
  });

  it("drops a frame whose bytes were changed, and finds the next one", () => {
    const a = encodeFrame(frame(randomBytes(500)));
    const b = frame(randomBytes(500));
    a[FRAME_HEADER + 10] = a[FRAME_HEADER + 10]! ^ 0xff;
    expect(new FrameReader().push(Buffer.concat([a, encodeFrame(b)]))).toEqual([b]);
  });

  it("a frame cut by another's bytes is lost, the other is found", () => {
    const a = encodeFrame(frame(randomBytes(2000)));
    const b = frame(randomBytes(300));
    const mixed = Buffer.concat([a.subarray(0, 1000), encodeFrame(b), a.subarray(1000)]);
    expect(new FrameReader().push(mixed)).toEqual([b]);
  });

  it("a length beyond the largest body is not waited for", () => {
    const bad = encodeFrame(frame(randomBytes(10)));
    bad.writeUInt32LE(MAX_FRAME_BODY + 1, 4);
    const b = frame(randomBytes(10));
    expect(new FrameReader().push(Buffer.concat([bad, encodeFrame(b)]))).toEqual([b]);
  });

  it("refuses to encode a body over the limit or an id that is not 8 bytes", () => {
    expect(() => encodeFrame(frame(Buffer.alloc(MAX_FRAME_BODY + 1)))).toThrow(/at most/);
    expect(() => encodeFrame({ ...frame(Buffer.alloc(0)), id: Buffer.alloc(4) })).toThrow(/8 bytes/);
  });

  it("carries kind, flags, status and seq", () => {
    const sent: Frame = {
      id: randomBytes(8),
      kind: 0x84,
      flags: MORE,
      status: 28,
      seq: 3,
      body: Buffer.from("x"),
    };
    expect(new FrameReader().push(encodeFrame(sent))).toEqual([sent]);
  });
});

describe("records", () => {
  it("decodes records and joins each file's chunks", () => {
    const big = randomBytes(10_000);
    const body1 = Buffer.concat([
      record(".meta/key", 3, 0, Buffer.from("abc")),
      record("services/web/db", 10_000, 0, big.subarray(0, 4000)),
    ]);
    const body2 = Buffer.concat([
      record("services/web/db", 10_000, 4000, big.subarray(4000)),
      record("files/web/x", 0, 0, Buffer.alloc(0)),
    ]);
    const files = joinRecords([...decodeRecords(body1), ...decodeRecords(body2)]);
    expect([...files.keys()]).toEqual([".meta/key", "services/web/db", "files/web/x"]);
    expect(files.get("services/web/db")!.equals(big)).toBe(true);
    expect(files.get("files/web/x")!.length).toBe(0);
  });

  it("a missing chunk or a truncated record is an error", () => {
    expect(() => joinRecords(decodeRecords(record("a", 10, 5, Buffer.alloc(5))))).toThrow(/missing/);
    expect(() => joinRecords(decodeRecords(record("a", 10, 0, Buffer.alloc(5))))).toThrow(/5 of 10/);
    expect(() => decodeRecords(record("a", 3, 0, Buffer.from("abc")).subarray(0, 18))).toThrow(/truncated/);
  });
});

describe("request bodies", () => {
  it("stage: total, offset, the name, the chunk", () => {
    const body = stageBody("abc", 10, 4, Buffer.from("xyz"));
    expect(body.readUInt32LE(0)).toBe(10);
    expect(body.readUInt32LE(4)).toBe(4);
    expect(body.subarray(8).toString("latin1")).toBe("abc\0xyz");
  });

  it("commit: NUL-terminated words, in order", () => {
    const body = commitBody([
      { op: "dir", path: "services" },
      { op: "own", path: ".meta/staging/a", uid: 1000, gid: 50, mode: 0o440 },
      { op: "rm", path: "files/x" },
      { op: "mv", from: ".meta/staging/a", to: "services/x/db" },
    ]);
    expect(body.toString("latin1").split("\0")).toEqual([
      "dir",
      "services",
      "own",
      ".meta/staging/a",
      "1000",
      "50",
      String(0o440),
      "rm",
      "files/x",
      "mv",
      ".meta/staging/a",
      "services/x/db",
      "",
    ]);
  });
});

describe("StdoutDemuxer", () => {
  it("keeps stdout's bytes across split headers, drops stderr's", () => {
    const chunk = (stream: number, bytes: string) => {
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(Buffer.byteLength(bytes), 4);
      return Buffer.concat([head, Buffer.from(bytes)]);
    };
    const all = Buffer.concat([chunk(1, "hello "), chunk(2, "noise"), chunk(1, "world")]);
    const demux = new StdoutDemuxer();
    let out = "";
    for (let at = 0; at < all.length; at += 3) out += demux.push(all.subarray(at, at + 3)).toString();
    expect(out).toBe("hello world");
  });
});
