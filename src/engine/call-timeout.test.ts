import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import {
  callTimeoutMs,
  ENGINE_DEFAULT_STOP_SECONDS,
  httpTimeoutSeconds,
  requestPath,
  stopGraceSeconds,
  unboundedReason,
} from "./call-timeout.js";
import { createDocker, createEngine } from "./client.js";

describe("httpTimeoutSeconds", () => {
  it("is 60 s unless COMPOSE_HTTP_TIMEOUT says otherwise", () => {
    expect(httpTimeoutSeconds({})).toBe(60);
    expect(httpTimeoutSeconds({ COMPOSE_HTTP_TIMEOUT: "" })).toBe(60);
    expect(httpTimeoutSeconds({ COMPOSE_HTTP_TIMEOUT: "2" })).toBe(2);
    expect(httpTimeoutSeconds({ COMPOSE_HTTP_TIMEOUT: " 300 " })).toBe(300);
  });

  it("refuses what is not a whole number of seconds above 0, naming the variable and value", () => {
    for (const value of ["0", "-5", "1.5", "abc", "10s", "1e3"]) {
      expect(() => httpTimeoutSeconds({ COMPOSE_HTTP_TIMEOUT: value })).toThrow(EngineError);
      expect(() => httpTimeoutSeconds({ COMPOSE_HTTP_TIMEOUT: value })).toThrow(
        `COMPOSE_HTTP_TIMEOUT=${JSON.stringify(value)}: must be a whole number of seconds above 0`,
      );
    }
  });
});

describe("callTimeoutMs", () => {
  const t = 60;
  const ms = (method: string, p: string, query?: Record<string, unknown>): number | undefined =>
    callTimeoutMs({ method, path: p, ...(query ? { query } : {}) }, t);

  it("gives quick metadata calls the timeout", () => {
    expect(ms("GET", "/_ping")).toBe(60_000);
    expect(ms("GET", "/version")).toBe(60_000);
    expect(ms("GET", "/networks?")).toBe(60_000);
    expect(ms("GET", "/containers/json?")).toBe(60_000);
    expect(ms("GET", "/containers/abc/json")).toBe(60_000);
    expect(ms("POST", "/containers/create?")).toBe(60_000);
    expect(ms("POST", "/containers/abc/start?")).toBe(60_000);
    expect(ms("POST", "/containers/abc/kill?")).toBe(60_000);
    expect(ms("DELETE", "/containers/abc?", { force: true })).toBe(60_000);
    expect(ms("POST", "/networks/create?")).toBe(60_000);
    expect(ms("DELETE", "/networks/demo_default")).toBe(60_000);
    expect(ms("GET", "/images/busybox:1/json")).toBe(60_000);
    expect(ms("POST", "/containers/abc/exec")).toBe(60_000);
    expect(ms("POST", "/build/cancel?")).toBe(60_000);
    expect(callTimeoutMs({ method: "get", path: "/v1.41/networks" }, 2)).toBe(2_000);
  });

  it("bounds only the start of streams that stay open (events, attach, exec, logs without -f)", () => {
    expect(ms("GET", "/events?")).toBe(60_000);
    expect(ms("POST", "/containers/abc/attach?")).toBe(60_000);
    expect(ms("POST", "/exec/e1/start")).toBe(60_000);
    expect(ms("GET", "/containers/abc/logs?", { follow: false })).toBe(60_000);
    expect(ms("GET", "/containers/abc/archive?")).toBe(60_000);
  });

  it("gives a stop or restart its grace period on top", () => {
    expect(ms("POST", "/containers/abc/stop?", { t: 10 })).toBe(70_000);
    expect(ms("POST", "/containers/abc/restart?", { t: 0 })).toBe(60_000);
    expect(callTimeoutMs({ method: "POST", path: "/containers/abc/stop?", query: { t: "30" } }, 2)).toBe(
      32_000,
    );
    // Without `t` the grace is the container's own, unknown here (DockerEngine always sends it).
    expect(ms("POST", "/containers/abc/stop?", {})).toBeUndefined();
    // A negative grace: the engine waits for the container however long it takes.
    expect(ms("POST", "/containers/abc/stop?", { t: -1 })).toBeUndefined();
  });

  it("works out a stop without -t from the container's grace: stop_grace_period, else 10 s", () => {
    expect(ENGINE_DEFAULT_STOP_SECONDS).toBe(10);
    // No StopTimeout on the container (no stop_grace_period): the engine's 10 s.
    for (const none of [undefined, null]) expect(stopGraceSeconds(none)).toBe(10);
    expect(stopGraceSeconds(0)).toBe(0);
    expect(stopGraceSeconds(45)).toBe(45);
    expect(stopGraceSeconds(-1)).toBe(-1);
    const stopMs = (stopTimeout: number | undefined, timeout: number): number | undefined =>
      callTimeoutMs(
        { method: "POST", path: "/v1.41/containers/abc/stop", query: { t: stopGraceSeconds(stopTimeout) } },
        timeout,
      );
    // 10 s of grace plus the 60 s call timeout; stop_grace_period: 45s with COMPOSE_HTTP_TIMEOUT=2.
    expect(stopMs(undefined, 60)).toBe(70_000);
    expect(stopMs(45, 2)).toBe(47_000);
    expect(stopMs(0, 2)).toBe(2_000);
    expect(stopMs(-1, 2)).toBeUndefined();
  });

  it("sets no deadline on operations that take as long as their work", () => {
    expect(ms("POST", "/containers/abc/wait?", { condition: "not-running" })).toBeUndefined();
    expect(ms("GET", "/containers/abc/logs?", { follow: true })).toBeUndefined();
    expect(ms("POST", "/images/create?", { fromImage: "busybox" })).toBeUndefined();
    expect(ms("POST", "/images/load?")).toBeUndefined();
    expect(ms("GET", "/images/busybox:1/get")).toBeUndefined();
    expect(ms("GET", "/images/get?")).toBeUndefined();
    expect(ms("POST", "/images/registry:5000/x/push?")).toBeUndefined();
    expect(ms("POST", "/build?")).toBeUndefined();
    expect(ms("POST", "/session")).toBeUndefined();
    expect(ms("POST", "/grpc")).toBeUndefined();
    expect(ms("POST", "/commit?")).toBeUndefined();
    expect(ms("POST", "/images/prune?")).toBeUndefined();
    expect(ms("POST", "/build/prune?")).toBeUndefined();
    expect(ms("PUT", "/containers/abc/archive?", { path: "/x" })).toBeUndefined();
  });

  it("says why each call without a deadline has none", () => {
    const unbounded: [string, string, Record<string, unknown>?][] = [
      ["POST", "/containers/abc/wait"],
      ["GET", "/containers/abc/logs", { follow: true }],
      ["POST", "/images/create"],
      ["POST", "/images/r:5000/x/push"],
      ["POST", "/images/load"],
      ["GET", "/images/get"],
      ["POST", "/build"],
      ["POST", "/session"],
      ["POST", "/grpc"],
      ["POST", "/commit"],
      ["POST", "/volumes/prune"],
      ["PUT", "/containers/abc/archive"],
      ["POST", "/containers/abc/stop", {}],
      ["POST", "/containers/abc/restart", { t: -1 }],
    ];
    for (const [method, p, query] of unbounded) {
      const request = { method, path: p, ...(query ? { query } : {}) };
      expect(callTimeoutMs(request, 60), `${method} ${p}`).toBeUndefined();
      expect(unboundedReason(request), `${method} ${p}`).toMatch(/\w+ .{20,}/);
    }
    expect(
      unboundedReason({ method: "POST", path: "/containers/abc/stop", query: { t: 3 } }),
    ).toBeUndefined();
    expect(unboundedReason({ method: "GET", path: "/containers/abc/logs", query: { follow: false } })).toBe(
      undefined,
    );
  });

  it("reads the path without version prefix and query", () => {
    expect(requestPath("/v1.41/networks?filters=x")).toBe("/networks");
    expect(requestPath("/containers/abc/json?")).toBe("/containers/abc/json");
  });
});

