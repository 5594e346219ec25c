import { describe, expect, it } from "vitest";
import { EngineError, UsageError } from "../errors.js";
import {
  chooseContext,
  formatEndpoint,
  parseHost,
  resolveEndpoint,
  type EndpointInputs,
} from "./endpoint.js";

const noContexts = (name: string): never => {
  throw new EngineError(`context "${name}" does not exist`);
};

function inputs(over: Partial<EndpointInputs>): EndpointInputs {
  return { env: {}, readContext: noContexts, defaultTls: { dir: "/home/me/.docker" }, ...over };
}

describe("chooseContext (the docker CLI's order)", () => {
  const current = { name: "from-config", file: "/home/me/.docker/config.json" };
  const env = { DOCKER_HOST: "tcp://h:2375", DOCKER_CONTEXT: "from-env" };

  it("--context wins, then -H, DOCKER_HOST, DOCKER_CONTEXT, currentContext, default", () => {
    expect(chooseContext({ context: "flag", env, currentContext: current })).toEqual({
      context: "flag",
      source: "--context",
    });
    expect(chooseContext({ host: "unix:///x", env, currentContext: current })).toEqual({
      context: "default",
      source: "-H/--host",
    });
    expect(chooseContext({ env, currentContext: current })).toEqual({
      context: "default",
      source: "DOCKER_HOST",
    });
    expect(chooseContext({ env: { DOCKER_CONTEXT: "from-env" }, currentContext: current })).toEqual({
      context: "from-env",
      source: "DOCKER_CONTEXT",
    });
    expect(chooseContext({ env: {}, currentContext: current })).toEqual({
      context: "from-config",
      source: "currentContext in /home/me/.docker/config.json",
    });
    expect(chooseContext({ env: {} })).toEqual({ context: "default", source: "default" });
  });

  it("treats empty variables as unset", () => {
    expect(chooseContext({ env: { DOCKER_HOST: "", DOCKER_CONTEXT: "" } })).toEqual({
      context: "default",
      source: "default",
    });
  });

  it("refuses -H together with --context, as a usage error", () => {
    expect(() => chooseContext({ host: "tcp://h", context: "c", env: {} })).toThrow(UsageError);
    expect(() => chooseContext({ host: "tcp://h", context: "c", env: {} })).toThrow(
      "conflicting options: either specify --host or --context, not both",
    );
  });
});

describe("parseHost", () => {
  it("reads unix, tcp and ssh addresses", () => {
    expect(parseHost(undefined, "DOCKER_HOST")).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock" });
    expect(parseHost("unix:///run/user/1000/docker.sock", "DOCKER_HOST")).toEqual({
      kind: "unix",
      socketPath: "/run/user/1000/docker.sock",
    });
    expect(parseHost("/x.sock", "-H/--host")).toEqual({ kind: "unix", socketPath: "/x.sock" });
    expect(parseHost("tcp://10.0.0.5:2375", "-H/--host")).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2375,
      protocol: "http",
    });
    expect(parseHost("tcp://engine", "DOCKER_HOST")).toMatchObject({ port: 2375, protocol: "http" });
    expect(parseHost("tcp://engine:2376", "DOCKER_HOST")).toMatchObject({ protocol: "https", port: 2376 });
    expect(parseHost("ssh://deploy@prod.example:2222", "DOCKER_HOST")).toEqual({
      kind: "ssh",
      user: "deploy",
      host: "prod.example",
      port: 2222,
    });
    expect(parseHost("ssh://prod", "DOCKER_HOST")).toEqual({ kind: "ssh", user: "", host: "prod", port: 22 });
    expect(parseHost("ssh://me@[::1]:22", "DOCKER_HOST")).toMatchObject({ host: "::1" });
  });

  it("uses TLS on tcp when TLS files are given, whatever the port", () => {
    const tls = { ca: "/c/ca.pem", verify: true };
    expect(parseHost("tcp://h:9999", "DOCKER_HOST", tls)).toEqual({
      kind: "tcp",
      host: "h",
      port: 9999,
      protocol: "https",
      tls,
    });
  });

  it("refuses what it cannot use, naming where it came from and what is valid", () => {
    expect(() => parseHost("npipe:////./pipe/docker_engine", "DOCKER_HOST")).toThrow(
      'DOCKER_HOST "npipe:////./pipe/docker_engine" is not an engine address (npipe:// is not supported); use unix:///var/run/docker.sock, tcp://host:port or ssh://user@host[:port]',
    );
    expect(() => parseHost("ssh://me:pw-s3cr3t@h", "-H/--host")).toThrow(
      /-H\/--host "ssh:\/\/me:\*\*\*\*@h" is not an engine address \(a password/,
    );
    expect(() => parseHost("ssh://me:pw-s3cr3t@h", "-H/--host")).not.toThrow(/s3cr3t/);
    expect(() => parseHost("engine:2375", 'context "x"')).toThrow(
      /^context "x" "engine:2375" is not an engine address/,
    );
  });
});

