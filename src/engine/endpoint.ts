// Which Docker Engine composec talks to, decided as the docker CLI decides it: `-H/--host`, then
// `--context`, then DOCKER_HOST, then DOCKER_CONTEXT, then `currentContext` in the docker CLI's
// config.json, else the local socket. Pure: what the files say (a context's meta.json, which TLS
// files exist) is read by contexts.ts and passed in.
import { EngineError, MASK, UsageError } from "../errors.js";

/** Files of a TLS connection (paths; read when the client is made). */
export interface TlsFiles {
  /** The CA the engine's certificate must be signed by; absent when not checking it. */
  ca?: string;
  /** The client's certificate and key, both or neither. */
  cert?: string;
  key?: string;
  /** Check the engine's certificate against `ca` (false: a context's SkipTLSVerify). */
  verify: boolean;
}

/** Where the engine listens: a unix socket, tcp (plain or TLS), or ssh (`docker system dial-stdio` there). */
export type EngineEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; protocol: "http" | "https"; tls?: TlsFiles }
  | { kind: "ssh"; user: string; host: string; port: number };

export const DEFAULT_SOCKET = "/var/run/docker.sock";

/** The reserved name of the context made of -H, DOCKER_HOST and the TLS variables. */
export const DEFAULT_CONTEXT = "default";

/** The engine composec will use, which context it belongs to, and what chose it. */
export interface ResolvedEndpoint {
  endpoint: EngineEndpoint;
  context: string;
  /** `-H/--host`, `DOCKER_HOST`, `--context`, `DOCKER_CONTEXT`, `currentContext in <config.json>`, or `default`. */
  source: string;
}

/** What a docker CLI context says about its Docker endpoint (meta.json + the TLS files beside it). */
export interface ContextEndpoint {
  host: string;
  skipTlsVerify: boolean;
  /** Paths of the context's ca.pem / cert.pem / key.pem that exist. */
  tls: { ca?: string; cert?: string; key?: string };
}

/** What resolution needs from the outside world. */
export interface EndpointInputs {
  /** `-H/--host`. */
  host?: string;
  /** `--context`. */
  context?: string;
  env: Record<string, string | undefined>;
  /** The docker CLI's config.json, when it names a current context. */
  currentContext?: { name: string; file: string };
  /** The context's endpoint; throws when there is no such context. */
  readContext: (name: string) => ContextEndpoint;
  /** TLS files of the default context (DOCKER_CERT_PATH or the config directory) that exist. */
  defaultTls: { dir: string; ca?: string; cert?: string; key?: string };
}

/** Which context applies, and why (the docker CLI's order; -H with --context is a usage error). */
export function chooseContext(inputs: Pick<EndpointInputs, "host" | "context" | "env" | "currentContext">): {
  context: string;
  source: string;
} {
  const { host, context, env, currentContext } = inputs;
  if (context !== undefined && host !== undefined) {
    throw new UsageError("conflicting options: either specify --host or --context, not both");
  }
  if (context !== undefined) return { context, source: "--context" };
  if (host !== undefined) return { context: DEFAULT_CONTEXT, source: "-H/--host" };
  if (nonEmpty(env.DOCKER_HOST)) return { context: DEFAULT_CONTEXT, source: "DOCKER_HOST" };
  if (nonEmpty(env.DOCKER_CONTEXT)) return { context: env.DOCKER_CONTEXT!, source: "DOCKER_CONTEXT" };
  if (currentContext !== undefined && currentContext.name !== "") {
    return { context: currentContext.name, source: `currentContext in ${currentContext.file}` };
  }
  return { context: DEFAULT_CONTEXT, source: DEFAULT_CONTEXT };
}

/** The engine the flags, the environment and the docker CLI's contexts point at. */
export function resolveEndpoint(inputs: EndpointInputs): ResolvedEndpoint {
  const { context, source } = chooseContext(inputs);
  if (context === DEFAULT_CONTEXT) {
    const hostSource = inputs.host !== undefined ? "-H/--host" : "DOCKER_HOST";
    const value = inputs.host ?? inputs.env.DOCKER_HOST;
    const tls = defaultTls(inputs.env, inputs.defaultTls);
    return { endpoint: parseHost(value, hostSource, tls), context, source };
  }
  const meta = inputs.readContext(context);
  const tls: TlsFiles | undefined =
    meta.tls.ca !== undefined || meta.tls.cert !== undefined || meta.skipTlsVerify
      ? { ...meta.tls, verify: !meta.skipTlsVerify }
      : undefined;
  return { endpoint: parseHost(meta.host, `context "${context}"`, tls), context, source };
}

