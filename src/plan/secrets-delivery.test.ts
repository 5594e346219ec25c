// Which path runtime secrets take: local for a local socket, the engine's side otherwise, forced by
// the flag (which wins) or the file; forcing local on a remote engine and plain tcp are refused.
import { describe, expect, it } from "vitest";
import type { EngineEndpoint } from "../engine/endpoint.js";
import { chooseDelivery, parseDeliveryOverride } from "./secrets-delivery.js";

const unix: EngineEndpoint = { kind: "unix", socketPath: "/var/run/docker.sock" };
const tls: EngineEndpoint = {
  kind: "tcp",
  host: "10.0.0.5",
  port: 2376,
  protocol: "https",
  tls: { verify: true, ca: "ca.pem", cert: "cert.pem", key: "key.pem" },
};
const plain: EngineEndpoint = { kind: "tcp", host: "10.0.0.5", port: 2375, protocol: "http" };
const ssh: EngineEndpoint = { kind: "ssh", user: "deploy", host: "prod", port: 22 };
const file = (path: string) => ({ extensions: { "x-composec": { "secrets-delivery": path } } });
const none = { extensions: {} };

describe("chooseDelivery", () => {
  it("local for a unix socket on this host, engine for tcp+TLS and ssh, each with its reason", () => {
    expect(chooseDelivery(unix, none)).toEqual({
      path: "local",
      reason: "the engine (unix:///var/run/docker.sock) is a unix socket on this host",
    });
    expect(chooseDelivery(tls, none)).toEqual({
      path: "engine",
      reason: "the engine (tcp://10.0.0.5:2376) is not on this host",
    });
    expect(chooseDelivery(ssh, undefined)).toEqual({
      path: "engine",
      reason: "the engine (ssh://deploy@prod:22) is not on this host",
    });
  });

  it("the file forces either; the flag wins over the file", () => {
    expect(chooseDelivery(unix, file("engine"))).toEqual({
      path: "engine",
      reason: "forced by x-composec.secrets-delivery",
    });
    expect(chooseDelivery(unix, file("engine"), { path: "local", source: "--secrets-delivery" })).toEqual({
      path: "local",
      reason: "forced by --secrets-delivery",
    });
    expect(chooseDelivery(unix, none, { path: "engine", source: "COMPOSEC_SECRETS_DELIVERY" }).path).toBe(
      "engine",
    );
  });

  it("local forced on a remote engine is refused, naming what forced it and why", () => {
    const choice = chooseDelivery(ssh, file("local"));
    expect(choice.path).toBe("local");
    expect(choice.refusal).toMatch(
      /^x-composec\.secrets-delivery asks for local secrets delivery, but the engine at ssh:\/\/deploy@prod:22 is not on this host/,
    );
    expect(chooseDelivery(tls, none, { path: "local", source: "--secrets-delivery" }).refusal).toMatch(
      /^--secrets-delivery asks for local/,
    );
  });

  it("plain tcp without TLS is refused for secrets, naming the endpoint and DOCKER_TLS_VERIFY", () => {
    const choice = chooseDelivery(plain, none);
    expect(choice.path).toBe("engine");
    expect(choice.refusal).toContain("tcp://10.0.0.5:2375");
    expect(choice.refusal).toContain("DOCKER_TLS_VERIFY");
    expect(chooseDelivery(tls, none).refusal).toBeUndefined();
    expect(chooseDelivery(unix, file("engine")).refusal).toBeUndefined();
  });
});

describe("parseDeliveryOverride", () => {
  it("the flag, else the environment variable, else nothing; a bad value is an error naming its source", () => {
    expect(parseDeliveryOverride("engine", { COMPOSEC_SECRETS_DELIVERY: "local" })).toEqual({
      path: "engine",
      source: "--secrets-delivery",
    });
    expect(parseDeliveryOverride(undefined, { COMPOSEC_SECRETS_DELIVERY: "local" })).toEqual({
      path: "local",
      source: "COMPOSEC_SECRETS_DELIVERY",
    });
    expect(parseDeliveryOverride(undefined, {})).toBeUndefined();
    expect(parseDeliveryOverride("remote", {})).toEqual({
      error: '--secrets-delivery "remote" is not a delivery path; use local or engine',
    });
  });
});
