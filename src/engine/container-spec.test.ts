import { describe, expect, it } from "vitest";
import { makeNetwork, makeProject, makeService } from "../model/project-builder.js";
import type { Service } from "../model/project.js";
import { containerSpec } from "./container-spec.js";

function spec(service: Service, project = makeProject("demo", [service])) {
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

describe("containerSpec", () => {
  it("maps the core process settings", () => {
    const { create } = spec(
      makeService("web", {
        image: "busybox",
        command: ["sleep", "1000"],
        entrypoint: ["/bin/sh", "-c"],
        environment: { A: "1", EMPTY: "", UNSET: null },
        user: "1000:1000",
        workingDir: "/srv",
        hostname: "web",
        domainname: "example.org",
        stopSignal: "SIGINT",
        stopGracePeriod: 2_500_000_000,
        tty: true,
        stdinOpen: true,
      }),
    );
    expect(create).toMatchObject({
      name: "demo-web-1",
      Image: "busybox",
      Cmd: ["sleep", "1000"],
      Entrypoint: ["/bin/sh", "-c"],
      Env: ["A=1", "EMPTY="],
      User: "1000:1000",
      WorkingDir: "/srv",
      Hostname: "web",
      Domainname: "example.org",
      StopSignal: "SIGINT",
      StopTimeout: 3,
      Tty: true,
      OpenStdin: true,
    });
    expect(create.Labels).toMatchObject({
      "com.docker.compose.project": "demo",
      "com.docker.compose.service": "web",
      "com.docker.compose.config-hash": "hash",
      "com.docker.compose.image": "sha256:img",
    });
  });

  it("leaves command and entrypoint to the image when unset or null", () => {
    const { create } = spec(makeService("web", { image: "busybox", command: null }));
    expect("Cmd" in create).toBe(false);
    expect("Entrypoint" in create).toBe(false);
    expect("User" in create).toBe(false);
  });

  it("joins the first network at create and lists the others, with Compose's aliases", () => {
    const service = makeService("web", {
      image: "busybox",
      networks: { front: { aliases: ["www"] }, back: { aliases: [], ipv4Address: "10.5.0.9" } },
    });
    const project = makeProject("demo", [service], {
      networks: {
        front: makeNetwork("demo", "front"),
        back: makeNetwork("demo", "back", { name: "custom_back" }),
      },
    });
    const result = spec(service, project);
    expect(result.create.HostConfig?.NetworkMode).toBe("custom_back");
    expect(result.create.NetworkingConfig).toEqual({
      EndpointsConfig: {
        custom_back: { Aliases: ["demo-web-1", "web"], IPAMConfig: { IPv4Address: "10.5.0.9" } },
      },
    });
    expect(result.connect).toEqual([
      { network: "demo_front", endpoint: { Aliases: ["demo-web-1", "web", "www"] } },
    ]);
  });

  it("uses network_mode as given, with no endpoints", () => {
    const result = spec(makeService("web", { image: "busybox", networkMode: "host" }));
    expect(result.create.HostConfig?.NetworkMode).toBe("host");
    expect(result.create.NetworkingConfig).toBeUndefined();
    expect(result.connect).toEqual([]);
  });

  it("mounts binds, named and anonymous volumes, and tmpfs", () => {
    const service = makeService("web", {
      image: "busybox",
      volumes: [
        { type: "bind", source: "/srv/site", target: "/site", readOnly: true, createHostPath: true },
        { type: "bind", source: "/srv/conf", target: "/conf", readOnly: false, createHostPath: false },
        { type: "volume", source: "data", target: "/data", readOnly: false, nocopy: true },
        { type: "volume", target: "/cache", readOnly: false, nocopy: false },
        { type: "tmpfs", target: "/scratch", readOnly: false, size: 1024, mode: 0o700 },
      ],
      tmpfs: ["/tmp", "/run:size=64k"],
    });
    const host = spec(service).create.HostConfig!;
    expect(host.Binds).toEqual(["/srv/site:/site:ro"]);
    expect(host.Mounts).toEqual([
      { Type: "bind", Source: "/srv/conf", Target: "/conf", ReadOnly: false },
      {
        Type: "volume",
        Source: "demo_data",
        Target: "/data",
        ReadOnly: false,
        VolumeOptions: { NoCopy: true },
      },
      { Type: "volume", Target: "/cache", ReadOnly: false },
      { Type: "tmpfs", Target: "/scratch", ReadOnly: false, TmpfsOptions: { SizeBytes: 1024, Mode: 0o700 } },
    ]);
    expect(host.Tmpfs).toEqual({ "/tmp": "", "/run": "size=64k" });
  });

  it("publishes and exposes ports", () => {
    const { create } = spec(
      makeService("web", {
        image: "busybox",
        ports: [
          { target: 80, published: "8080", hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" },
          { target: 80, published: "8081", protocol: "tcp", mode: "ingress" },
          { target: 53, protocol: "udp", mode: "ingress" },
        ],
        expose: ["3000-3001", "4000/udp"],
      }),
    );
    expect(create.HostConfig?.PortBindings).toEqual({
      "80/tcp": [
        { HostIp: "127.0.0.1", HostPort: "8080" },
        { HostIp: "", HostPort: "8081" },
      ],
      "53/udp": [{ HostIp: "", HostPort: "" }],
    });
    expect(Object.keys(create.ExposedPorts ?? {}).sort()).toEqual([
      "3000/tcp",
      "3001/tcp",
      "4000/udp",
      "53/udp",
      "80/tcp",
    ]);
  });

  it("maps restart, read_only, healthcheck and resource settings", () => {
    const { create } = spec(
      makeService("web", {
        image: "busybox",
        restart: "on-failure:3",
        readOnly: true,
        init: true,
        privileged: true,
        capAdd: ["NET_ADMIN"],
        capDrop: ["ALL"],
        extraHosts: ["db:10.0.0.2"],
        dns: ["10.0.0.53"],
        ulimits: { nofile: { soft: 1024, hard: 2048 } },
        shmSize: 65536,
        sysctls: { "net.core.somaxconn": "1024" },
        devices: ["/dev/fuse"],
        memLimit: 64 * 1024 * 1024,
        cpus: 0.5,
        pid: "host",
        ipc: "shareable",
        groupAdd: ["audio"],
        healthcheck: { test: ["CMD", "true"], disable: false, interval: 1e9, retries: 3 },
      }),
    );
    expect(create.HostConfig).toMatchObject({
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
      ReadonlyRootfs: true,
      Init: true,
      Privileged: true,
      CapAdd: ["NET_ADMIN"],
      CapDrop: ["ALL"],
      ExtraHosts: ["db:10.0.0.2"],
      Dns: ["10.0.0.53"],
      Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
      ShmSize: 65536,
      Sysctls: { "net.core.somaxconn": "1024" },
      Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }],
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidMode: "host",
      IpcMode: "shareable",
      GroupAdd: ["audio"],
    });
    expect(create.Healthcheck).toEqual({ Test: ["CMD", "true"], Interval: 1e9, Retries: 3 });
    expect(spec(makeService("x", { healthcheck: { disable: true } })).create.Healthcheck).toEqual({
      Test: ["NONE"],
    });
    expect(spec(makeService("x", { restart: "no" })).create.HostConfig?.RestartPolicy).toEqual({ Name: "" });
  });

  it("asks for the service's platform (the create's platform query parameter) only when set", () => {
    expect(spec(makeService("web", { image: "busybox", platform: "linux/amd64" })).create).toMatchObject({
      platform: "linux/amd64",
    });
    expect(spec(makeService("web", { image: "busybox" })).create).not.toHaveProperty("platform");
  });

  it("sends logging as the HostConfig's LogConfig, and nothing without it (the engine's default)", () => {
    const logging = { driver: "local", options: { "max-size": "10m", "max-file": "3" } };
    expect(spec(makeService("web", { image: "busybox", logging })).create.HostConfig?.LogConfig).toEqual({
      Type: "local",
      Config: { "max-size": "10m", "max-file": "3" },
    });
    const optionsOnly = makeService("web", { image: "busybox", logging: { options: { "max-size": "1m" } } });
    expect(spec(optionsOnly).create.HostConfig?.LogConfig).toEqual({
      Type: "",
      Config: { "max-size": "1m" },
    });
    expect(spec(makeService("web", { image: "busybox" })).create.HostConfig).not.toHaveProperty("LogConfig");
  });
});
