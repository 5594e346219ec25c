// A deadline on every Engine API request, so an engine that accepts a connection and then never
// answers (a wedged dockerd: a `GET /networks` that hangs was seen on Engine 20.10) becomes one
// error naming the call instead of a command that waits forever.
//
// The deadline covers a request until the engine's answer begins: the whole response for an
// ordinary call, the status line and headers for a stream (events, `logs -f`, attach, exec). A
// stream that stays open by design is never cut once it has started. A stop or restart gets its
// grace period plus the timeout (DockerEngine always sends the grace: see stopGraceSeconds).
// The few operations whose answer may legitimately take as long as their work get none; UNBOUNDED
// says why for each.
import type Docker from "dockerode";
import { EngineError } from "../errors.js";
import { formatEndpoint, type EngineEndpoint } from "./endpoint.js";

/** Seconds an ordinary engine call may take when COMPOSE_HTTP_TIMEOUT is not set (docker-compose's default). */
export const DEFAULT_HTTP_TIMEOUT_SECONDS = 60;

/** The variable that sets it, as docker-compose names it. */
export const HTTP_TIMEOUT_VARIABLE = "COMPOSE_HTTP_TIMEOUT";

/** One request as docker-modem is asked to make it. */
export interface EngineRequest {
  method: string;
  /** The API path, without the version prefix; a query after `?` is ignored. */
  path: string;
  /** The query (or body) options the request carries; only `t` and `follow` matter here. */
  query?: Record<string, unknown>;
}

/** COMPOSE_HTTP_TIMEOUT from `env`, in seconds: a whole number above zero, else 60. */
export function httpTimeoutSeconds(env: Record<string, string | undefined>): number {
  const raw = env[HTTP_TIMEOUT_VARIABLE]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_HTTP_TIMEOUT_SECONDS;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new EngineError(
      `${HTTP_TIMEOUT_VARIABLE}=${JSON.stringify(env[HTTP_TIMEOUT_VARIABLE])}: must be a whole number of seconds above 0 (the default is ${DEFAULT_HTTP_TIMEOUT_SECONDS})`,
    );
  }
  return seconds;
}

/**
 * Requests whose answer may take as long as the work behind it: no deadline. Each says why; a
 * request not listed here has one.
 */
const UNBOUNDED: { method: string; path: RegExp; why: string }[] = [
  {
    method: "POST",
    path: /^\/containers\/[^/]+\/wait$/,
    why: "answers when the container stops: `run`, `up --wait`, service_completed_successfully wait for that on purpose",
  },
  {
    method: "POST",
    path: /^\/images\/create$/,
    why: "pull (or import): the engine answers once it has reached the registry, which is the network's time (its own dial and TLS timeouts, mirrors tried in turn), not a sign of a wedged engine",
  },
  {
    method: "POST",
    path: /^\/images\/.+\/push$/,
    why: "push: as a pull, the engine answers once the registry has",
  },
  {
    method: "POST",
    path: /^\/images\/load$/,
    why: "the engine answers once it has read the whole archive we send: as long as the upload",
  },
  {
    method: "GET",
    path: /^\/images\/(?:[^?]+\/)?get$/,
    why: "save: Engine 20.10 exports every layer before the first byte of the archive",
  },
  {
    method: "POST",
    path: /^\/build$/,
    why: "the classic builder answers once it has read the whole build context we send",
  },
  {
    method: "POST",
    path: /^\/session$/,
    why: "the BuildKit session: an upgraded connection that lives as long as the build",
  },
  { method: "POST", path: /^\/grpc$/, why: "BuildKit's control connection: as long as the build" },
  {
    method: "POST",
    path: /^\/commit$/,
    why: "the engine answers once it has copied the container's layer: as long as its size",
  },
  {
    method: "POST",
    path: /^\/[a-z]+\/prune$/,
    why: "the engine answers once everything is deleted: as long as there is to delete",
  },
  {
    method: "PUT",
    path: /^\/containers\/[^/]+\/archive$/,
    why: "`cp` upload: the engine answers once it has read and extracted the whole archive",
  },
];

