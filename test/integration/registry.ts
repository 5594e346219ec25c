// A tiny Docker Registry (HTTP API v2) for the pull tests: no registry is reachable here and tests
// must never pull from the internet, so the engine pulls from this one, on 127.0.0.1 (the Engine
// allows plain HTTP for 127.0.0.0/8). It serves images exported from the local engine
// (`GET /images/{name}/get`, a `docker save` tarball) as schema 2 manifests with gzipped layers.
// Optionally it asks for HTTP basic credentials, to test ~/.docker/config.json `auths`.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { docker } from "./helpers.js";

const MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
const CONFIG_V1 = "application/vnd.docker.container.image.v1+json";
const LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

export interface RegistryOptions {
  /** Require these credentials (HTTP basic); without, anyone may pull. */
  credentials?: { username: string; password: string };
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`, the registry part of the references it serves. */
  host: string;
  /** Serves the local engine's image `source` as `<host>/<repository>:<tag>`; returns that reference. */
  serve(source: string, repository: string, tag: string): Promise<string>;
  /** Answers every request with 404 from now on (a registry that does not have the image). */
  refuseAll(): void;
  /** Requests seen, as `METHOD path` (to check that something was, or was not, pulled). */
  readonly requests: string[];
  close(): Promise<void>;
}

interface StoredImage {
  manifest: Buffer;
  digest: string;
}

/** Starts a registry on 127.0.0.1 with an ephemeral port. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const blobs = new Map<string, Buffer>();
  /** By `repository:tag` and by `repository@digest`. */
  const manifests = new Map<string, StoredImage>();
  const requests: string[] = [];
  let refusing = false;

  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handle(request, response);
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://registry");
    response.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    if (!authorised(request)) {
      response.setHeader("WWW-Authenticate", 'Basic realm="composec-test"');
      return error(response, 401, "UNAUTHORIZED", "authentication required");
    }
    if (url.pathname === "/v2/" || url.pathname === "/v2") return send(request, response, 200, "{}", {});
    if (refusing) return error(response, 404, "NAME_UNKNOWN", "repository name not known to registry");
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!match || (request.method !== "GET" && request.method !== "HEAD")) {
      return error(response, 404, "UNSUPPORTED", "not served by this test registry");
    }
    const [, repository, kind, reference] = match as unknown as [string, string, string, string];
    if (kind === "manifests") {
      const separator = reference.startsWith("sha256:") ? "@" : ":";
      const image = manifests.get(`${repository}${separator}${reference}`);
      if (image === undefined) return error(response, 404, "MANIFEST_UNKNOWN", "manifest unknown");
      return send(request, response, 200, image.manifest, {
        "Content-Type": MANIFEST_V2,
        "Docker-Content-Digest": image.digest,
      });
    }
    const blob = blobs.get(reference);
    if (blob === undefined) return error(response, 404, "BLOB_UNKNOWN", "blob unknown to registry");
    return send(request, response, 200, blob, {
      "Content-Type": "application/octet-stream",
      "Docker-Content-Digest": reference,
    });
  }

  function authorised(request: IncomingMessage): boolean {
    if (options.credentials === undefined) return true;
    const expected = Buffer.from(`${options.credentials.username}:${options.credentials.password}`);
    const header = request.headers.authorization ?? "";
    return header === `Basic ${expected.toString("base64")}`;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    host,
    requests,
    async serve(source, repository, tag) {
      const exported = await exportImage(source);
      const layers = exported.layers.map((layer) => {
        const gzipped = gzipSync(layer);
        const digest = sha256(gzipped);
        blobs.set(digest, gzipped);
        return { mediaType: LAYER_GZIP, size: gzipped.length, digest };
      });
      const configDigest = sha256(exported.config);
      blobs.set(configDigest, exported.config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_V2,
          config: { mediaType: CONFIG_V1, size: exported.config.length, digest: configDigest },
          layers,
        }),
      );
      const stored = { manifest, digest: sha256(manifest) };
      manifests.set(`${repository}:${tag}`, stored);
      manifests.set(`${repository}@${stored.digest}`, stored);
      return `${host}/${repository}:${tag}`;
    },
    refuseAll() {
      refusing = true;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  response.writeHead(status, {
    "Content-Type": "application/json",
    ...headers,
    "Content-Length": String(bytes.length),
  });
  response.end(request.method === "HEAD" ? undefined : bytes);
}

function error(response: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(body.length) });
  response.end(body);
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The config and the (uncompressed) layer tars of a local image, from `docker save`. */
async function exportImage(reference: string): Promise<{ config: Buffer; layers: Buffer[] }> {
  const files = await readTar(await docker.getImage(reference).get());
  const [entry] = JSON.parse(required(files, "manifest.json").toString("utf8")) as {
    Config: string;
    Layers: string[];
  }[];
  if (entry === undefined) throw new Error(`docker save of ${reference} lists no image`);
  return {
    config: required(files, entry.Config),
    layers: entry.Layers.map((layer) => required(files, layer)),
  };
}

function required(files: Map<string, Buffer>, name: string): Buffer {
  const file = files.get(name);
  if (file === undefined) throw new Error(`docker save output has no ${name}`);
  return file;
}

/** The regular files of a tar archive by name. */
async function readTar(archive: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on("entry", (header, entry, next) => {
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: Buffer) => chunks.push(chunk));
    entry.on("end", () => {
      if (header.type === "file") files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(archive, extract);
  return files;
}
