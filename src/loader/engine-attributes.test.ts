// The engine attributes of issue 11 as the loader reads them: every written form to the model's one
// form (units as the Engine API counts them), bad values as located errors, and the override rules
// of their kind when files are merged (compose-go's).
import { describe, expect, it } from "vitest";
import { makeService } from "../model/project-builder.js";
import { ENGINE_KEYS } from "./canonicalize-engine.js";
import { loadFail, loadOk } from "./test-helpers.js";

const service = async (yaml: string) => {
  const { project, warnings } = await loadOk({ "compose.yaml": yaml });
  return { service: project.services["web"]!, project, warnings };
};

const two = (base: string, override: string) =>
  loadOk({ "base.yaml": base, "override.yaml": override }, { files: ["base.yaml", "override.yaml"] });

describe("engine attributes: forms", () => {
  it("reads resources in the Engine API's units", async () => {
    const { service: web, warnings } = await service(`
      services:
        web:
          image: busybox
          cpu_shares: "512"
          cpu_quota: 50000
          cpu_period: 100000
          cpu_rt_period: 1400us
          cpu_rt_runtime: 950000
          cpuset: 0-1
          mem_reservation: 32m
          memswap_limit: -1
          mem_swappiness: 10
          oom_kill_disable: "true"
          oom_score_adj: -500
          pids_limit: -1
          blkio_config:
            weight: 300
            device_read_bps: [{path: /dev/sda, rate: 1mb}]
            device_write_iops: [{path: /dev/sda, rate: "100"}]
    `);
    expect(warnings).toEqual([]);
    expect(web).toMatchObject({
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpuRtPeriod: 1400,
      cpuRtRuntime: 950000,
      cpuset: "0-1",
      memReservation: 32 * 1024 * 1024,
      memswapLimit: -1,
      memSwappiness: 10,
      oomKillDisable: true,
      oomScoreAdj: -500,
      pidsLimit: -1,
      blkioConfig: {
        weight: 300,
        weightDevice: [],
        deviceReadBps: [{ path: "/dev/sda", rate: 1024 * 1024 }],
        deviceWriteIops: [{ path: "/dev/sda", rate: 100 }],
      },
    });
  });

  it("reads devices in both forms, gpus and extra_hosts lists into one form each", async () => {
    const { service: web } = await service(`
      services:
        web:
          image: busybox
          devices:
            - /dev/fuse
            - /dev/sda:/dev/xvda:r
            - {source: /dev/null, target: /dev/mynull, permissions: rw}
            - {source: /dev/zero}
          gpus: all
          extra_hosts:
            - "a:10.0.0.1"
            - "b=10.0.0.2,10.0.0.3"
            - "c=::1"
            - "d:fe80::1"
    `);
    expect(web.devices).toEqual([
      "/dev/fuse:/dev/fuse:rwm",
      "/dev/sda:/dev/xvda:r",
      "/dev/null:/dev/mynull:rw",
      "/dev/zero:/dev/zero:rwm",
    ]);
    expect(web.gpus).toEqual([{ capabilities: ["gpu"], count: -1, deviceIds: [], options: {} }]);
    expect(web.extraHosts).toEqual(["a:10.0.0.1", "b:10.0.0.2", "b:10.0.0.3", "c:::1", "d:fe80::1"]);
    const mapped = await service(`
      services:
        web:
          image: busybox
          extra_hosts: {a: 10.0.0.1, b: [10.0.0.2, 10.0.0.3]}
    `);
    expect(mapped.service.extraHosts).toEqual(["a:10.0.0.1", "b:10.0.0.2", "b:10.0.0.3"]);
  });

  it("types deploy: resources and restart_policy run, the Swarm-only rest kept with a warning each", async () => {
    const { service: web, warnings } = await service(`
      services:
        web:
          image: busybox
          deploy:
            replicas: 2
            mode: replicated
            resources:
              limits: {cpus: "0.5", memory: 64m, pids: 10}
              reservations:
                cpus: "0.1"
                memory: 16m
                devices: [{capabilities: [gpu], count: all, driver: nvidia}]
            restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}
            placement: {constraints: ["node.role == manager"]}
    `);
    expect(web.replicas).toBe(2);
    expect(web.deploy).toEqual({
      mode: "replicated",
      resources: {
        limits: { cpus: 0.5, memory: 64 * 1024 * 1024, pids: 10 },
        reservations: {
          cpus: 0.1,
          memory: 16 * 1024 * 1024,
          devices: [{ capabilities: ["gpu"], count: -1, deviceIds: [], driver: "nvidia", options: {} }],
        },
      },
      restartPolicy: { condition: "on-failure", maxAttempts: 3, delay: 5e9 },
      placement: { constraints: ["node.role == manager"], preferences: [] },
    });
    expect(warnings.map((line) => line.split(": ")[0]!.replace(/^compose\.yaml:\d+:\d+ /, ""))).toEqual([
      "services.web.deploy.mode",
      "services.web.deploy.placement",
      "services.web.deploy.resources.reservations.cpus",
    ]);
  });

  it("links and volumes_from imply depends_on, as compose-go infers them", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          db: {image: busybox}
          data: {image: busybox}
          web:
            image: busybox
            links: ["db:database"]
            volumes_from: ["data:ro", "container:other"]
      `,
    });
    expect(Object.keys(project.services["web"]!.dependsOn).sort()).toEqual(["data", "db"]);
  });

  it("reads per-network settings and top-level ipam", async () => {
    const { service: web, project } = await service(`
      services:
        web:
          image: busybox
          networks:
            back:
              interface_name: eth1
              priority: 100
              gw_priority: 1
              mac_address: "02:42:ac:11:00:02"
              link_local_ips: [169.254.1.1]
              driver_opts: {opt: 1}
      networks:
        back:
          enable_ipv4: false
          ipam:
            driver: default
            config:
              - {subnet: 10.5.0.0/16, ip_range: 10.5.1.0/24, gateway: 10.5.0.1, aux_addresses: {h: 10.5.0.9}}
            options: {foo: bar}
    `);
    expect(web.networks["back"]).toEqual({
      aliases: [],
      interfaceName: "eth1",
      priority: 100,
      gwPriority: 1,
      macAddress: "02:42:ac:11:00:02",
      linkLocalIps: ["169.254.1.1"],
      driverOpts: { opt: "1" },
    });
    expect(project.networks["back"]).toMatchObject({
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
        options: { foo: "bar" },
      },
    });
  });

  it("reads the long volume sub-options and type image", async () => {
    const { service: web } = await service(`
      services:
        web:
          image: busybox
          volumes:
            - {type: bind, source: ./a, target: /a, bind: {propagation: rshared, selinux: Z, recursive: disabled}}
            - {type: volume, source: v, target: /v, volume: {subpath: sub, labels: [k=v]}}
            - {type: tmpfs, target: /t, tmpfs: {mode: "1777"}}
            - {type: image, source: alpine, target: /img, image: {subpath: etc}}
            - ./b:/b:ro,z,rslave
      volumes:
        v: {}
    `);
    expect(
      web.volumes.map((mount) => {
        const { source: _source, ...rest } = mount as typeof mount & { source?: string };
        return rest;
      }),
    ).toEqual([
      {
        type: "bind",
        target: "/a",
        readOnly: false,
        createHostPath: true,
        propagation: "rshared",
        selinux: "Z",
        recursive: "disabled",
      },
      { type: "volume", target: "/v", readOnly: false, nocopy: false, subpath: "sub", labels: { k: "v" } },
      { type: "tmpfs", target: "/t", readOnly: false, mode: 0o1777 },
      { type: "image", target: "/img", readOnly: true, subpath: "etc" },
      {
        type: "bind",
        target: "/b",
        readOnly: true,
        createHostPath: true,
        propagation: "rslave",
        selinux: "z",
      },
    ]);
  });
});

describe("engine attributes: bad values", () => {
  it("are located errors naming the path, the value and what is valid", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            cgroup: shared
            oom_score_adj: 5000
            devices: [{source: dev/fuse}]
            cpu_rt_runtime: soon
            security_opt: [nonsense]
            volumes_from: ["a:b:c"]
            extra_hosts: [nohost]
            deploy:
              mode: everywhere
              resources:
                reservations:
                  devices: [{count: 1, device_ids: ["0"]}]
      `,
    });
    const find = (path: string) => errors.find((line) => line.includes(` ${path}: `));
    expect(find("services.web.cgroup")).toMatch(
      /^compose\.yaml:4:\d+ .*must be host or private, not "shared"/,
    );
    expect(find("services.web.oom_score_adj")).toContain('"5000" is out of range; use -1000 to 1000');
    expect(find("services.web.devices[0]")).toContain("is not a device; use HOST[:CONTAINER[:PERMISSIONS]]");
    expect(find("services.web.cpu_rt_runtime")).toContain("must be microseconds, or a duration");
    expect(find("services.web.security_opt[0]")).toContain('"nonsense" is not a security option');
    expect(find("services.web.volumes_from[0]")).toContain('"a:b:c" is not a volumes_from entry');
    expect(find("services.web.extra_hosts")).toContain('"nohost" has no address');
    expect(find("services.web.deploy.mode")).toContain('"everywhere" is not a deploy mode');
    expect(find("services.web.deploy.resources.reservations.devices[0].capabilities")).toContain(
      "is required",
    );
    expect(find("services.web.deploy.resources.reservations.devices[0]")).toBeDefined();
  });

  it("an attribute unknown to the spec is still an error with a did-you-mean", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    cpu_share: 5\n",
    });
    expect(errors[0]).toContain('unknown attribute "cpu_share" in a service; did you mean "cpu_shares"?');
  });
});

