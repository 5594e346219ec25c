// Intent: every compose file of the attribute corpus (test/corpus/attributes/, one per attribute
// group) is run through the built CLI against the real engine, and what the engine created is
// inspected: each attribute must be on the container, network or volume as Compose puts it there.
// `config` of `config`'s output must be the same text, for every corpus file. Containers are
// created (`composec create`) and inspected; those this machine can run are then started. It has no
// GPU: a container with a device request is created and inspected, never started.
import { existsSync } from "node:fs";
import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  removeProjectResources,
  repoRoot,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

const corpus = path.join(repoRoot, "test/corpus/attributes");
const files = (await readdir(corpus)).filter((file) => file.endsWith(".yaml")).sort();

type Inspect = Docker.ContainerInspectInfo & { HostConfig: Record<string, unknown> };
interface Created {
  project: string;
  dir: string;
  container: (service: string, number?: number) => Promise<Inspect>;
  network: (key: string) => Promise<Record<string, unknown>>;
  volume: (key: string) => Promise<Record<string, unknown>>;
}

interface Case {
  /** Services started after the inspection (the others cannot run on this machine). */
  start: string[];
  /** Warnings `create` must print: attributes not run by design. */
  warns?: string[];
  check: (created: Created) => Promise<void>;
}

const MB = 1024 * 1024;

