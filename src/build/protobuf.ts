// The Protocol Buffers wire format, only as far as a BuildKit session and its status stream need it:
// five small messages whose fields are strings, bytes, booleans, integers and nested messages.
// Written out rather than loaded through protobufjs: that would mean shipping .proto files (or
// generated code) beside the bundle and a schema parse at run time, for what is ~60 lines here, and
// the wire format itself is frozen. Unknown fields are skipped, so newer engines' additions are
// harmless.

/** One field as it appears on the wire: a varint, or length-delimited bytes. */
export interface WireField {
  number: number;
  /** Varint (wire type 0) and fixed (1, 5) fields; safe up to 2^53, which timestamps and sizes are. */
  int?: number;
  /** Length-delimited fields (wire type 2): strings, bytes, nested messages, packed lists. */
  bytes?: Buffer;
}

/** The fields of one message, in wire order; throws on a truncated or malformed message. */
export function readFields(message: Buffer): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error("protobuf: truncated varint");
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error("protobuf: varint longer than 10 bytes");
  };
  while (offset < message.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) {
      fields.push({ number, int: varint() });
    } else if (wireType === 2) {
      const length = varint();
      if (offset + length > message.length) throw new Error("protobuf: truncated field");
      fields.push({ number, bytes: message.subarray(offset, offset + length) });
      offset += length;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (offset + size > message.length) throw new Error("protobuf: truncated field");
      const int =
        size === 4
          ? message.readUInt32LE(offset)
          : Number(message.readBigUInt64LE(offset) & 0xfffffffffffffn);
      fields.push({ number, int });
      offset += size;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** A length-delimited field (string, bytes or nested message). */
export function bytesField(number: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varintBytes(number * 8 + 2), ...varintBytes(value.length)]), value]);
}

/** A varint field (integer, boolean, enum). */
export function intField(number: number, value: number): Buffer {
  return Buffer.from([...varintBytes(number * 8), ...varintBytes(value)]);
}

/** The text of a string field. */
export function text(field: WireField): string {
  return field.bytes?.toString("utf8") ?? "";
}

/** google.protobuf.Timestamp as milliseconds since the epoch. */
export function timestampMs(field: WireField): number {
  let seconds = 0;
  let nanos = 0;
  for (const part of readFields(field.bytes ?? Buffer.alloc(0))) {
    if (part.number === 1) seconds = part.int ?? 0;
    else if (part.number === 2) nanos = part.int ?? 0;
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}
