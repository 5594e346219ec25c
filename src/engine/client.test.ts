import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { resolveEndpoint, toEngineError } from "./client.js";

describe("resolveEndpoint", () => {
  it("reads -H first, then DOCKER_HOST, else the local socket", () => {
    expect(resolveEndpoint(undefined, {})).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock" });
    expect(resolveEndpoint(undefined, { DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toEqual({
      kind: "unix",
      socketPath: "/run/user/1000/docker.sock",
    });
    expect(resolveEndpoint("tcp://10.0.0.5:2375", { DOCKER_HOST: "unix:///x.sock" })).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2375,
      protocol: "http",
    });
    expect(resolveEndpoint("tcp://engine:2376", {})).toMatchObject({ protocol: "https", port: 2376 });
  });

  it("refuses an address it cannot use, naming where it came from", () => {
    expect(() => resolveEndpoint(undefined, { DOCKER_HOST: "ssh://me@host" })).toThrow(
      'DOCKER_HOST "ssh://me@host" is not an engine address; use unix:///var/run/docker.sock or tcp://host:port',
    );
  });
});

describe("toEngineError", () => {
  const local = { kind: "unix", socketPath: "/var/run/docker.sock" } as const;

  it("starts with the resource and keeps the engine's own words", () => {
    const error = toEngineError(
      "container demo-web-1",
      Object.assign(new Error("(HTTP code 404) no such container"), {
        statusCode: 404,
        json: { message: "No such image: x:1" },
      }),
      local,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toBe("container demo-web-1: No such image: x:1");
    expect(error.resource).toBe("container demo-web-1");
  });

  it("says how to start the engine when the socket is missing or refuses", () => {
    const missing = toEngineError(
      "engine",
      Object.assign(new Error("connect ENOENT"), { code: "ENOENT" }),
      local,
    );
    expect(missing.message).toContain(
      "no socket at /var/run/docker.sock; start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`)",
    );
    const denied = toEngineError(
      "engine",
      Object.assign(new Error("connect EACCES"), { code: "EACCES" }),
      local,
    );
    expect(denied.message).toContain("permission denied");
  });
});
