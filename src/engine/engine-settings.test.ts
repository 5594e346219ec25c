// The engine attributes of issue 11 in the container create body and the network create body, as
// Compose v2 maps them (pkg/compose/create.go).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { makeNetwork, makeProject, makeService } from "../model/project-builder.js";
import type { Project, Service } from "../model/project.js";
import { apiVersionProblems } from "./api-version.js";
import { containerSpec } from "./container-spec.js";
import { networkCreateBody } from "./network-spec.js";

function spec(service: Service, project: Project = makeProject("demo", [service])) {
  return containerSpec({
    project,
    service,
    number: 1,
    name: `demo-${service.name}-1`,
    createAs: `demo-${service.name}-1`,
    configHash: "hash",
    imageId: "sha256:img",
  });
}

const MB = 1024 * 1024;

describe("engine settings in the create body", () => {
  it("puts resources, security, namespaces and DNS on HostConfig, only when set", () => {
    const { create } = spec(
      makeService("web", {
        image: "busybox",
        annotations: { "com.example": "1" },
        blkioConfig: {
          weight: 300,
          weightDevice: [{ path: "/dev/sda", rate: 400 }],
          deviceReadBps: [{ path: "/dev/sda", rate: MB }],
          deviceReadIops: [],
          deviceWriteBps: [],
          deviceWriteIops: [{ path: "/dev/sda", rate: 10 }],
        },
        cpuCount: 2,
        cpuPercent: 50,
        cpuShares: 512,
        cpuQuota: 50000,
        cpuPeriod: 100000,
        cpuRtPeriod: 1000000,
        cpuRtRuntime: 950000,
        cpuset: "0",
        cgroup: "private",
        cgroupParent: "parent",
        deviceCgroupRules: ["c 1:3 mr"],
        dnsOpt: ["use-vc"],
        dnsSearch: ["example.com"],
        isolation: "default",
        memReservation: 32 * MB,
        memSwappiness: 10,
        memswapLimit: -1,
        oomKillDisable: true,
        oomScoreAdj: 100,
        pidsLimit: 64,
        runtime: "runc",
        securityOpt: ["no-new-privileges:true"],
        storageOpt: { size: "1G" },
        usernsMode: "host",
        uts: "host",
      }),
    );
    expect(create.HostConfig).toMatchObject({
      Annotations: { "com.example": "1" },
      BlkioWeight: 300,
      BlkioWeightDevice: [{ Path: "/dev/sda", Weight: 400 }],
      BlkioDeviceReadBps: [{ Path: "/dev/sda", Rate: MB }],
      BlkioDeviceReadIOps: [],
      BlkioDeviceWriteIOps: [{ Path: "/dev/sda", Rate: 10 }],
      CpuCount: 2,
      CpuPercent: 50,
      CpuShares: 512,
      CpuQuota: 50000,
      CpuPeriod: 100000,
      CpuRealtimePeriod: 1000000,
      CpuRealtimeRuntime: 950000,
      CpusetCpus: "0",
      CgroupnsMode: "private",
      CgroupParent: "parent",
      DeviceCgroupRules: ["c 1:3 mr"],
      DnsOptions: ["use-vc"],
      DnsSearch: ["example.com"],
      Isolation: "default",
      MemoryReservation: 32 * MB,
      MemorySwappiness: 10,
      MemorySwap: -1,
      OomKillDisable: true,
      OomScoreAdj: 100,
      PidsLimit: 64,
      Runtime: "runc",
      SecurityOpt: ["no-new-privileges:true"],
      StorageOpt: { size: "1G" },
      UsernsMode: "host",
      UTSMode: "host",
    });
    const plain = spec(makeService("web", { image: "busybox" })).create.HostConfig as Record<string, unknown>;
    for (const key of ["Annotations", "CpuShares", "PidsLimit", "SecurityOpt", "DeviceRequests", "Links"])
      expect(plain).not.toHaveProperty(key);
  });

  it("deploy.resources win over the service-level limits; reservations become DeviceRequests", () => {
    const { create } = spec(
      makeService("web", {
        image: "busybox",
        cpus: 2,
        memLimit: 256 * MB,
        pidsLimit: 100,
        memReservation: 8 * MB,
        gpus: [{ capabilities: ["gpu"], count: -1, deviceIds: [], options: {} }],
        deploy: {
          resources: {
            limits: { cpus: 0.5, memory: 64 * MB, pids: 10 },
            reservations: {
              memory: 16 * MB,
              devices: [
                { capabilities: ["gpu", "utility"], deviceIds: ["0"], driver: "nvidia", options: { a: "b" } },
              ],
            },
          },
          restartPolicy: { condition: "on-failure", maxAttempts: 3 },
        },
      }),
    );
    expect(create.HostConfig).toMatchObject({
      NanoCpus: 500_000_000,
      Memory: 64 * MB,
      PidsLimit: 10,
      MemoryReservation: 16 * MB,
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
      DeviceRequests: [
        { Driver: "", Count: -1, DeviceIDs: [], Capabilities: [["gpu"]], Options: {} },
        {
          Driver: "nvidia",
          Count: 0,
          DeviceIDs: ["0"],
          Capabilities: [["gpu", "utility"]],
          Options: { a: "b" },
        },
      ],
    });
  });

  it("maps deploy.restart_policy conditions as Compose does (any: always, none: no)", () => {
    const policy = (condition?: string) =>
      spec(makeService("web", { image: "x", deploy: { restartPolicy: condition ? { condition } : {} } }))
        .create.HostConfig!.RestartPolicy;
    expect(policy("any")).toEqual({ Name: "always" });
    expect(policy("none")).toEqual({ Name: "" });
    expect(policy()).toEqual({ Name: "always" });
  });

  it("links name every container of the linked service, on HostConfig and each endpoint", () => {
    const db = makeService("db", { image: "x", replicas: 2 });
    const web = makeService("web", { image: "x", links: ["db:database"], externalLinks: ["redis:cache"] });
    const { create } = spec(web, makeProject("demo", [db, web]));
    const links = [
      "demo-db-1:database",
      "demo-db-1:db-1",
      "demo-db-1:demo-db-1",
      "demo-db-2:database",
      "demo-db-2:db-2",
      "demo-db-2:demo-db-2",
      "redis:cache",
    ];
    expect(create.HostConfig!.Links).toEqual(links);
    expect(create.NetworkingConfig!.EndpointsConfig!["demo_default"]!.Links).toEqual(links);
  });

  it("volumes_from names the service's first container; use_api_socket binds the engine socket", () => {
    const data = makeService("data", { image: "x", containerName: "the-data" });
    const web = makeService("web", {
      image: "x",
      volumesFrom: ["data:ro", "container:other:rw"],
      useApiSocket: true,
    });
    const { create } = spec(web, makeProject("demo", [data, web]));
    expect(create.HostConfig!.VolumesFrom).toEqual(["the-data:ro", "other:rw"]);
    expect(create.HostConfig!.Binds).toContain("/var/run/docker.sock:/var/run/docker.sock");
  });

  it("reads a seccomp profile file and sends it inline; systempaths=unconfined unmasks /proc", () => {
    const dir = mkdtempSync(join(tmpdir(), "composec-seccomp-"));
    writeFileSync(join(dir, "profile.json"), '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    const web = makeService("web", {
      image: "x",
      securityOpt: ["seccomp=profile.json", "seccomp=unconfined", "systempaths=unconfined"],
    });
    const project = { ...makeProject("demo", [web]), workingDir: dir };
    const hostConfig = spec(web, project).create.HostConfig as Record<string, unknown>;
    expect(hostConfig["SecurityOpt"]).toEqual([
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
      "seccomp=unconfined",
    ]);
    expect(hostConfig["MaskedPaths"]).toEqual([]);
    expect(hostConfig["ReadonlyPaths"]).toEqual([]);
    const missing = makeService("web", { image: "x", securityOpt: ["seccomp=nope.json"] });
    expect(() => spec(missing, { ...makeProject("demo", [missing]), workingDir: dir })).toThrow(EngineError);
  });

  it("orders networks by priority, and puts per-network settings on the endpoints", () => {
    const web = makeService("web", {
      image: "x",
      networks: {
        alpha: { aliases: [] },
        back: {
          aliases: ["api"],
          priority: 10,
          macAddress: "02:42:00:00:00:01",
          linkLocalIps: ["169.254.1.1"],
          driverOpts: { o: "1" },
          interfaceName: "eth5",
          gwPriority: 2,
        },
      },
    });
    const { create, connect } = spec(web);
    expect(create.HostConfig!.NetworkMode).toBe("demo_back");
    expect(create.MacAddress).toBe("02:42:00:00:00:01");
    expect(create.NetworkingConfig!.EndpointsConfig!["demo_back"]).toEqual({
      Aliases: ["demo-web-1", "web", "api"],
      IPAMConfig: { LinkLocalIPs: ["169.254.1.1"] },
      DriverOpts: { o: "1", "com.docker.network.endpoint.ifname": "eth5" },
      MacAddress: "02:42:00:00:00:01",
      GwPriority: 2,
    });
    expect(connect.map((extra) => extra.network)).toEqual(["demo_alpha"]);
  });

  it("maps long volume sub-options onto Binds and Mounts", () => {
    const web = makeService("web", {
      image: "x",
      volumes: [
        {
          type: "bind",
          source: "/a",
          target: "/a",
          readOnly: true,
          createHostPath: true,
          selinux: "z",
          propagation: "rshared",
        },
        {
          type: "bind",
          source: "/b",
          target: "/b",
          readOnly: false,
          createHostPath: false,
          recursive: "disabled",
          propagation: "rslave",
        },
        {
          type: "volume",
          source: "v",
          target: "/v",
          readOnly: false,
          nocopy: true,
          subpath: "s",
          labels: { k: "v" },
        },
        { type: "image", source: "alpine", target: "/img", readOnly: true, subpath: "etc" },
      ],
    });
    const { create } = spec(web);
    expect(create.HostConfig!.Binds).toEqual(["/a:/a:ro,z,rshared"]);
    expect(create.HostConfig!.Mounts).toEqual([
      {
        Type: "bind",
        Source: "/b",
        Target: "/b",
        ReadOnly: false,
        BindOptions: { Propagation: "rslave", NonRecursive: true },
      },
      {
        Type: "volume",
        Source: "demo_v",
        Target: "/v",
        ReadOnly: false,
        VolumeOptions: { NoCopy: true, Subpath: "s", Labels: { k: "v" } },
      },
      { Type: "image", Source: "alpine", Target: "/img", ReadOnly: true, ImageOptions: { Subpath: "etc" } },
    ]);
  });
});

