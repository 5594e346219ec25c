// The wire format as far as the session and the status stream use it: what we encode decodes back,
// large varints survive, unknown fields are skipped, and a cut message is an error, not garbage.
import { describe, expect, it } from "vitest";
import { bytesField, intField, readFields, text, timestampMs } from "./protobuf.js";

describe("protobuf wire format", () => {
  it("reads back what it writes: bytes, strings and varints", () => {
    const message = Buffer.concat([
      bytesField(1, Buffer.from("npm_token")),
      intField(4, 1),
      bytesField(4, Buffer.from([0, 1, 2, 255])),
    ]);
    const fields = readFields(message);
    expect(fields.map((field) => field.number)).toEqual([1, 4, 4]);
    expect(text(fields[0]!)).toBe("npm_token");
    expect(fields[1]!.int).toBe(1);
    expect([...fields[2]!.bytes!]).toEqual([0, 1, 2, 255]);
  });

  it("encodes the health response as grpc-go does (status SERVING = 08 01)", () => {
    expect([...intField(1, 1)]).toEqual([0x08, 0x01]);
  });

  it("keeps varints beyond 32 bits exact (timestamps in seconds, sizes)", () => {
    const big = 2 ** 40 + 12345;
    expect(readFields(intField(2, big))[0]!.int).toBe(big);
    const long = Buffer.alloc(300, 7);
    expect(readFields(bytesField(15, long))[0]!.bytes!.length).toBe(300);
  });

  it("skips fixed-width fields it has no use for", () => {
    const fixed64 = Buffer.from([(3 << 3) | 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    const fixed32 = Buffer.from([(5 << 3) | 5, 2, 0, 0, 0]);
    const fields = readFields(Buffer.concat([fixed64, fixed32, intField(1, 9)]));
    expect(fields.map((field) => [field.number, field.int])).toEqual([
      [3, 1],
      [5, 2],
      [1, 9],
    ]);
  });

  it("refuses a truncated message", () => {
    const message = bytesField(1, Buffer.from("abcdef"));
    expect(() => readFields(message.subarray(0, 4))).toThrow(/truncated/);
    expect(() => readFields(Buffer.from([0x08, 0x80]))).toThrow(/truncated/);
  });

  it("turns a google.protobuf.Timestamp into milliseconds", () => {
    const timestamp = bytesField(5, Buffer.concat([intField(1, 1_700_000_000), intField(2, 250_000_000)]));
    expect(timestampMs(readFields(timestamp)[0]!)).toBe(1_700_000_000_250);
  });
});