describe("resolveEndpoint", () => {
  it("builds the default context from -H / DOCKER_HOST and the TLS variables", () => {
    expect(resolveEndpoint(inputs({}))).toEqual({
      endpoint: { kind: "unix", socketPath: "/var/run/docker.sock" },
      context: "default",
      source: "default",
    });
    const files = { dir: "/certs", ca: "/certs/ca.pem", cert: "/certs/cert.pem", key: "/certs/key.pem" };
    expect(
      resolveEndpoint(
        inputs({ env: { DOCKER_HOST: "tcp://h:1234", DOCKER_TLS_VERIFY: "1" }, defaultTls: files }),
      ).endpoint,
    ).toEqual({
      kind: "tcp",
      host: "h",
      port: 1234,
      protocol: "https",
      tls: { ca: "/certs/ca.pem", cert: "/certs/cert.pem", key: "/certs/key.pem", verify: true },
    });
    // A client certificate without its key is not used (as the docker CLI).
    expect(
      resolveEndpoint(
        inputs({
          env: { DOCKER_HOST: "tcp://h:1234", DOCKER_TLS_VERIFY: "yes" },
          defaultTls: { dir: "/certs", ca: "/certs/ca.pem", cert: "/certs/cert.pem" },
        }),
      ).endpoint,
    ).toMatchObject({ tls: { ca: "/certs/ca.pem", verify: true } });
  });

  it("says where the CA is missing when DOCKER_TLS_VERIFY asks to check", () => {
    expect(() =>
      resolveEndpoint(
        inputs({
          env: { DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1" },
          defaultTls: { dir: "/certs" },
        }),
      ),
    ).toThrow("DOCKER_TLS_VERIFY is set but there is no CA certificate at /certs/ca.pem");
  });

  it("reads a named context's host and TLS files", () => {
    const readContext = (name: string) => {
      if (name === "prod")
        return {
          host: "tcp://prod:2376",
          skipTlsVerify: false,
          tls: { ca: "/t/ca.pem", cert: "/t/cert.pem", key: "/t/key.pem" },
        };
      if (name === "lab") return { host: "tcp://lab:2376", skipTlsVerify: true, tls: {} };
      if (name === "ssh") return { host: "ssh://ops@box", skipTlsVerify: false, tls: {} };
      return noContexts(name);
    };
    expect(resolveEndpoint(inputs({ env: { DOCKER_CONTEXT: "prod" }, readContext }))).toEqual({
      endpoint: {
        kind: "tcp",
        host: "prod",
        port: 2376,
        protocol: "https",
        tls: { ca: "/t/ca.pem", cert: "/t/cert.pem", key: "/t/key.pem", verify: true },
      },
      context: "prod",
      source: "DOCKER_CONTEXT",
    });
    expect(resolveEndpoint(inputs({ context: "lab", readContext })).endpoint).toMatchObject({
      tls: { verify: false },
    });
    expect(
      resolveEndpoint(inputs({ currentContext: { name: "ssh", file: "/c.json" }, readContext })).endpoint,
    ).toEqual({
      kind: "ssh",
      user: "ops",
      host: "box",
      port: 22,
    });
    // DOCKER_HOST wins over DOCKER_CONTEXT and the current context.
    expect(
      resolveEndpoint(inputs({ env: { DOCKER_HOST: "unix:///e.sock", DOCKER_CONTEXT: "prod" }, readContext }))
        .endpoint,
    ).toEqual({ kind: "unix", socketPath: "/e.sock" });
    expect(() => resolveEndpoint(inputs({ context: "nope", readContext }))).toThrow(
      'context "nope" does not exist',
    );
  });
});

describe("formatEndpoint", () => {
  it("writes each kind as an address", () => {
    expect(formatEndpoint({ kind: "unix", socketPath: "/s" })).toBe("unix:///s");
    expect(formatEndpoint({ kind: "tcp", host: "h", port: 1, protocol: "https" })).toBe("tcp://h:1");
    expect(formatEndpoint({ kind: "ssh", user: "u", host: "h", port: 22 })).toBe("ssh://u@h:22");
    expect(formatEndpoint({ kind: "ssh", user: "", host: "h", port: 22 })).toBe("ssh://h:22");
  });
});
