// Project Service -> the Engine's container create body, as Compose v2 builds it. Pure: every
// value comes from the project and the plan operation. Engine API 1.41 takes one network at create
// time, so further networks are returned separately, to be connected before the container starts.
import type {
  ContainerCreateBody,
  EndpointSettings,
  EngineMount,
  HealthConfig,
  HostConfig,
} from "./types.js";
import { containerLabels, imageName } from "../model/names.js";
import type { SecretMount } from "../materialize/store.js";
import { engineHostConfig, serviceLinks } from "./engine-settings.js";
import type { Healthcheck, PortMapping, Project, Service, VolumeMount } from "../model/project.js";

export interface ContainerSpecInput {
  project: Project;
  service: Service;
  number: number;
  /** The container's final name (its network alias even while it is created under another). */
  name: string;
  /** The name to create it under (a temporary one while it replaces an old container). */
  createAs: string;
  configHash: string;
  imageId: string;
  /** Read-only mounts of the service's secret material (its /run/secrets, absolute targets). */
  secretMounts?: SecretMount[];
}

export interface ContainerSpec {
  create: ContainerCreateBody;
  /** Networks beyond the first, each with its endpoint settings, in priority order. */
  connect: { network: string; endpoint: EndpointSettings }[];
}

/** The create body and the extra network connections of one service container. */
export function containerSpec(input: ContainerSpecInput): ContainerSpec {
  const { project, service } = input;
  const networking = networkSettings(input);
  const hostConfig: HostConfig & { Binds: string[] } = {
    NetworkMode: networking.mode,
    // Secrets as `Mounts` of type bind, not `Binds`: a missing source then fails the start instead
    // of becoming an empty directory on disk (CLARIFICATIONS.md 13).
    Mounts: [
      ...service.volumes.filter((mount) => !usesBind(mount)).map((mount) => toMount(project, mount)),
      ...(input.secretMounts ?? []).map(secretMount),
    ],
    Binds: service.volumes.filter(usesBind).map(toBind),
    Tmpfs: tmpfsOptions(service.tmpfs),
    PortBindings: portBindings(service.ports),
    RestartPolicy: restartPolicy(service.restart),
    ReadonlyRootfs: service.readOnly,
    Privileged: service.privileged,
    CapAdd: service.capAdd,
    CapDrop: service.capDrop,
    ExtraHosts: service.extraHosts,
    Dns: service.dns,
    Ulimits: Object.entries(service.ulimits).map(([Name, limit]) => ({
      Name,
      Soft: limit.soft,
      Hard: limit.hard,
    })),
    Sysctls: service.sysctls,
    Devices: service.devices.map(toDevice),
    GroupAdd: service.groupAdd,
  };
  setDefined(hostConfig, {
    // An empty Type is the engine's default driver, given the options.
    LogConfig: service.logging && { Type: service.logging.driver ?? "", Config: service.logging.options },
    Init: service.init,
    ShmSize: service.shmSize,
    Memory: service.memLimit,
    NanoCpus: service.cpus === undefined ? undefined : Math.round(service.cpus * 1e9),
    PidMode: service.pid,
    IpcMode: service.ipc,
  });
  const { ExtraBinds: extraBinds, ...engineSettings } = engineHostConfig(project, service);
  Object.assign(hostConfig, engineSettings);
  if (Array.isArray(extraBinds)) hostConfig.Binds.push(...(extraBinds as string[]));

  const create: ContainerCreateBody = {
    name: input.createAs,
    Image: imageName(project.name, service),
    Labels: containerLabels({
      project,
      service,
      number: input.number,
      configHash: input.configHash,
      ...(input.imageId === "" ? {} : { imageId: input.imageId }),
    }),
    Env: Object.entries(service.environment)
      .filter((entry): entry is [string, string] => entry[1] !== null)
      .map(([key, value]) => `${key}=${value}`),
    ExposedPorts: exposedPorts(service),
    Tty: service.tty,
    OpenStdin: service.stdinOpen,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig,
  };
  setDefined(create, {
    Cmd: service.command ?? undefined,
    Entrypoint: service.entrypoint ?? undefined,
    User: service.user,
    WorkingDir: service.workingDir,
    Hostname: service.hostname,
    Domainname: service.domainname,
    StopSignal: service.stopSignal,
    // The engine counts the stop timeout in whole seconds; the project in nanoseconds.
    StopTimeout: service.stopGracePeriod === undefined ? undefined : Math.ceil(service.stopGracePeriod / 1e9),
    Healthcheck: service.healthcheck === undefined ? undefined : healthConfig(service.healthcheck),
    // A query parameter of POST /containers/create: dockerode sends the create options in the query
    // as well as the body (as it does `name`).
    platform: service.platform,
    NetworkingConfig: networking.first,
    // Engine API 1.41 sets the MAC address of the primary network through the container's config.
    MacAddress: networking.macAddress,
  });
  if (service.networkMode === "none") create.NetworkDisabled = true;
  return { create, connect: networking.rest };
}