/** What each corpus file must create; a file without a case fails the test below. */
const CASES: Record<string, Case> = {
  "resources.yaml": {
    // cpu_rt_runtime needs real-time budget in the engine's parent cgroup, which this engine lacks.
    start: ["memory", "limits", "windows-only"],
    async check({ container }) {
      const cpu = (await container("cpu")).HostConfig;
      expect(cpu).toMatchObject({
        CpuShares: 512,
        CpuPeriod: 100000,
        CpuQuota: 50000,
        CpusetCpus: "0",
        CpuRealtimePeriod: 1000000,
        CpuRealtimeRuntime: 950000,
      });
      const memory = (await container("memory")).HostConfig;
      expect(memory).toMatchObject({
        Memory: 64 * MB,
        MemoryReservation: 32 * MB,
        MemorySwap: 128 * MB,
        MemorySwappiness: 10,
        OomKillDisable: false,
        OomScoreAdj: 500,
        PidsLimit: 64,
        BlkioDeviceReadBps: [{ Path: "/dev/vda", Rate: 10 * MB }],
        BlkioDeviceWriteIOps: [{ Path: "/dev/vda", Rate: 100 }],
      });
      // Weights need the kernel's blkio weight controller (CFQ/BFQ); without it the engine keeps 0,
      // and says so in its create warnings. What composec sent is asserted in container-spec.test.ts.
      const weights = existsSync("/sys/fs/cgroup/blkio/blkio.weight");
      expect([memory["BlkioWeight"], memory["BlkioWeightDevice"]]).toEqual(
        weights ? [300, [{ Path: "/dev/vda", Weight: 400 }]] : [0, []],
      );
      // deploy.resources wins over cpus and mem_limit, as in Compose.
      const limits = (await container("limits")).HostConfig;
      expect(limits).toMatchObject({
        NanoCpus: 500_000_000,
        Memory: 48 * MB,
        PidsLimit: 32,
        MemoryReservation: 16 * MB,
      });
      // Windows-only settings ("run, with a limit"): Engine 20.10 on Linux keeps CpuCount, unused,
      // and discards CpuPercent with a create warning; the container still runs (started below).
      const windows = (await container("windows-only")).HostConfig;
      expect([windows["CpuCount"], windows["CpuPercent"]]).toEqual([2, 0]);
    },
  },
  "security.yaml": {
    start: ["locked", "unmasked"],
    async check({ container, dir }) {
      const locked = (await container("locked")).HostConfig;
      const profile = JSON.parse(await readFile(path.join(dir, "seccomp.json"), "utf8")) as unknown;
      const options = locked["SecurityOpt"] as string[];
      expect(options[0]).toBe("no-new-privileges:true");
      expect(JSON.parse(options[1]!.slice("seccomp=".length))).toEqual(profile);
      expect(options[2]).toBe("apparmor=unconfined");
      expect(locked["UsernsMode"]).toBe("host");
      const unmasked = (await container("unmasked")).HostConfig;
      expect(unmasked["SecurityOpt"]).toEqual(["label=disable"]);
      expect(unmasked["MaskedPaths"]).toEqual([]);
      expect(unmasked["ReadonlyPaths"]).toEqual([]);
    },
  },
  "devices.yaml": {
    start: ["plain"],
    async check({ container }) {
      const plain = (await container("plain")).HostConfig;
      expect(plain["Devices"]).toEqual([
        { PathOnHost: "/dev/zero", PathInContainer: "/dev/zero", CgroupPermissions: "rwm" },
        { PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "r" },
        { PathOnHost: "/dev/urandom", PathInContainer: "/dev/myrandom", CgroupPermissions: "rw" },
      ]);
      expect(plain["DeviceCgroupRules"]).toEqual(["c 1:3 mr", "a 7:* rmw"]);
      expect((await container("gpu-all")).HostConfig["DeviceRequests"]).toEqual([
        { Driver: "", Count: -1, DeviceIDs: [], Capabilities: [["gpu"]], Options: {} },
      ]);
      expect((await container("gpu-listed")).HostConfig["DeviceRequests"]).toEqual([
        {
          Driver: "nvidia",
          Count: 0,
          DeviceIDs: ["0", "1"],
          Capabilities: [["compute", "gpu"]],
          Options: {},
        },
        {
          Driver: "nvidia",
          Count: 2,
          DeviceIDs: [],
          Capabilities: [["gpu", "utility"]],
          Options: { virtualization: "false" },
        },
      ]);
    },
  },
  "dns-hosts.yaml": {
    start: ["db", "web", "mapped"],
    async check({ container, project }) {
      const web = (await container("web")).HostConfig;
      expect(web).toMatchObject({
        Dns: ["10.0.0.53"],
        DnsOptions: ["use-vc", "ndots:2"],
        DnsSearch: ["example.com", "internal.example"],
        ExtraHosts: ["alpha:10.1.0.1", "beta:10.1.0.2", "beta:10.1.0.3", "gamma:::1"],
      });
      // On a user-defined network the engine takes links from the endpoint, not HostConfig.Links.
      const db = `${project}-db-1`;
      const endpoint = (await container("web")).NetworkSettings.Networks[`${project}_default`] as unknown as {
        Links: string[];
      };
      expect(endpoint.Links).toEqual([`${db}:database`, `${db}:db-1`, `${db}:${project}-db-1`]);
      const mapped = (await container("mapped")).HostConfig;
      expect(mapped["DnsSearch"]).toEqual(["single.example"]);
      expect(mapped["ExtraHosts"]).toEqual(["delta:10.2.0.1", "epsilon:10.2.0.2", "epsilon:10.2.0.3"]);
    },
  },
  "namespaces.yaml": {
    // cgroup_parent names a cgroup this engine's cgroupfs driver makes at start.
    start: ["data", "app"],
    async check({ container, project }) {
      const app = (await container("app")).HostConfig;
      expect(app).toMatchObject({
        CgroupnsMode: "private",
        CgroupParent: "composec-corpus",
        UTSMode: "host",
        Runtime: "runc",
        Isolation: "default",
        VolumesFrom: [`${project}-data-1:ro`],
      });
      expect(app["Binds"]).toContain("/var/run/docker.sock:/var/run/docker.sock");
    },
  },
  "networks.yaml": {
    start: ["app"],
    async check({ container, network, project }) {
      const back = await network("back");
      expect(back["IPAM"]).toEqual({
        Driver: "default",
        Options: {},
        Config: [
          {
            Subnet: "10.213.47.0/24",
            IPRange: "10.213.47.0/25",
            Gateway: "10.213.47.1",
            AuxiliaryAddresses: { printer: "10.213.47.200" },
          },
        ],
      });
      expect((await network("front"))["IPAM"]).toMatchObject({ Config: [{ Subnet: "10.213.48.0/24" }] });
      const app = await container("app");
      // priority 10 makes back the primary network, the one the container is created on.
      expect(app.HostConfig["NetworkMode"]).toBe(`${project}_back`);
      expect(app.Config).toMatchObject({ MacAddress: "02:42:0a:d5:2f:14" });
      const endpoints = app.NetworkSettings.Networks as Record<string, Record<string, unknown>>;
      expect(endpoints[`${project}_back`]).toMatchObject({
        IPAMConfig: { IPv4Address: "10.213.47.20", LinkLocalIPs: ["169.254.10.10"] },
        Aliases: expect.arrayContaining(["api", "app"]),
      });
      const started = await docker.getContainer(app.Id).inspect();
      const front = (started.NetworkSettings.Networks as Record<string, Record<string, unknown>>)[
        `${project}_front`
      ];
      expect(front?.["DriverOpts"]).toEqual({ "com.example.opt": "1" });
      expect(
        (started.NetworkSettings.Networks as Record<string, Record<string, unknown>>)[`${project}_back`]?.[
          "MacAddress"
        ],
      ).toBe("02:42:0a:d5:2f:14");
    },
  },
  "volumes.yaml": {
    start: ["app"],
    async check({ container, dir, volume }) {
      const app = (await container("app")).HostConfig;
      const data = path.join(dir, "data");
      expect(app["Binds"]).toEqual([`${data}:/data:rprivate`, `${data}:/labelled:ro,z`]);
      expect(app["Mounts"]).toEqual([
        expect.objectContaining({
          Type: "volume",
          Target: "/cache",
          VolumeOptions: { NoCopy: true, Labels: { purpose: "cache" } },
        }),
        expect.objectContaining({
          Type: "tmpfs",
          Target: "/scratch",
          TmpfsOptions: { SizeBytes: 8 * MB, Mode: 0o1770 },
        }),
      ]);
      expect(await volume("cache")).toMatchObject({ Driver: "local" });
    },
  },
  "deploy.yaml": {
    start: ["worker"],
    warns: ["mode", "endpoint_mode", "labels", "placement", "update_config", "rollback_config"].map(
      (key) => `services.worker.deploy.${key}: composec does not run "${key}" (Swarm only`,
    ),
    async check({ container }) {
      for (const number of [1, 2]) {
        expect((await container("worker", number)).HostConfig["RestartPolicy"]).toEqual({
          Name: "on-failure",
          MaximumRetryCount: 3,
        });
      }
    },
  },
};

