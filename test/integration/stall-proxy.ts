// A unix socket that stands in for the engine: it forwards every request to the real engine's
// socket except the ones a test chooses to stall, which it accepts and never answers (a wedged
// dockerd). Point the CLI at it with DOCKER_HOST=unix://<proxy.socket>.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { socketPath } from "./helpers.js";

/** Which requests to leave unanswered: method and API path (without version prefix and query). */
export type StallRule = (method: string, apiPath: string) => boolean;

export interface StallProxy {
  /** The proxy's socket path. */
  readonly socket: string;
  /** `METHOD /path` of each request stalled so far. */
  readonly stalled: string[];
  /** Replaces the rule (applies to requests that arrive from now on). */
  stall(rule: StallRule): void;
  close(): Promise<void>;
}

/** The API path of a request URL: `/v1.41/networks?x` is `/networks`. */
function apiPath(url: string): string {
  return (url.split("?")[0] ?? "").replace(/^\/v\d+\.\d+(?=\/)/, "");
}

/** Starts a proxy to the engine at helpers' socketPath that stalls what `rule` matches. */
export async function startStallProxy(rule: StallRule): Promise<StallProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), "composec-stall-"));
  const socket = path.join(dir, "engine.sock");
  const stalled: string[] = [];
  let current = rule;
  const stalls = (request: http.IncomingMessage): boolean => {
    const call = `${request.method ?? ""} ${apiPath(request.url ?? "")}`;
    if (!current(request.method ?? "", apiPath(request.url ?? ""))) return false;
    stalled.push(call);
    return true;
  };

  const server = http.createServer((request, response) => {
    if (stalls(request)) return; // accepted, never answered
    const upstream = http.request(
      { socketPath, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    response.on("close", () => upstream.destroy());
    request.pipe(upstream);
  });
  // Attach and exec: an upgraded connection, relayed byte for byte.
  server.on("upgrade", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (stalls(request)) return;
    const engine = net.connect(socketPath, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      engine.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length > 0) engine.write(head);
      engine.pipe(client);
      client.pipe(engine);
    });
    engine.on("error", () => client.destroy());
    client.on("error", () => engine.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));

  return {
    socket,
    stalled,
    stall(next) {
      current = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
