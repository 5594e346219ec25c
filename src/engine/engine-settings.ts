// The engine settings of issue 11 (resources, security, devices, namespaces, DNS, links, `deploy`)
// as members of the container create body, the way Compose v2 maps them (pkg/compose/create.go).
// Pure, but for one read: a seccomp profile named in security_opt is a file whose JSON the engine
// wants inline, as the docker CLI and Compose send it.
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { EngineError } from "../errors.js";
import { containerName } from "../model/names.js";
import type { DeviceRequest, Project, Service } from "../model/project.js";

/** What the engine settings add to `HostConfig`: only members the service sets. */
export function engineHostConfig(project: Project, service: Service): Record<string, unknown> {
  const resources = service.deploy?.resources;
  const limits = resources?.limits;
  const reservations = resources?.reservations;
  const blkio = service.blkioConfig;
  const deviceRequests = [...(service.gpus ?? []), ...(reservations?.devices ?? [])].map(toDeviceRequest);
  const links = serviceLinks(project, service);
  const socket = service.useApiSocket ? ["/var/run/docker.sock:/var/run/docker.sock"] : [];
  const out: Record<string, unknown> = {
    Annotations: service.annotations,
    BlkioWeight: blkio?.weight,
    BlkioWeightDevice: blkio?.weightDevice.map((device) => ({ Path: device.path, Weight: device.rate })),
    BlkioDeviceReadBps: blkio?.deviceReadBps.map(throttle),
    BlkioDeviceReadIOps: blkio?.deviceReadIops.map(throttle),
    BlkioDeviceWriteBps: blkio?.deviceWriteBps.map(throttle),
    BlkioDeviceWriteIOps: blkio?.deviceWriteIops.map(throttle),
    CpuCount: service.cpuCount,
    CpuPercent: service.cpuPercent,
    CpuShares: service.cpuShares,
    CpuQuota: service.cpuQuota,
    CpuPeriod: service.cpuPeriod,
    CpuRealtimePeriod: service.cpuRtPeriod,
    CpuRealtimeRuntime: service.cpuRtRuntime,
    CpusetCpus: service.cpuset,
    CgroupnsMode: service.cgroup,
    CgroupParent: service.cgroupParent,
    DeviceCgroupRules: service.deviceCgroupRules,
    DeviceRequests: deviceRequests.length > 0 ? deviceRequests : undefined,
    DnsOptions: service.dnsOpt,
    DnsSearch: service.dnsSearch,
    Isolation: service.isolation,
    // deploy.resources wins over the service-level attribute of the same meaning, as in Compose.
    Memory: limits?.memory,
    NanoCpus: limits?.cpus === undefined ? undefined : Math.round(limits.cpus * 1e9),
    MemoryReservation: reservations?.memory ?? service.memReservation,
    MemorySwappiness: service.memSwappiness,
    MemorySwap: service.memswapLimit,
    OomKillDisable: service.oomKillDisable,
    OomScoreAdj: service.oomScoreAdj,
    PidsLimit: limits?.pids ?? service.pidsLimit,
    Runtime: service.runtime,
    SecurityOpt: service.securityOpt?.map((option) => securityOption(project, option)),
    StorageOpt: service.storageOpt,
    UsernsMode: service.usernsMode,
    UTSMode: service.uts,
    VolumesFrom: service.volumesFrom?.map((entry) => volumesFrom(project, entry)),
    Links: links.length > 0 ? links : undefined,
    RestartPolicy: service.deploy?.restartPolicy
      ? deployRestartPolicy(service.deploy.restartPolicy)
      : undefined,
    ExtraBinds: socket.length > 0 ? socket : undefined,
  };
  // `systempaths=unconfined` is no engine option: it unmasks /proc and /sys (the docker CLI's meaning).
  if (service.securityOpt?.includes("systempaths=unconfined")) {
    out["SecurityOpt"] = (out["SecurityOpt"] as string[]).filter(
      (option) => option !== "systempaths=unconfined",
    );
    out["MaskedPaths"] = [];
    out["ReadonlyPaths"] = [];
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * The service's links as the engine takes them (`container:alias`). On the default bridge they are
 * HostConfig.Links; on a user-defined network the engine reads them from each endpoint instead.
 */
export function serviceLinks(project: Project, service: Service): string[] {
  return [...linksTo(project, service), ...(service.externalLinks ?? []).map(externalLink)];
}

function throttle(device: { path: string; rate: number }) {
  return { Path: device.path, Rate: device.rate };
}

function toDeviceRequest(request: DeviceRequest) {
  return {
    Driver: request.driver ?? "",
    Count: request.count ?? (request.deviceIds.length > 0 ? 0 : -1),
    DeviceIDs: request.deviceIds,
    Capabilities: [request.capabilities],
    Options: request.options,
  };
}

/**
 * `links: [db, "db:database"]`: every container of the linked service, under the link's alias, the
 * container's own short name and its full name (as Compose v1 and v2 name them).
 */
function linksTo(project: Project, service: Service): string[] {
  const out: string[] = [];
  for (const link of service.links ?? []) {
    const [target = link, alias = target] = link.split(":");
    const linked = project.services[target];
    if (linked === undefined) continue;
    for (let number = 1; number <= Math.max(linked.replicas, 1); number++) {
      const name = containerName(project.name, linked, number);
      out.push(
        `${name}:${alias}`,
        `${name}:${target}-${number}`,
        `${name}:${project.name}-${target}-${number}`,
      );
    }
  }
  return [...new Set(out)];
}

/** `external_links: [redis, "redis:cache"]`: an existing container's name, with its alias. */
function externalLink(link: string): string {
  const [name = link, alias = name] = link.split(":");
  return `${name}:${alias}`;
}

/** `SERVICE[:ro|rw]` names the service's first container; `container:NAME[:ro|rw]` a container. */
function volumesFrom(project: Project, entry: string): string {
  if (entry.startsWith("container:")) return entry.slice("container:".length);
  const [name = entry, mode] = entry.split(":");
  const source = project.services[name];
  const container = source ? containerName(project.name, source, 1) : name;
  return mode === undefined ? container : `${container}:${mode}`;
}

/** deploy.restart_policy as Compose maps it onto a single engine: none, on-failure, any. */
function deployRestartPolicy(policy: NonNullable<NonNullable<Service["deploy"]>["restartPolicy"]>) {
  const names: Record<string, string> = {
    none: "no",
    no: "no",
    "on-failure": "on-failure",
    any: "always",
    always: "always",
    "unless-stopped": "unless-stopped",
  };
  // Swarm's default condition is any.
  const name = names[policy.condition ?? "any"] ?? "always";
  return name === "on-failure"
    ? { Name: name, MaximumRetryCount: policy.maxAttempts ?? 0 }
    : { Name: name === "no" ? "" : name };
}

/** `seccomp=FILE` becomes `seccomp=<the file's JSON>`; other options go as written. */
function securityOption(project: Project, option: string): string {
  const match = /^seccomp[=:](.*)$/.exec(option);
  if (!match || match[1] === "unconfined" || match[1] === "builtin") return option;
  const path = isAbsolute(match[1]!) ? match[1]! : resolve(project.workingDir, match[1]!);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new EngineError(
      `security_opt "${option}": the seccomp profile ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); give the path of a JSON profile, or seccomp=unconfined`,
      { cause: error },
    );
  }
  try {
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  } catch (error) {
    throw new EngineError(`security_opt "${option}": the seccomp profile ${path} is not JSON`, {
      cause: error,
    });
  }
}