describe("engine attributes: merging files", () => {
  it("scalars replace, mappings merge by key, lists append unique, devices by container path", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: busybox
            cpu_shares: 100
            annotations: {a: "1", b: "2"}
            dns_search: [one.example]
            security_opt: [no-new-privileges:true]
            devices: [/dev/a:/dev/x, /dev/b]
            storage_opt: {size: 1G}
      `,
      `
        services:
          web:
            cpu_shares: 200
            annotations: {b: "3"}
            dns_search: [one.example, two.example]
            security_opt: [apparmor=unconfined]
            devices: [/dev/c:/dev/x]
            storage_opt: {other: x}
      `,
    );
    expect(project.services["web"]).toMatchObject({
      cpuShares: 200,
      annotations: { a: "1", b: "3" },
      dnsSearch: ["one.example", "two.example"],
      securityOpt: ["no-new-privileges:true", "apparmor=unconfined"],
      devices: ["/dev/c:/dev/x:rwm", "/dev/b:/dev/b:rwm"],
      storageOpt: { size: "1G", other: "x" },
    });
  });

  it("deploy and blkio_config merge deeply; a network's settings merge per network; ipam pools by subnet", async () => {
    const { project } = await two(
      `
        services:
          web:
            image: busybox
            deploy:
              resources:
                limits: {cpus: "1", memory: 64m}
                reservations: {devices: [{capabilities: [gpu]}]}
            blkio_config: {weight: 100, device_read_bps: [{path: /dev/a, rate: 1}]}
            networks:
              back: {aliases: [a], priority: 1}
        networks:
          back:
            ipam:
              config: [{subnet: 10.1.0.0/16, gateway: 10.1.0.1}]
              options: {x: "1"}
      `,
      `
        services:
          web:
            deploy:
              resources:
                limits: {memory: 128m}
                reservations: {devices: [{capabilities: [tpu]}]}
            blkio_config: {device_read_bps: [{path: /dev/b, rate: 2}]}
            networks:
              back: {aliases: [b], gw_priority: 3}
        networks:
          back:
            ipam:
              config: [{subnet: 10.1.0.0/16, ip_range: 10.1.2.0/24}, {subnet: 10.2.0.0/16}]
              options: {y: "2"}
      `,
    );
    const web = project.services["web"]!;
    expect(web.deploy?.resources?.limits).toEqual({ cpus: 1, memory: 128 * 1024 * 1024 });
    expect(web.deploy?.resources?.reservations?.devices.map((device) => device.capabilities)).toEqual([
      ["gpu"],
      ["tpu"],
    ]);
    expect(web.blkioConfig).toMatchObject({
      weight: 100,
      deviceReadBps: [
        { path: "/dev/a", rate: 1 },
        { path: "/dev/b", rate: 2 },
      ],
    });
    expect(web.networks["back"]).toEqual({ aliases: ["a", "b"], priority: 1, gwPriority: 3 });
    expect(project.networks["back"]!.ipam).toEqual({
      config: [
        { subnet: "10.1.0.0/16", gateway: "10.1.0.1", ipRange: "10.1.2.0/24", auxAddresses: {} },
        { subnet: "10.2.0.0/16", auxAddresses: {} },
      ],
      options: { x: "1", y: "2" },
    });
  });
});

describe("engine attributes: references", () => {
  it("links and volumes_from to an unknown service are errors where they are written", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          db: {image: busybox}
          web:
            image: busybox
            links: [dbb]
            volumes_from: [data, "container:outside"]
            mac_address: "02:42:00:00:00:01"
            networks:
              back: {mac_address: "02:42:00:00:00:02"}
        networks:
          back: {}
      `,
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /^compose\.yaml:5:13 services\.web\.links\[0\]: service "dbb" is not defined; did you mean "db"\?/,
      ),
      expect.stringMatching(
        /^compose\.yaml:6:20 services\.web\.volumes_from\[0\]: service "data" is not defined/,
      ),
      expect.stringMatching(
        /services\.web\.mac_address: "02:42:00:00:00:01" differs from networks\.back\.mac_address/,
      ),
    ]);
  });
});

