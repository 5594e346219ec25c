// A BuildKit session: the connection BuildKit calls back on during a build to ask the client for
// what only the client has. composec serves two services on it:
//
//   moby.buildkit.secrets.v1.Secrets/GetSecret  the build's secrets, by id (BuildSecret.target);
//                                               an id the service does not grant is NOT_FOUND,
//                                               which BuildKit reports for a required=true mount
//   grpc.health.v1.Health/Check                 always SERVING: Engine 20.10 checks the session
//                                               about once a second and drops it on an error
//
// The build context is not served here: it goes as a tar in the body of POST /build and the
// engine serves it to BuildKit itself (no FileSync service needed).
//
// The engine's end of `POST /session` is the HTTP/2 *client*; we are the server on a connection we
// dialled. @grpc/grpc-js's Server takes such a connection through createConnectionInjector(), so
// HTTP/2 framing, gRPC framing, status codes and trailers are the library's; only the three tiny
// messages are encoded here (./protobuf.ts). One session per build: a build can only ask for the
// secrets its own service grants.
import { randomUUID } from "node:crypto";
import type * as Grpc from "@grpc/grpc-js";
import { lazyRequire } from "../lazy-require.js";

const grpcJs = lazyRequire<typeof Grpc>("@grpc/grpc-js");
import type { SecretValue } from "../secrets/secret-value.js";
import type { BuildApi } from "./build-api.js";
import { bytesField, intField, readFields, text } from "./protobuf.js";
import { crashPoint } from "../crash-point.js";

const GET_SECRET = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
/** grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING */
const SERVING = 1;

export interface BuildSession {
  readonly id: string;
  /** Secret ids BuildKit asked for that this build does not grant, in the order asked. */
  readonly missing: ReadonlySet<string>;
  /** Ends the session; safe to call more than once. */
  close(): void;
}

export interface SessionOptions {
  /** Secrets by BuildKit id. */
  secrets: ReadonlyMap<string, SecretValue>;
  /** Shown by the engine in its session list. */
  name: string;
  /** Lets BuildKit reuse what it transferred for an earlier session with the same key. */
  sharedKey: string;
  /** The session id (default: a random UUID). */
  id?: string;
}

// Messages pass through grpc-js as raw bytes; the handlers encode and decode them.
const raw = {
  requestStream: false,
  responseStream: false,
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
} as const;

/** Opens a session on the engine and serves the build's secrets on it until `close()`. */
export async function openBuildSession(api: BuildApi, options: SessionOptions): Promise<BuildSession> {
  const id = options.id ?? randomUUID();
  const socket = await api.openBuildSession({
    "X-Docker-Expose-Session-Uuid": id,
    "X-Docker-Expose-Session-Name": options.name,
    "X-Docker-Expose-Session-Sharedkey": options.sharedKey,
    "X-Docker-Expose-Session-Grpc-Method": [GET_SECRET, HEALTH_CHECK],
  });
  // A connection the engine drops ends the build on the engine's side; the error it reports there
  // is the one worth showing, so a socket error here is not thrown into the void.
  socket.on("error", () => {});

  const missing = new Set<string>();
  const server = new (grpcJs().Server)();
  server.addService(
    { GetSecret: { path: GET_SECRET, ...raw } },
    {
      GetSecret(call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>) {
        const secretId = readFields(call.request)
          .filter((field) => field.number === 1)
          .map(text)[0];
        const value = secretId === undefined ? undefined : options.secrets.get(secretId);
        if (secretId === undefined || value === undefined) {
          if (secretId !== undefined) missing.add(secretId);
          callback({ code: grpcJs().status.NOT_FOUND, details: `secret ${secretId ?? "(no id)"} not found` });
          return;
        }
        callback(null, bytesField(1, value.bytes()));
        // A crash while BuildKit holds the secret: the callback has queued the answer.
        setImmediate(() => crashPoint("build.secret-served"));
      },
    },
  );
  server.addService(
    { Check: { path: HEALTH_CHECK, ...raw } },
    {
      Check(_call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>) {
        callback(null, intField(1, SERVING));
      },
    },
  );
  const injector = server.createConnectionInjector(grpcJs().ServerCredentials.createInsecure());
  injector.injectConnection(socket);
  // Node's HTTP/2 session reads bytes already buffered on the socket in a process.nextTick; a
  // session destroyed before that tick crashes the process (TypeError in http2/core's receive).
  // Let the tick run before anyone can close the session.
  await new Promise((resolve) => setImmediate(resolve));

  let closed = false;
  return {
    id,
    missing,
    close() {
      if (closed) return;
      closed = true;
      injector.destroy();
      server.forceShutdown();
      socket.destroy();
    },
  };
}
