// BuildKit's build progress as the Engine relays it: `/build` with `version=2` streams JSON messages,
// and those with `id: "moby.buildkit.trace"` carry in `aux` a base64 `moby.buildkit.v1.StatusResponse`
// (api/services/control/control.proto): the vertexes (steps) that changed, their statuses
// (transfers) and their output.
import { readFields, text, timestampMs } from "./protobuf.js";

export interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface VertexStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  completed?: number;
}

export interface VertexLog {
  vertex: string;
  timestamp?: number;
  /** 1 stdout, 2 stderr. */
  stream: number;
  msg: Buffer;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
}

/** Decodes one `StatusResponse`. */
export function decodeStatus(message: Buffer): StatusResponse {
  const status: StatusResponse = { vertexes: [], statuses: [], logs: [] };
  for (const field of readFields(message)) {
    if (field.bytes === undefined) continue;
    if (field.number === 1) status.vertexes.push(decodeVertex(field.bytes));
    else if (field.number === 2) status.statuses.push(decodeVertexStatus(field.bytes));
    else if (field.number === 3) status.logs.push(decodeVertexLog(field.bytes));
  }
  return status;
}

function decodeVertex(message: Buffer): Vertex {
  const vertex: Vertex = { digest: "", name: "", cached: false };
  for (const field of readFields(message)) {
    switch (field.number) {
      case 1:
        vertex.digest = text(field);
        break;
      case 3:
        vertex.name = text(field);
        break;
      case 4:
        vertex.cached = field.int === 1;
        break;
      case 5:
        vertex.started = timestampMs(field);
        break;
      case 6:
        vertex.completed = timestampMs(field);
        break;
      case 7:
        vertex.error = text(field);
        break;
    }
  }
  return vertex;
}

function decodeVertexStatus(message: Buffer): VertexStatus {
  const status: VertexStatus = { id: "", vertex: "", name: "", current: 0, total: 0 };
  for (const field of readFields(message)) {
    switch (field.number) {
      case 1:
        status.id = text(field);
        break;
      case 2:
        status.vertex = text(field);
        break;
      case 3:
        status.name = text(field);
        break;
      case 4:
        status.current = field.int ?? 0;
        break;
      case 5:
        status.total = field.int ?? 0;
        break;
      case 8:
        status.completed = timestampMs(field);
        break;
    }
  }
  return status;
}

function decodeVertexLog(message: Buffer): VertexLog {
  const log: VertexLog = { vertex: "", stream: 1, msg: Buffer.alloc(0) };
  for (const field of readFields(message)) {
    switch (field.number) {
      case 1:
        log.vertex = text(field);
        break;
      case 2:
        log.timestamp = timestampMs(field);
        break;
      case 3:
        log.stream = field.int ?? 1;
        break;
      case 4:
        log.msg = field.bytes ?? Buffer.alloc(0);
        break;
    }
  }
  return log;
}