describe("engine attributes: each read on its own", () => {
  // canonicalize.ts skips the engine settings of a service that writes none of ENGINE_KEYS: each
  // key, written alone, must still reach the model.
  const samples: Record<string, string> = {
    annotations: "{a: b}",
    blkio_config: "{weight: 100}",
    cpu_count: "1",
    cpu_percent: "10",
    cpu_shares: "10",
    cpu_quota: "10",
    cpu_period: "10",
    cpu_rt_period: "10",
    cpu_rt_runtime: "10",
    cpuset: '"0"',
    cgroup: "host",
    cgroup_parent: "p",
    credential_spec: "{file: f}",
    device_cgroup_rules: '["c 1:3 r"]',
    dns_opt: "[a]",
    dns_search: "[a]",
    external_links: "[a]",
    links: "[web]",
    gpus: "all",
    isolation: "default",
    mac_address: '"02:42:00:00:00:01"',
    mem_reservation: "1m",
    mem_swappiness: "1",
    memswap_limit: "1g",
    oom_kill_disable: "true",
    oom_score_adj: "1",
    pids_limit: "1",
    runtime: "runc",
    security_opt: "[label=disable]",
    storage_opt: "{size: 1G}",
    userns_mode: "host",
    uts: "host",
    volumes_from: '["container:x"]',
    use_api_socket: "true",
    deploy: "{mode: global}",
  };
  it("has a sample for every key, and a service without them has no field beyond the defaults", async () => {
    expect(Object.keys(samples).sort()).toEqual([...ENGINE_KEYS].sort());
    const { project } = await loadOk({ "compose.yaml": "services:\n  web:\n    image: busybox\n" });
    const bare = Object.keys(makeService("web", { networks: {} }));
    expect(Object.keys(project.services["web"]!).filter((field) => !bare.includes(field))).toEqual(["image"]);
  });
  it.each(Object.keys(samples))("%s", async (key) => {
    const { project } = await loadOk({
      "compose.yaml": `services:\n  web:\n    image: busybox\n    ${key}: ${samples[key]}\n`,
    });
    const fields = Object.keys(project.services["web"]!);
    const bare = Object.keys(makeService("web", { networks: {} }));
    expect(fields.filter((field) => !bare.includes(field) && field !== "image").length).toBeGreaterThan(0);
  });
});
