import { describe, expect, it } from "vitest";
import { canonicalJson, configHash, networkConfigHash, networkSettingsChanged } from "./config-hash.js";
import { makeNetwork, makeProject, makeService } from "./project-builder.js";

describe("configHash", () => {
  const base = makeService("web", {
    image: "busybox",
    command: ["sleep", "1000"],
    environment: { A: "1", B: "2" },
  });
  const project = makeProject("demo", [base]);
  const hash = configHash(project, base);

  it("is a sha256 hex digest, stable whatever the key order", () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = makeService("web", {
      environment: { B: "2", A: "1" },
      command: ["sleep", "1000"],
      image: "busybox",
    });
    expect(configHash(project, reordered)).toBe(hash);
  });

  it("changes with anything that shapes the container", () => {
    expect(configHash(project, { ...base, command: ["sleep", "2000"] })).not.toBe(hash);
    expect(configHash(project, { ...base, environment: { A: "1", B: "3" } })).not.toBe(hash);
    expect(configHash(project, { ...base, user: "1000" })).not.toBe(hash);
  });

  it("covers the engine settings of issue 11, and is unchanged for services that set none", () => {
    const changes: Partial<typeof base>[] = [
      { cpuShares: 512 },
      { securityOpt: ["no-new-privileges:true"] },
      { devices: ["/dev/fuse:/dev/fuse:rwm"] },
      { dnsSearch: ["example.com"] },
      { links: ["db"] },
      { gpus: [{ capabilities: ["gpu"], count: -1, deviceIds: [], options: {} }] },
      { deploy: { resources: { limits: { memory: 1024 } } } },
      { deploy: { restartPolicy: { condition: "on-failure" } } },
      { networks: { default: { aliases: [], priority: 3 } } },
    ];
    const hashes = changes.map((change) => configHash(project, { ...base, ...change }));
    for (const changed of hashes) expect(changed).not.toBe(hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    // Absent (undefined) members are left out of the hashed text: older containers are not recreated.
    expect(configHash(project, { ...base, cpuShares: undefined, deploy: undefined })).toBe(hash);
  });

  it("covers logging (a new driver or option recreates), and is unchanged for services without it", () => {
    const logging = { driver: "json-file", options: { "max-size": "1m" } };
    const logged = configHash(project, { ...base, logging });
    expect(logged).not.toBe(hash);
    expect(configHash(project, { ...base, logging: { ...logging, driver: "local" } })).not.toBe(logged);
    expect(configHash(project, { ...base, logging: { ...logging, options: { "max-size": "2m" } } })).not.toBe(
      logged,
    );
    expect(configHash(project, { ...base, logging: undefined })).toBe(hash);
  });

  it("covers secret references, not only their presence", () => {
    const secret = { source: "token", target: "/run/secrets/token", uid: 0, gid: 0, mode: 0o444 };
    const withSecret = configHash(project, { ...base, secrets: [secret] });
    expect(withSecret).not.toBe(hash);
    expect(configHash(project, { ...base, secrets: [{ ...secret, mode: 0o400 }] })).not.toBe(withSecret);
  });

  it("ignores what changes no container: replicas, depends_on, profiles, pull policy, build", () => {
    const same = {
      ...base,
      replicas: 3,
      profiles: ["debug"],
      pullPolicy: "never" as const,
      dependsOn: { db: { condition: "service_started" as const, required: true, restart: false } },
    };
    expect(configHash(project, same)).toBe(hash);
  });

  it("changes when a network the service joins is renamed on the engine", () => {
    const renamed = { ...project, networks: { default: { ...project.networks.default!, name: "other" } } };
    expect(configHash(renamed, base)).not.toBe(hash);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } })).toBe(
      '{"a":{"c":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe("networkConfigHash", () => {
  const network = makeNetwork("demo", "back", { driverOpts: { a: "1", b: "2" }, labels: { x: "y" } });
  const hash = networkConfigHash(network);

  it("is a sha256 hex digest, stable whatever the key order", () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const reordered = makeNetwork("demo", "back", { labels: { x: "y" }, driverOpts: { b: "2", a: "1" } });
    expect(networkConfigHash(reordered)).toBe(hash);
  });

  it("changes with every setting the engine fixes at creation", () => {
    const changes: Partial<typeof network>[] = [
      { driver: "bridge" },
      { driverOpts: { a: "1", b: "3" } },
      { internal: true },
      { attachable: true },
      { enableIpv6: true },
      { labels: { x: "z" } },
      { ipam: { config: [{ subnet: "10.1.0.0/24", auxAddresses: {} }], options: {} } },
      { name: "other" },
    ];
    const hashes = changes.map((change) => networkConfigHash({ ...network, ...change }));
    for (const changed of hashes) expect(changed).not.toBe(hash);
    expect(new Set(hashes).size).toBe(changes.length);
  });

  it("ignores external, which is never made by us", () => {
    expect(networkConfigHash({ ...network, external: true })).toBe(hash);
  });
});

describe("networkSettingsChanged", () => {
  const network = makeNetwork("p", "back", { driverOpts: { mtu: "1400" } });
  const recorded = networkConfigHash(network);

  it("is true only for this project's network whose recorded hash differs", () => {
    expect(networkSettingsChanged(network, { project: "p", configHash: recorded }, "p")).toBe(false);
    expect(networkSettingsChanged(network, { project: "p", configHash: "0".repeat(64) }, "p")).toBe(true);
  });

  it("leaves alone a network without a hash, another project's, and an external one", () => {
    const other = "0".repeat(64);
    expect(networkSettingsChanged(network, { project: "p" }, "p")).toBe(false);
    expect(networkSettingsChanged(network, { project: "q", configHash: other }, "p")).toBe(false);
    expect(networkSettingsChanged(network, { configHash: other }, "p")).toBe(false);
    expect(
      networkSettingsChanged({ ...network, external: true }, { project: "p", configHash: other }, "p"),
    ).toBe(false);
  });
});
