import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contextDirName, dockerConfigDir, resolveEngineEndpoint } from "./contexts.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "composec-contexts-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function context(name: string, meta: unknown, tls: string[] = []): Promise<void> {
  const id = contextDirName(name);
  await mkdir(path.join(dir, "contexts", "meta", id), { recursive: true });
  await writeFile(path.join(dir, "contexts", "meta", id, "meta.json"), JSON.stringify(meta));
  const tlsDir = path.join(dir, "contexts", "tls", id, "docker");
  await mkdir(tlsDir, { recursive: true });
  for (const file of tls) await writeFile(path.join(tlsDir, file), "pem");
}

describe("the docker CLI's files", () => {
  it("names a context's directory by the SHA-256 of its name, as the docker CLI does", () => {
    // sha256("default"), the docker CLI's well-known directory name for a context called default.
    expect(contextDirName("default")).toBe(
      "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f",
    );
  });

  it("finds the config directory in DOCKER_CONFIG, else ~/.docker", () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: "/etc/dc" })).toBe("/etc/dc");
    expect(dockerConfigDir({ HOME: "/home/me" })).toBe("/home/me/.docker");
  });

  it("reads currentContext, the context's host and its TLS files", async () => {
    await writeFile(path.join(dir, "config.json"), JSON.stringify({ auths: {}, currentContext: "prod" }));
    await context(
      "prod",
      {
        Name: "prod",
        Metadata: {},
        Endpoints: { docker: { Host: "tcp://prod:2376", SkipTLSVerify: false } },
      },
      ["ca.pem", "cert.pem", "key.pem"],
    );
    const tlsDir = path.join(dir, "contexts", "tls", contextDirName("prod"), "docker");
    expect(resolveEngineEndpoint({}, { DOCKER_CONFIG: dir })).toEqual({
      endpoint: {
        kind: "tcp",
        host: "prod",
        port: 2376,
        protocol: "https",
        tls: { ca: `${tlsDir}/ca.pem`, cert: `${tlsDir}/cert.pem`, key: `${tlsDir}/key.pem`, verify: true },
      },
      context: "prod",
      source: `currentContext in ${dir}/config.json`,
    });
  });

  it("says which context is missing or broken, and where it looked", async () => {
    expect(() => resolveEngineEndpoint({ context: "nope" }, { DOCKER_CONFIG: dir })).toThrow(
      `context "nope" does not exist (no ${dir}/contexts/meta/${contextDirName("nope")}/meta.json)`,
    );
    await context("empty", { Name: "empty", Endpoints: {} });
    expect(() => resolveEngineEndpoint({ context: "empty" }, { DOCKER_CONFIG: dir })).toThrow(
      /context "empty": .*meta\.json has no Endpoints\.docker\.Host/,
    );
    await writeFile(path.join(dir, "config.json"), "{ not json");
    expect(() => resolveEngineEndpoint({}, { DOCKER_CONFIG: dir })).toThrow(/config\.json: not valid JSON/);
  });
});
