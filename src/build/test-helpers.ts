// Encodes StatusResponse messages for tests, field numbers as in BuildKit's control.proto.
import { bytesField, intField } from "./protobuf.js";

const timestamp = (number: number, ms: number): Buffer =>
  bytesField(number, Buffer.concat([intField(1, Math.floor(ms / 1000)), intField(2, (ms % 1000) * 1e6)]));

export interface TestVertex {
  digest: string;
  name: string;
  cached?: boolean;
  started?: number;
  completed?: number;
  error?: string;
}

export function encodeStatus(parts: {
  vertexes?: TestVertex[];
  statuses?: { id: string; vertex: string; name?: string; current?: number; completed?: number }[];
  logs?: { vertex: string; msg: string | Buffer; timestamp?: number; stream?: number }[];
}): Buffer {
  const out: Buffer[] = [];
  for (const v of parts.vertexes ?? []) {
    const fields = [
      bytesField(1, Buffer.from(v.digest)),
      bytesField(2, Buffer.from("sha256:input")),
      bytesField(3, Buffer.from(v.name)),
    ];
    if (v.cached) fields.push(intField(4, 1));
    if (v.started !== undefined) fields.push(timestamp(5, v.started));
    if (v.completed !== undefined) fields.push(timestamp(6, v.completed));
    if (v.error !== undefined) fields.push(bytesField(7, Buffer.from(v.error)));
    out.push(bytesField(1, Buffer.concat(fields)));
  }
  for (const s of parts.statuses ?? []) {
    const fields = [bytesField(1, Buffer.from(s.id)), bytesField(2, Buffer.from(s.vertex))];
    if (s.name !== undefined) fields.push(bytesField(3, Buffer.from(s.name)));
    if (s.current !== undefined) fields.push(intField(4, s.current));
    if (s.completed !== undefined) fields.push(timestamp(8, s.completed));
    out.push(bytesField(2, Buffer.concat(fields)));
  }
  for (const l of parts.logs ?? []) {
    const fields = [bytesField(1, Buffer.from(l.vertex))];
    if (l.timestamp !== undefined) fields.push(timestamp(2, l.timestamp));
    fields.push(intField(3, l.stream ?? 1), bytesField(4, Buffer.from(l.msg)));
    out.push(bytesField(3, Buffer.concat(fields)));
  }
  return Buffer.concat(out);
}