/** Files whose attributes Engine API 1.41 cannot carry: the errors `create` must give instead. */
const REFUSED: Record<string, string[]> = {
  "newer-api.yaml": [
    "services.app.annotations needs Docker Engine API 1.43 or newer",
    "services.app.networks.second.mac_address needs Docker Engine API 1.44 or newer",
    "services.app.networks.second.gw_priority needs Docker Engine API 1.48 or newer",
    "services.app.networks.second.interface_name needs Docker Engine API 1.49 or newer",
    "services.app.volumes[0].volume.subpath needs Docker Engine API 1.45 or newer",
    "services.app.volumes[1].type: image needs Docker Engine API 1.48 or newer",
    "networks.second.enable_ipv4 needs Docker Engine API 1.48 or newer",
  ],
};

describe("the attribute corpus", () => {
  it("has a case for every file, and every case a file", () => {
    expect(files).toEqual(Object.keys({ ...CASES, ...REFUSED }).sort());
  });

  it.each(files)("config of config's output is the same text: %s", async (file) => {
    const dir = await copyCorpus();
    const first = await cli(["-p", "corpus", "-f", file, "config"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(["-p", "corpus", "-f", "-", "config"], { cwd: dir, input: first.stdout });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });
});

describe.each(Object.keys(CASES))("%s on the engine", (file) => {
  const project = uniqueProjectName(`corpus-${file.replace(/\.yaml$/, "")}`);
  let dir: string;
  beforeAll(async () => {
    await removeProjectResources(project);
    dir = await copyCorpus();
  });
  afterAll(async () => {
    await removeProjectResources(project);
    await cleanupTempProjects();
  });

  it("creates what the file says, and starts what can run here", async () => {
    const created = await cli(["-p", project, "-f", file, "create"], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const { check, start, warns = [] } = CASES[file]!;
    for (const warning of warns) expect(created.stderr).toContain(warning);
    // Everything else in the corpus is run: no other "does not run" warning.
    expect(created.stderr.split("\n").filter((line) => line.includes("does not run")).length).toBe(
      warns.length,
    );
    await check({
      project,
      dir,
      container: async (service, number = 1) =>
        (await docker.getContainer(`${project}-${service}-${number}`).inspect()) as Inspect,
      network: async (key) =>
        (await docker.getNetwork(`${project}_${key}`).inspect()) as unknown as Record<string, unknown>,
      volume: async (key) =>
        (await docker.getVolume(`${project}_${key}`).inspect()) as unknown as Record<string, unknown>,
    });
    const started = await cli(["-p", project, "-f", file, "start", ...start], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    for (const service of start) {
      const state = (await docker.getContainer(`${project}-${service}-1`).inspect()).State;
      expect(state.Running, `${service}: ${state.Error}`).toBe(true);
    }
  });
});

describe.each(Object.keys(REFUSED))("%s on an engine of API 1.41", (file) => {
  const project = uniqueProjectName("corpus-refused");
  afterAll(async () => {
    await removeProjectResources(project);
    await cleanupTempProjects();
  });

  it("is refused with one error per attribute, naming the API version it needs; nothing is created", async () => {
    const dir = await copyCorpus();
    const result = await cli(["-p", project, "-f", file, "create"], { cwd: dir });
    expect(result.code).toBe(1);
    for (const message of REFUSED[file]!) expect(result.stderr).toContain(message);
    const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect(await docker.listVolumes({ filters })).toMatchObject({ Volumes: [] });
  });
});

describe("a changed engine attribute", () => {
  const project = uniqueProjectName("corpus-change");
  afterAll(async () => {
    await removeProjectResources(project);
    await cleanupTempProjects();
  });

  it("recreates the container with the new value; an unchanged file leaves it alone", async () => {
    const file = (shares: number) =>
      `services:\n  app:\n    image: composec-test/busybox:1\n    command: [sleep, "300"]\n    cpu_shares: ${shares}\n    security_opt: [no-new-privileges:true]\n`;
    const dir = await tempProject({ "compose.yaml": file(512) });
    const up = async () => {
      const result = await cli(["-p", project, "up", "-d"], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      return docker.getContainer(`${project}-app-1`).inspect();
    };
    const first = await up();
    expect(first.HostConfig.CpuShares).toBe(512);
    expect((await up()).Id).toBe(first.Id);
    await writeFile(path.join(dir, "compose.yaml"), file(1024));
    const second = await up();
    expect(second.Id).not.toBe(first.Id);
    expect(second.HostConfig.CpuShares).toBe(1024);
  });
});

describe("storage_opt on this engine's storage driver", () => {
  const project = uniqueProjectName("corpus-storage");
  afterAll(async () => {
    await removeProjectResources(project);
    await cleanupTempProjects();
  });

  it("is sent to the engine, whose refusal (overlay2 on ext4 has no size quota) is one clear error", async () => {
    const dir = await tempProject({
      "compose.yaml": `services:\n  app:\n    image: composec-test/busybox:1\n    storage_opt:\n      size: 1G\n`,
    });
    const result = await cli(["-p", project, "create"], { cwd: dir });
    const info = (await docker.info()) as { DriverStatus?: [string, string][] };
    const backing = info.DriverStatus?.find(([key]) => key === "Backing Filesystem")?.[1];
    if (backing === "xfs") {
      // An xfs engine with pquota takes it: then it is on the container.
      expect(result.code, result.stderr).toBe(0);
      const created = await docker.getContainer(`${project}-app-1`).inspect();
      expect(created.HostConfig.StorageOpt).toEqual({ size: "1G" });
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/container .*app-1.*storage-opt/i);
    }
  });
});

/** A copy of the corpus in a temporary directory: relative bind sources resolve inside it. */
async function copyCorpus(): Promise<string> {
  const dir = await tempProject({});
  await cp(corpus, dir, { recursive: true });
  return dir;
}