describe("network create body", () => {
  it("carries IPAM and, only when written, EnableIPv4", () => {
    const network = makeNetwork("demo", "back", {
      enableIpv4: false,
      ipam: {
        driver: "default",
        config: [
          {
            subnet: "10.5.0.0/16",
            ipRange: "10.5.1.0/24",
            gateway: "10.5.0.1",
            auxAddresses: { h: "10.5.0.9" },
          },
        ],
        options: { o: "1" },
      },
    });
    expect(networkCreateBody("demo", "back", "demo_back", network)).toMatchObject({
      Name: "demo_back",
      EnableIPv4: false,
      IPAM: {
        Driver: "default",
        Config: [
          {
            Subnet: "10.5.0.0/16",
            IPRange: "10.5.1.0/24",
            Gateway: "10.5.0.1",
            AuxiliaryAddresses: { h: "10.5.0.9" },
          },
        ],
        Options: { o: "1" },
      },
    });
    expect(networkCreateBody("demo", "x", "demo_x", makeNetwork("demo", "x"))).not.toHaveProperty("IPAM");
    expect(networkCreateBody("demo", "x", "demo_x", makeNetwork("demo", "x"))).not.toHaveProperty(
      "EnableIPv4",
    );
  });
});

describe("fields the engine's API version cannot carry", () => {
  it("each is one problem naming the attribute and the version it needs", () => {
    const web = makeService("web", {
      image: "x",
      annotations: { a: "1" },
      networks: {
        first: { aliases: [], priority: 5, macAddress: "02:42:00:00:00:01" },
        second: { aliases: [], macAddress: "02:42:00:00:00:02", gwPriority: 1, interfaceName: "eth1" },
      },
      volumes: [
        { type: "volume", source: "v", target: "/v", readOnly: false, nocopy: false, subpath: "s" },
        { type: "image", source: "alpine", target: "/i", readOnly: true },
        {
          type: "bind",
          source: "/b",
          target: "/b",
          readOnly: true,
          createHostPath: true,
          recursive: "readonly",
        },
      ],
    });
    const project = makeProject("demo", [web]);
    project.networks["second"] = makeNetwork("demo", "second", { enableIpv4: false });
    const problems = apiVersionProblems(project, ["web"], "1.41").map((line) => line.split(" but ")[0]);
    expect(problems).toEqual([
      "services.web.annotations needs Docker Engine API 1.43 or newer,",
      "services.web.networks.second.mac_address needs Docker Engine API 1.44 or newer,",
      "services.web.networks.second.gw_priority needs Docker Engine API 1.48 or newer,",
      "services.web.networks.second.interface_name needs Docker Engine API 1.49 or newer,",
      "services.web.volumes[0].volume.subpath needs Docker Engine API 1.45 or newer,",
      "services.web.volumes[1].type: image needs Docker Engine API 1.48 or newer,",
      "services.web.volumes[2].bind.recursive needs Docker Engine API 1.44 or newer,",
      "networks.second.enable_ipv4 needs Docker Engine API 1.48 or newer,",
    ]);
    expect(apiVersionProblems(project, ["web"], "1.49")).toEqual([]);
  });
});