/** Sets the members of `values` that are defined: the engine reads absent and empty differently. */
function setDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

interface Networking {
  mode: string;
  macAddress?: string;
  first?: { EndpointsConfig: Record<string, EndpointSettings> };
  rest: { network: string; endpoint: EndpointSettings }[];
}

/**
 * The primary network goes in the create body, the others are connected afterwards (API < 1.44).
 * Aliases as Compose sets them: the container name, the service name, then the service's own.
 */
function networkSettings(input: ContainerSpecInput): Networking {
  const { project, service } = input;
  if (service.networkMode !== undefined)
    return { mode: service.networkMode, ...macOf(service.macAddress), rest: [] };
  const keys = networkOrder(service);
  if (keys.length === 0) return { mode: "none", rest: [] };
  const links = serviceLinks(project, service);
  const endpoint = (key: string): EndpointSettings => {
    const settings = service.networks[key];
    const ipam: NonNullable<EndpointSettings["IPAMConfig"]> = {};
    if (settings?.ipv4Address !== undefined) ipam.IPv4Address = settings.ipv4Address;
    if (settings?.ipv6Address !== undefined) ipam.IPv6Address = settings.ipv6Address;
    if (settings?.linkLocalIps !== undefined) ipam.LinkLocalIPs = settings.linkLocalIps;
    const driverOpts: Record<string, string> = { ...settings?.driverOpts };
    // Compose's way of naming the interface: the endpoint driver option the engine reads (API 1.49).
    if (settings?.interfaceName !== undefined) driverOpts[IFNAME_OPTION] = settings.interfaceName;
    const out: EndpointSettings = {
      Aliases: [input.name, service.name, ...(settings?.aliases ?? [])],
      ...(Object.keys(ipam).length > 0 ? { IPAMConfig: ipam } : {}),
    };
    if (Object.keys(driverOpts).length > 0) out.DriverOpts = driverOpts;
    if (settings?.macAddress !== undefined) out.MacAddress = settings.macAddress;
    if (settings?.gwPriority !== undefined) out.GwPriority = settings.gwPriority;
    if (links.length > 0) out.Links = links;
    return out;
  };
  const engineName = (key: string): string => project.networks[key]?.name ?? `${project.name}_${key}`;
  const [primary, ...others] = keys as [string, ...string[]];
  return {
    mode: engineName(primary),
    ...macOf(service.macAddress ?? service.networks[primary]?.macAddress),
    first: { EndpointsConfig: { [engineName(primary)]: endpoint(primary) } },
    rest: others.map((key) => ({ network: engineName(key), endpoint: endpoint(key) })),
  };
}

/** The endpoint driver option that names the container's interface on a network. */
export const IFNAME_OPTION = "com.docker.network.endpoint.ifname";

function macOf(macAddress: string | undefined): { macAddress?: string } {
  return macAddress === undefined ? {} : { macAddress };
}