// A socket that accepts requests and never answers: what a wedged engine looks like.
describe("an engine that stops answering", () => {
  let dir: string;
  let server: http.Server;
  let socket: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "composec-stall-"));
    socket = path.join(dir, "stall.sock");
    server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails the call with an error naming it, its endpoint and the variable, and frees the socket", async () => {
    const engine = createEngine({ env: { DOCKER_HOST: `unix://${socket}`, COMPOSE_HTTP_TIMEOUT: "1" } });
    const started = Date.now();
    const failure = await engine.listNetworks().then(
      () => undefined,
      (error: unknown) => error,
    );
    const elapsed = Date.now() - started;
    expect(failure).toBeInstanceOf(EngineError);
    expect((failure as Error).message).toBe(
      `the Docker Engine at unix://${socket} did not answer GET /networks within 1 s (COMPOSE_HTTP_TIMEOUT=1); ` +
        "the engine may be wedged: check it (`docker info`), restart it, or raise COMPOSE_HTTP_TIMEOUT",
    );
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
    // The request was aborted: the server sees its connection closed.
    await expect.poll(async () => new Promise((r) => server.getConnections((_, n) => r(n)))).toBe(0);
  });

  it("keeps a caller's own abort signal working beside the deadline", async () => {
    const docker = createDocker({ kind: "unix", socketPath: socket }, { COMPOSE_HTTP_TIMEOUT: "30" });
    const controller = new AbortController();
    const pending = docker.listNetworks({ abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const failure = await pending.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as Error).name).toBe("AbortError");
  });
});

// A socket that reads a request and drops the connection without a word: an engine that stops or
// restarts in the middle of a call.
describe("an engine that goes away in the middle of a call", () => {
  let dir: string;
  let server: http.Server;
  let socket: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "composec-cut-"));
    socket = path.join(dir, "cut.sock");
    server = http.createServer((request) => request.socket.destroy());
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails the call with an error naming the endpoint and the call it cut", async () => {
    const engine = createEngine({ env: { DOCKER_HOST: `unix://${socket}` } });
    const failure = await engine.listNetworks().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EngineError);
    expect((failure as Error).message).toBe(
      `the Docker Engine at unix://${socket} closed the connection during GET /networks (ECONNRESET): ` +
        "it stopped or restarted; once it answers again (`docker info`), run the command again",
    );
    // A call without a deadline (waiting for a container) is named the same way.
    const wait = await engine.waitContainer({ id: "abc", name: "demo-web-1" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((wait as Error).message).toContain(
      "closed the connection during POST /containers/abc/wait (ECONNRESET)",
    );
  });
});