/** Why `request` has no deadline, or `undefined` when it has one. */
export function unboundedReason(request: EngineRequest): string | undefined {
  const method = request.method.toUpperCase();
  const path = requestPath(request.path);
  const rule = UNBOUNDED.find((candidate) => candidate.method === method && candidate.path.test(path));
  if (rule) return rule.why;
  if (method === "GET" && /^\/containers\/[^/]+\/logs$/.test(path) && isTrue(request.query?.["follow"])) {
    return "`logs -f`: Engine 20.10 sends nothing, headers included, until the container prints a line";
  }
  if (method === "POST" && /^\/containers\/[^/]+\/(?:stop|restart)$/.test(path)) {
    const grace = Number(request.query?.["t"]);
    if (request.query?.["t"] === undefined) {
      return "a stop without `t` waits the container's own grace, unknown to the request (DockerEngine always sends `t`)";
    }
    if (!Number.isFinite(grace) || grace < 0) {
      return "a negative grace asks the engine to wait for the container to stop by itself, however long";
    }
  }
  return undefined;
}

/** The path a request names, without API version prefix and query. */
export function requestPath(path: string): string {
  const bare = path.split("?")[0] ?? "";
  return bare.replace(/^\/v\d+\.\d+(?=\/)/, "");
}

/**
 * The milliseconds `request` may wait for the engine's answer to begin, or `undefined` when it
 * has no deadline. `timeoutSeconds` is COMPOSE_HTTP_TIMEOUT.
 */
export function callTimeoutMs(request: EngineRequest, timeoutSeconds: number): number | undefined {
  if (unboundedReason(request) !== undefined) return undefined;
  const method = request.method.toUpperCase();
  const path = requestPath(request.path);
  // The engine answers a stop once the container is down: after up to `t` seconds of grace.
  if (method === "POST" && /^\/containers\/[^/]+\/(?:stop|restart)$/.test(path)) {
    return (Number(request.query?.["t"]) + timeoutSeconds) * 1000;
  }
  return timeoutSeconds * 1000;
}

/** Seconds of grace the engine gives a container it stops without `t`, when it has no StopTimeout. */
export const ENGINE_DEFAULT_STOP_SECONDS = 10;

/**
 * The grace a stop without `-t` gets, as the engine works it out: the container's StopTimeout
 * (which `stop_grace_period` sets), else 10 s. Sent as `t`, it gives the stop its deadline.
 */
export function stopGraceSeconds(stopTimeout: number | null | undefined): number {
  return typeof stopTimeout === "number" && Number.isInteger(stopTimeout)
    ? stopTimeout
    : ENGINE_DEFAULT_STOP_SECONDS;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "true";
}

/** The error a request that got no answer in time ends with. */
export function engineTimeoutError(
  request: EngineRequest,
  timeoutMs: number,
  endpoint: EngineEndpoint,
  timeoutSeconds: number,
): EngineError {
  const call = `${request.method.toUpperCase()} ${requestPath(request.path)}`;
  return new EngineError(
    `the Docker Engine at ${formatEndpoint(endpoint)} did not answer ${call} within ${timeoutMs / 1000} s ` +
      `(${HTTP_TIMEOUT_VARIABLE}=${timeoutSeconds}); the engine may be wedged: check it (\`docker info\`), ` +
      `restart it, or raise ${HTTP_TIMEOUT_VARIABLE}`,
    { resource: call },
  );
}

interface DialOptions {
  method: string;
  path: string;
  options?: Record<string, unknown>;
  abortSignal?: AbortSignal;
}
type DialCallback = (error: unknown, result?: unknown) => void;

/**
 * Gives every request `docker` makes a deadline (callTimeoutMs): past it the request is aborted
 * (its socket destroyed) and the call fails with engineTimeoutError.
 */
export function applyCallTimeouts(docker: Docker, endpoint: EngineEndpoint, timeoutSeconds: number): void {
  const modem = docker.modem as unknown as { dial(options: DialOptions, callback: DialCallback): void };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    // The query is read before dial() runs: it deletes keys it must not send (abortSignal, auth).
    const raw = options.options ?? {};
    const query = (
      typeof raw["_query"] === "object" && raw["_query"] !== null ? raw["_query"] : raw
    ) as Record<string, unknown>;
    const request: EngineRequest = { method: options.method, path: options.path, query };
    const timeoutMs = callTimeoutMs(request, timeoutSeconds);
    if (timeoutMs === undefined) {
      dial(options, callback);
      return;
    }
    const controller = new AbortController();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, timeoutMs);
    const signal =
      options.abortSignal === undefined
        ? controller.signal
        : AbortSignal.any([options.abortSignal, controller.signal]);
    // The callback runs once the answer has begun (a stream) or is complete: the deadline ends there.
    dial({ ...options, abortSignal: signal }, (error, result) => {
      clearTimeout(timer);
      if (error && expired) callback(engineTimeoutError(request, timeoutMs, endpoint, timeoutSeconds));
      else callback(error, result);
    });
  };
}