/** The service's networks, highest `priority` first (the primary one), then by name, as Compose. */
export function networkOrder(service: Pick<Service, "networks">): string[] {
  return Object.keys(service.networks).sort((a, b) => {
    const byPriority = (service.networks[b]?.priority ?? 0) - (service.networks[a]?.priority ?? 0);
    return byPriority !== 0 ? byPriority : a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Short-syntax binds that may create their source go through `Binds`, which makes a missing host
 * directory as Compose does; every other mount through `Mounts`, where a missing source is an
 * error instead of an empty directory (CLARIFICATIONS.md 13).
 */
function usesBind(mount: VolumeMount): mount is Extract<VolumeMount, { type: "bind" }> {
  if (mount.type !== "bind" || mount.source.includes(":")) return false;
  // SELinux relabelling exists only as a Binds option; recursion only in the Mounts API.
  if (mount.selinux !== undefined) return true;
  return mount.createHostPath && mount.recursive === undefined;
}

function toBind(mount: Extract<VolumeMount, { type: "bind" }>): string {
  const options = [mount.readOnly ? "ro" : "", mount.selinux ?? "", mount.propagation ?? ""].filter(Boolean);
  return `${mount.source}:${mount.target}${options.length > 0 ? `:${options.join(",")}` : ""}`;
}

function toMount(project: Project, mount: VolumeMount): EngineMount {
  switch (mount.type) {
    case "bind": {
      const settings: EngineMount = {
        Type: "bind",
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly,
      };
      const options: NonNullable<EngineMount["BindOptions"]> = {};
      if (mount.propagation !== undefined) options.Propagation = mount.propagation;
      if (mount.recursive === "disabled") options.NonRecursive = true;
      if (mount.recursive === "writable") options.ReadOnlyNonRecursive = true;
      if (mount.recursive === "readonly") options.ReadOnlyForceRecursive = true;
      if (Object.keys(options).length > 0) settings.BindOptions = options;
      return settings;
    }
    case "image": {
      const settings: EngineMount = {
        Type: "image",
        Source: mount.source,
        Target: mount.target,
        ReadOnly: true,
      };
      if (mount.subpath !== undefined) settings.ImageOptions = { Subpath: mount.subpath };
      return settings;
    }
    case "volume": {
      const settings: EngineMount = {
        Type: "volume",
        Target: mount.target,
        ReadOnly: mount.readOnly,
      };
      // No source: an anonymous volume, named by the engine.
      if (mount.source !== undefined) settings.Source = project.volumes[mount.source]?.name ?? mount.source;
      const options: NonNullable<EngineMount["VolumeOptions"]> = {};
      if (mount.nocopy) options.NoCopy = true;
      if (mount.subpath !== undefined) options.Subpath = mount.subpath;
      if (mount.labels !== undefined) options.Labels = mount.labels;
      if (Object.keys(options).length > 0) settings.VolumeOptions = options;
      return settings;
    }
    case "tmpfs": {
      const settings: EngineMount = {
        Type: "tmpfs",
        Target: mount.target,
        ReadOnly: mount.readOnly,
      };
      const options: { SizeBytes?: number; Mode?: number } = {};
      if (mount.size !== undefined) options.SizeBytes = mount.size;
      if (mount.mode !== undefined) options.Mode = mount.mode;
      if (Object.keys(options).length > 0) settings.TmpfsOptions = options;
      return settings;
    }
  }
}

/** `tmpfs:` entries (`/path` or `/path:options`) as the engine's path -> options map. */
function tmpfsOptions(entries: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(":");
    if (colon === -1) result[entry] = "";
    else result[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return result;
}

function portBindings(ports: PortMapping[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of ports) {
    const key = `${port.target}/${port.protocol}`;
    (bindings[key] ??= []).push({ HostIp: port.hostIp ?? "", HostPort: port.published ?? "" });
  }
  return bindings;
}

/** Ports the container listens on: published targets and `expose` entries (ranges expanded). */
function exposedPorts(service: Service): Record<string, object> {
  const exposed: Record<string, object> = {};
  for (const port of service.ports) exposed[`${port.target}/${port.protocol}`] = {};
  for (const entry of service.expose) {
    const [range = "", protocol = "tcp"] = entry.split("/");
    const [first, last = first] = range.split("-").map(Number);
    if (first === undefined || !Number.isInteger(first) || last === undefined || !Number.isInteger(last))
      continue;
    for (let port = first; port <= last; port++) exposed[`${port}/${protocol}`] = {};
  }
  return exposed;
}

function restartPolicy(restart: string | undefined): NonNullable<HostConfig["RestartPolicy"]> {
  if (restart === undefined || restart === "" || restart === "no") return { Name: "" };
  const [name = "", count] = restart.split(":");
  return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: Number(count) };
}

/** `/dev/host[:/dev/container[:permissions]]`. */
function toDevice(entry: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host = entry, container = host, permissions = "rwm"] = entry.split(":");
  return { PathOnHost: host, PathInContainer: container, CgroupPermissions: permissions };
}

function healthConfig(healthcheck: Healthcheck): HealthConfig {
  if (healthcheck.disable) return { Test: ["NONE"] };
  const config: HealthConfig = {};
  setDefined(config, {
    Test: healthcheck.test,
    Interval: healthcheck.interval,
    Timeout: healthcheck.timeout,
    StartPeriod: healthcheck.startPeriod,
    Retries: healthcheck.retries,
  });
  // Only sent when set (engines before API 1.44 are refused earlier, by checkApiVersion, rather
  // than silently ignoring it).
  if (healthcheck.startInterval !== undefined) config.StartInterval = healthcheck.startInterval;
  return config;
}

/** A secret mount as the API takes it: a bind, or a volume's sub-path (API 1.45+); read-only. */
export function secretMount(mount: SecretMount): EngineMount {
  return mount.type === "bind"
    ? { Type: "bind", Source: mount.source, Target: mount.target, ReadOnly: true }
    : {
        Type: "volume",
        Source: mount.volume,
        Target: mount.target,
        ReadOnly: true,
        VolumeOptions: { Subpath: mount.subpath },
      };
}