/** TLS of the default context: DOCKER_TLS_VERIFY (any value) checks the engine with DOCKER_CERT_PATH's files. */
function defaultTls(
  env: Record<string, string | undefined>,
  files: EndpointInputs["defaultTls"],
): TlsFiles | undefined {
  if (!nonEmpty(env.DOCKER_TLS_VERIFY)) return undefined;
  if (files.ca === undefined) {
    throw new EngineError(
      `DOCKER_TLS_VERIFY is set but there is no CA certificate at ${files.dir}/ca.pem; put the engine's CA there, or point DOCKER_CERT_PATH at the directory that holds ca.pem, cert.pem and key.pem`,
    );
  }
  // As the docker CLI: a client certificate is used when both of its files exist.
  const pair =
    files.cert !== undefined && files.key !== undefined ? { cert: files.cert, key: files.key } : {};
  return { ca: files.ca, ...pair, verify: true };
}

/**
 * Reads an engine address: `unix:///path` (or a bare `/path`), `tcp://host[:port]` (`http://`,
 * `https://`), `ssh://[user@]host[:port]`. `source` names where it came from, for the error.
 */
export function parseHost(value: string | undefined, source: string, tls?: TlsFiles): EngineEndpoint {
  if (value === undefined || value === "") return { kind: "unix", socketPath: DEFAULT_SOCKET };
  if (value.startsWith("unix://"))
    return { kind: "unix", socketPath: value.slice("unix://".length) || DEFAULT_SOCKET };
  if (value.startsWith("/")) return { kind: "unix", socketPath: value };
  // A password in the address (refused below) is not quoted back: the error reaches logs.
  const shown = value.replace(/^([a-z]+:\/\/[^/@]*?:)[^/@]*@/, `$1${MASK}@`);
  const refuse = (why: string): never => {
    throw new EngineError(
      `${source} "${shown}" is not an engine address (${why}); use unix:///var/run/docker.sock, tcp://host:port or ssh://user@host[:port]`,
    );
  };
  const scheme = /^([a-z]+):\/\//.exec(value)?.[1];
  if (scheme === undefined) refuse("no scheme");
  if (!["tcp", "http", "https", "ssh"].includes(scheme!)) refuse(`${scheme}:// is not supported`);
  let url: URL;
  try {
    url = new URL(value.replace(/^(tcp|ssh):/, "http:"));
  } catch {
    return refuse("not a URL");
  }
  if (url.hostname === "") refuse("no host");
  if (scheme === "tcp" || scheme === "http" || scheme === "https") {
    if (url.pathname !== "/" && url.pathname !== "") refuse("a path is not supported");
    const https = scheme === "https" || tls !== undefined || url.port === "2376";
    const port = url.port === "" ? (https ? 2376 : 2375) : Number(url.port);
    const endpoint: EngineEndpoint = {
      kind: "tcp",
      host: url.hostname,
      port,
      protocol: https ? "https" : "http",
    };
    return tls === undefined ? endpoint : { ...endpoint, tls };
  }
  if (scheme === "ssh") {
    if (url.password !== "") refuse("a password in the address is not supported; use a key");
    if (url.pathname !== "/" && url.pathname !== "") refuse("a path is not supported");
    const user = decodeURIComponent(url.username);
    return {
      kind: "ssh",
      user,
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port === "" ? 22 : Number(url.port),
    };
  }
  return refuse(`${scheme}:// is not supported`);
}

/** `unix:///var/run/docker.sock`, `tcp://host:port` or `ssh://user@host:port`, for messages. */
export function formatEndpoint(endpoint: EngineEndpoint): string {
  switch (endpoint.kind) {
    case "unix":
      return `unix://${endpoint.socketPath}`;
    case "tcp":
      return `tcp://${endpoint.host}:${endpoint.port}`;
    case "ssh":
      return `ssh://${endpoint.user === "" ? "" : `${endpoint.user}@`}${endpoint.host}:${endpoint.port}`;
  }
}

/** Whether the engine runs on this machine and shares its files: only a unix socket says so. */
export function isLocalEndpoint(endpoint: EngineEndpoint): boolean {
  return endpoint.kind === "unix";
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}
