// The BuildKit calls of DockerEngine (src/build/ reaches them through the Engine interface):
// `POST /session` upgraded to h2c, `POST /build` streamed, `POST /build/cancel`. Over dockerode's
// modem, except the session's upgrade, which is made by hand (see upgradeSession).
import http from "node:http";
import https from "node:https";
import { TLSSocket } from "node:tls";
import type { Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import { EngineError } from "../errors.js";
import type { BuildQuery } from "./types.js";

/** What docker-modem keeps of its connection settings (its typings leave them out). */
interface ModemSettings {
  socketPath?: string | (() => string | Promise<string>);
  host?: string;
  port?: number | string;
  protocol?: "http" | "https";
  version?: string;
  ca?: https.RequestOptions["ca"];
  cert?: https.RequestOptions["cert"];
  key?: https.RequestOptions["key"];
  /** Set for ssh:// (an SshAgent) and TLS engines: every connection is made through it. */
  agent?: http.Agent;
}

/** How long the engine may take to accept a session before we give up (it answers in milliseconds). */
const SESSION_TIMEOUT_MS = 30_000;

/** `POST /session`, upgraded to h2c: the connection on which the caller serves the session's gRPC. */
export function openSession(docker: Docker, headers: Record<string, string | string[]>): Promise<Duplex> {
  return upgradeSession(docker.modem as unknown as ModemSettings, headers);
}

/** `POST /build` with the context tar as the body; resolves to the JSON message stream. */
export async function postBuild(
  docker: Docker,
  context: Readable,
  query: BuildQuery,
  signal?: AbortSignal,
): Promise<Readable> {
  try {
    return await new Promise<Readable>((resolve, reject) => {
      docker.modem.dial(
        {
          path: "/build?",
          method: "POST",
          options: { ...query },
          file: context,
          isStream: true,
          headers: { "Content-Type": "application/x-tar" },
          statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
          ...(signal ? { abortSignal: signal } : {}),
        },
        (error, stream) => (error ? reject(error) : resolve(stream as Readable)),
      );
    });
  } catch (error) {
    throw withoutBuildKit(error) ?? error;
  }
}

/** `POST /build/cancel`: stops a running build (BuildKit only). */
export function cancelBuild(docker: Docker, buildId: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    docker.modem.dial(
      { path: `/build/cancel?`, method: "POST", options: { id: buildId }, statusCodes: { 200: true } },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

/**
 * `POST /session` with `Upgrade: h2c`. Not through docker-modem: its hijack mode sends the request
 * with a chunked body, and the body's terminating chunk would reach the engine after the upgrade,
 * as garbage at the start of the HTTP/2 connection.
 */
async function upgradeSession(
  modem: ModemSettings,
  headers: Record<string, string | string[]>,
): Promise<Duplex> {
  const path = `${modem.version ? `/${modem.version.replace(/^\/?/, "")}` : ""}/session`;
  const socketPath = typeof modem.socketPath === "function" ? await modem.socketPath() : modem.socketPath;
  const target =
    socketPath !== undefined
      ? { socketPath }
      : { host: modem.host, port: modem.port === undefined ? undefined : Number(modem.port) };
  const options: https.RequestOptions = {
    ...target,
    method: "POST",
    path,
    headers: { Connection: "Upgrade", Upgrade: "h2c", "Content-Length": "0", ...headers },
    // Over ssh, the connection is a `docker system dial-stdio` channel the agent opens.
    ...(modem.agent !== undefined ? { agent: modem.agent } : {}),
  };
  const request =
    modem.protocol === "https"
      ? https.request({ ...options, ca: modem.ca, cert: modem.cert, key: modem.key })
      : http.request(options);
  return new Promise<Duplex>((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy();
      reject(
        new EngineError(
          `build session: the engine did not open a session within ${SESSION_TIMEOUT_MS / 1000} s`,
        ),
      );
    }, SESSION_TIMEOUT_MS);
    request.on("upgrade", (_response, socket, head) => {
      clearTimeout(timer);
      if (head.length > 0) socket.unshift(head);
      // Over TLS the upgraded connection is a TLSSocket that negotiated no ALPN protocol, and
      // Node's HTTP/2 server (behind grpc-js) turns away a TLS socket whose alpnProtocol is not
      // "h2" as an "unknown protocol". After the upgrade this connection does speak h2: say so.
      if (socket instanceof TLSSocket) Object.defineProperty(socket, "alpnProtocol", { value: "h2" });
      resolve(socket);
    });
    request.on("response", (response) => {
      // An engine that cannot upgrade answers with an ordinary response: read why.
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        clearTimeout(timer);
        reject(sessionRefused(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
      });
    });
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}

/** An engine that cannot build with BuildKit says so in a 400 to POST /build; explain what to do. */
function withoutBuildKit(error: unknown): EngineError | undefined {
  const { statusCode, json } = error as { statusCode?: number; json?: { message?: string } | string | null };
  // For a streamed request docker-modem puts the engine's words in the error's message, not `json`.
  const message = (
    (typeof json === "string" ? json : json?.message) ??
    (error instanceof Error ? error.message.replace(/^\(HTTP code \d+\) [^-]*- /, "") : "")
  ).trim();
  if (statusCode !== 400 || !/buildkit|invalid version|version 2/i.test(message)) return undefined;
  return new EngineError(
    `the engine does not build with BuildKit (it said: ${message}); composec builds only with BuildKit, which build secrets need: ` +
      'enable it with {"features": {"buildkit": true}} in /etc/docker/daemon.json and restart the engine',
    { resource: "build", cause: error },
  );
}

function sessionRefused(status: number, body: string): EngineError {
  let message = body.trim();
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: keep the text.
  }
  if (status === 404 || status === 400) {
    return new EngineError(
      `the engine does not support BuildKit sessions (POST /session answered ${status}${message ? `: ${message}` : ""}); composec builds with BuildKit, which needs Docker Engine 18.09 or newer on Linux`,
    );
  }
  return new EngineError(
    `build session: the engine refused it (HTTP ${status}${message ? `: ${message}` : ""})`,
  );
}
