import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { dockerConfigPath, lookup, registryOf } from "./registry-auth.js";

const basic = (text: string) => Buffer.from(text).toString("base64");

describe("registryOf", () => {
  it("reads the registry as the engine does", () => {
    expect(registryOf("busybox")).toBe("docker.io");
    expect(registryOf("library/busybox:1")).toBe("docker.io");
    expect(registryOf("docker.io/library/busybox")).toBe("docker.io");
    expect(registryOf("index.docker.io/me/app")).toBe("docker.io");
    expect(registryOf("127.0.0.1:5000/x/busybox:1")).toBe("127.0.0.1:5000");
    expect(registryOf("localhost/app")).toBe("localhost");
    expect(registryOf("ghcr.io/me/app@sha256:abc")).toBe("ghcr.io");
  });
});

describe("credentials from config.json", () => {
  it("finds the auths entry by host, whatever scheme or path its key has", () => {
    const config = {
      auths: {
        "https://index.docker.io/v1/": { auth: basic("hubuser:hub:pass") },
        "http://127.0.0.1:5000/v2/": { username: "me", password: "pw" },
      },
    };
    expect(lookup("busybox", config).credentials?.authConfig()).toEqual({
      username: "hubuser",
      password: "hub:pass",
      serveraddress: "https://index.docker.io/v1/",
    });
    expect(lookup("127.0.0.1:5000/x/y:1", config).credentials?.authConfig()).toEqual({
      username: "me",
      password: "pw",
      serveraddress: "127.0.0.1:5000",
    });
    expect(lookup("ghcr.io/x/y", config)).toEqual({});
  });

  it("never prints the credentials", () => {
    const { credentials } = lookup("r.example/x", { auths: { "r.example": { auth: basic("u:hunter2") } } });
    for (const text of [String(credentials), JSON.stringify({ credentials }), inspect(credentials)]) {
      expect(text).not.toContain("hunter2");
    }
  });

  it("says so when a credential helper would have answered", () => {
    expect(lookup("ghcr.io/x/y", { credsStore: "desktop" }).note).toContain(
      'names the credential helper "desktop" for ghcr.io; composec does not run credential helpers',
    );
    expect(lookup("ghcr.io/x/y", { credHelpers: { "ghcr.io": "gh" } }).note).toContain('"gh"');
  });

  it("looks in DOCKER_CONFIG, else ~/.docker", () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: "/tmp/dc" })).toBe("/tmp/dc/config.json");
    expect(dockerConfigPath({ HOME: "/home/me" })).toBe("/home/me/.docker/config.json");
  });
});
