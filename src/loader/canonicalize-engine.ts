// Stage 4, the engine settings of a service (issue 11): resources, security, devices, namespaces,
// DNS and links, and `deploy:`. Short forms become the model's long forms; units become the Engine
// API's (bytes, nanoseconds, microseconds for the realtime scheduler). Kept apart from
// canonicalize.ts so the attributes it owns read in one place.
import type {
  BlkioConfig,
  BlkioDevice,
  Deploy,
  DeployResources,
  DeviceRequest,
  EngineSettings as PartialServiceEngine,
  UpdateConfig,
} from "../model/project.js";
import type { PathSegment } from "./paths.js";
import type { RawService } from "./schema.js";
import { stringMap } from "./string-map.js";
import { parseByteSize, parseDuration } from "./units.js";

type Fail = (suffix: PathSegment[], message: string) => void;
type Raw = RawService;
type RawDeviceRequest = NonNullable<NonNullable<Exclude<Raw["gpus"], string>>[number]>;

/** The attributes read here; most services write none of them (`config`'s hot path skips them). */
export const ENGINE_KEYS = new Set([
  "annotations",
  "blkio_config",
  "cpu_count",
  "cpu_percent",
  "cpu_shares",
  "cpu_quota",
  "cpu_period",
  "cpu_rt_period",
  "cpu_rt_runtime",
  "cpuset",
  "cgroup",
  "cgroup_parent",
  "credential_spec",
  "device_cgroup_rules",
  "dns_opt",
  "dns_search",
  "external_links",
  "links",
  "gpus",
  "isolation",
  "mac_address",
  "mem_reservation",
  "mem_swappiness",
  "memswap_limit",
  "oom_kill_disable",
  "oom_score_adj",
  "pids_limit",
  "runtime",
  "security_opt",
  "storage_opt",
  "userns_mode",
  "uts",
  "volumes_from",
  "use_api_socket",
  "deploy",
]);

/** Whether the service writes any attribute canonicalEngineSettings reads. */
export function hasEngineSettings(raw: Raw): boolean {
  for (const key in raw) if (ENGINE_KEYS.has(key)) return true;
  return false;
}

/** The engine settings `raw` writes, as model fields; problems go to `fail`. */
export function canonicalEngineSettings(raw: Raw, fail: Fail): PartialServiceEngine {
  const out: PartialServiceEngine = {};
  const set = <K extends keyof PartialServiceEngine>(key: K, value: PartialServiceEngine[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  const int = (key: keyof Raw & string, value: string | number | undefined) => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isFinite(number)) fail([key], `"${value}" is not a number`);
    return number;
  };
  const size = (key: keyof Raw & string, value: string | number | undefined) => {
    if (value === undefined) return undefined;
    if (value === -1 || value === "-1") return -1;
    const bytes = parseByteSize(value);
    if (!Number.isFinite(bytes)) fail([key], `"${value}" is not a size; use a value such as 512m or 1g`);
    return bytes;
  };

  if (raw.annotations !== undefined) set("annotations", stringMap(raw.annotations));
  if (raw.blkio_config !== undefined) set("blkioConfig", blkio(raw.blkio_config, fail));
  set("cpuCount", int("cpu_count", raw.cpu_count));
  const percent = int("cpu_percent", raw.cpu_percent);
  if (percent !== undefined && (percent < 0 || percent > 100))
    fail(["cpu_percent"], `"${raw.cpu_percent}" is not a percentage; use 0 to 100`);
  set("cpuPercent", percent);
  set("cpuShares", int("cpu_shares", raw.cpu_shares));
  set("cpuQuota", int("cpu_quota", raw.cpu_quota));
  set("cpuPeriod", int("cpu_period", raw.cpu_period));
  set("cpuRtPeriod", microseconds(raw.cpu_rt_period, ["cpu_rt_period"], fail));
  set("cpuRtRuntime", microseconds(raw.cpu_rt_runtime, ["cpu_rt_runtime"], fail));
  set("cpuset", raw.cpuset);
  set("cgroup", raw.cgroup);
  set("cgroupParent", raw.cgroup_parent);
  if (raw.credential_spec !== undefined)
    set("credentialSpec", stringMap(raw.credential_spec, { dropExtensions: true }));
  set("deviceCgroupRules", raw.device_cgroup_rules);
  set("dnsOpt", raw.dns_opt);
  if (raw.dns_search !== undefined)
    set("dnsSearch", typeof raw.dns_search === "string" ? [raw.dns_search] : raw.dns_search);
  set("externalLinks", raw.external_links);
  set("links", raw.links);
  if (raw.gpus !== undefined) {
    set(
      "gpus",
      raw.gpus === "all"
        ? [{ capabilities: ["gpu"], count: -1, deviceIds: [], options: {} }]
        : raw.gpus.map((request, index) => deviceRequest(request, ["gpus", index], fail, ["gpu"])),
    );
  }
  set("isolation", raw.isolation);
  set("macAddress", raw.mac_address);
  set("memReservation", size("mem_reservation", raw.mem_reservation));
  const swappiness = int("mem_swappiness", raw.mem_swappiness);
  if (swappiness !== undefined && (swappiness < 0 || swappiness > 100))
    fail(["mem_swappiness"], `"${raw.mem_swappiness}" is not a swappiness; use 0 to 100`);
  set("memSwappiness", swappiness);
  set("memswapLimit", size("memswap_limit", raw.memswap_limit));
  if (raw.oom_kill_disable !== undefined) set("oomKillDisable", truth(raw.oom_kill_disable));
  const score = int("oom_score_adj", raw.oom_score_adj);
  if (score !== undefined && (score < -1000 || score > 1000))
    fail(["oom_score_adj"], `"${raw.oom_score_adj}" is out of range; use -1000 to 1000`);
  set("oomScoreAdj", score);
  set("pidsLimit", int("pids_limit", raw.pids_limit));
  set("runtime", raw.runtime);
  if (raw.security_opt !== undefined) {
    raw.security_opt.forEach((option, index) => {
      if (!/^no-new-privileges$|^[a-z-]+[=:].*$/.test(option) && option !== "systempaths=unconfined")
        fail(
          ["security_opt", index],
          `"${option}" is not a security option; use KEY=VALUE such as no-new-privileges:true, seccomp=unconfined or apparmor=PROFILE`,
        );
    });
    set("securityOpt", raw.security_opt);
  }
  if (raw.storage_opt !== undefined) set("storageOpt", stringMap(raw.storage_opt));
  set("usernsMode", raw.userns_mode);
  set("uts", raw.uts);
  if (raw.volumes_from !== undefined) {
    raw.volumes_from.forEach((entry, index) => {
      if (!/^(container:)?[^:]+(:(ro|rw))?$/.test(entry))
        fail(
          ["volumes_from", index],
          `"${entry}" is not a volumes_from entry; use SERVICE or container:NAME, optionally :ro or :rw`,
        );
    });
    set("volumesFrom", raw.volumes_from);
  }
  if (raw.use_api_socket !== undefined) set("useApiSocket", truth(raw.use_api_socket));
  if (raw.deploy) {
    const deploy = canonicalDeploy(raw.deploy, (suffix, message) => fail(["deploy", ...suffix], message));
    if (deploy) out.deploy = deploy;
  }
  return out;
}

function truth(value: boolean | string): boolean {
  return typeof value === "boolean" ? value : value.toLowerCase() === "true";
}

/** A number is microseconds already; a duration (`950ms`) is converted to them. */
function microseconds(value: string | number | undefined, path: PathSegment[], fail: Fail) {
  if (value === undefined) return undefined;
  if (typeof value === "number" || /^\d+$/.test(value)) return Number(value);
  const nanoseconds = parseDuration(value);
  if (nanoseconds === undefined) {
    fail(path, `"${value}" is not a duration; use microseconds or a value such as 950ms`);
    return undefined;
  }
  return Math.round(nanoseconds / 1000);
}

function blkio(raw: NonNullable<Raw["blkio_config"]>, fail: Fail): BlkioConfig {
  const rates = (
    key: "device_read_bps" | "device_read_iops" | "device_write_bps" | "device_write_iops",
    bytes: boolean,
  ): BlkioDevice[] =>
    (raw[key] ?? []).map((limit, index) => {
      const rate = bytes ? parseByteSize(limit.rate) : Number(limit.rate);
      if (!Number.isFinite(rate) || rate < 0)
        fail(["blkio_config", key, index, "rate"], `"${limit.rate}" is not a rate`);
      return { path: limit.path, rate };
    });
  const weight = (value: string | number, path: PathSegment[]) => {
    const number = Number(value);
    // 0 leaves the engine's default; otherwise the kernel takes 10 to 1000.
    if (number !== 0 && (number < 10 || number > 1000))
      fail(path, `"${value}" is not a block-I/O weight; use 10 to 1000`);
    return number;
  };
  const config: BlkioConfig = {
    weightDevice: (raw.weight_device ?? []).map((entry, index) => ({
      path: entry.path,
      rate: weight(entry.weight, ["blkio_config", "weight_device", index, "weight"]),
    })),
    deviceReadBps: rates("device_read_bps", true),
    deviceReadIops: rates("device_read_iops", false),
    deviceWriteBps: rates("device_write_bps", true),
    deviceWriteIops: rates("device_write_iops", false),
  };
  if (raw.weight !== undefined) config.weight = weight(raw.weight, ["blkio_config", "weight"]);
  return config;
}

/** A device request; `implied` capabilities are added (`gpus:` always asks for "gpu", as Compose). */
export function deviceRequest(
  raw: RawDeviceRequest,
  path: PathSegment[],
  fail: Fail,
  implied: string[] = [],
): DeviceRequest {
  const capabilities = [...(raw.capabilities ?? [])];
  for (const capability of implied) if (!capabilities.includes(capability)) capabilities.push(capability);
  if (capabilities.length === 0)
    fail([...path, "capabilities"], 'is required: the capabilities asked for, such as ["gpu"]');
  const request: DeviceRequest = {
    capabilities,
    deviceIds: raw.device_ids ?? [],
    options: raw.options === undefined ? {} : stringMap(raw.options),
  };
  if (raw.count !== undefined) request.count = raw.count === "all" ? -1 : Number(raw.count);
  if (raw.driver !== undefined) request.driver = raw.driver;
  if (request.count !== undefined && request.deviceIds.length > 0)
    fail([...path], "count and device_ids cannot both be set; ask for a number of devices or for ids");
  return request;
}

function canonicalDeploy(raw: NonNullable<Raw["deploy"]>, fail: Fail): Deploy | undefined {
  const deploy: Deploy = {};
  if (raw.mode !== undefined) {
    if (!["replicated", "global", "replicated-job", "global-job"].includes(raw.mode))
      fail(
        ["mode"],
        `"${raw.mode}" is not a deploy mode; use replicated, global, replicated-job or global-job`,
      );
    deploy.mode = raw.mode;
  }
  if (raw.endpoint_mode !== undefined) {
    if (!["vip", "dnsrr"].includes(raw.endpoint_mode))
      fail(["endpoint_mode"], `"${raw.endpoint_mode}" is not an endpoint mode; use vip or dnsrr`);
    deploy.endpointMode = raw.endpoint_mode;
  }
  if (raw.labels !== undefined) deploy.labels = stringMap(raw.labels);
  if (raw.resources !== undefined) deploy.resources = resources(raw.resources, fail);
  if (raw.restart_policy !== undefined) {
    const policy = raw.restart_policy;
    const out: NonNullable<Deploy["restartPolicy"]> = {};
    if (policy.condition !== undefined) out.condition = policy.condition;
    if (policy.delay !== undefined) out.delay = parseDuration(policy.delay);
    if (policy.max_attempts !== undefined) out.maxAttempts = Number(policy.max_attempts);
    if (policy.window !== undefined) out.window = parseDuration(policy.window);
    deploy.restartPolicy = out;
  }
  if (raw.placement !== undefined) {
    const placement = raw.placement;
    deploy.placement = {
      constraints: placement.constraints ?? [],
      preferences: (placement.preferences ?? []).map((preference) => ({ spread: preference.spread })),
      ...(placement.max_replicas_per_node !== undefined
        ? { maxReplicasPerNode: Number(placement.max_replicas_per_node) }
        : {}),
    };
  }
  if (raw.update_config !== undefined) deploy.updateConfig = updateConfig(raw.update_config);
  if (raw.rollback_config !== undefined) deploy.rollbackConfig = updateConfig(raw.rollback_config);
  return Object.keys(deploy).length > 0 ? deploy : undefined;
}

function resources(raw: NonNullable<NonNullable<Raw["deploy"]>["resources"]>, fail: Fail): DeployResources {
  const out: DeployResources = {};
  const amount = (
    value: { cpus?: string | number | undefined; memory?: string | number | undefined },
    path: PathSegment[],
  ) => {
    const parts: { cpus?: number; memory?: number } = {};
    if (value.cpus !== undefined) {
      const cpus = Number(value.cpus);
      if (!(cpus >= 0))
        fail([...path, "cpus"], `"${value.cpus}" is not a number of CPUs; use a value such as 0.5`);
      parts.cpus = cpus;
    }
    if (value.memory !== undefined) parts.memory = parseByteSize(value.memory);
    return parts;
  };
  if (raw.limits) {
    out.limits = amount(raw.limits, ["resources", "limits"]);
    if (raw.limits.pids !== undefined) out.limits.pids = Number(raw.limits.pids);
  }
  if (raw.reservations) {
    const reservations = raw.reservations;
    out.reservations = {
      ...amount(reservations, ["resources", "reservations"]),
      devices: (reservations.devices ?? []).map((request, index) =>
        deviceRequest(request, ["resources", "reservations", "devices", index], fail),
      ),
    };
    if (reservations.generic_resources !== undefined)
      out.reservations.genericResources = reservations.generic_resources;
  }
  return out;
}

function updateConfig(raw: {
  parallelism?: string | number | undefined;
  delay?: string | number | undefined;
  failure_action?: string | undefined;
  monitor?: string | number | undefined;
  max_failure_ratio?: string | number | undefined;
  order?: "start-first" | "stop-first" | undefined;
}): UpdateConfig {
  const out: UpdateConfig = {};
  if (raw.parallelism !== undefined) out.parallelism = Number(raw.parallelism);
  if (raw.delay !== undefined) out.delay = parseDuration(raw.delay);
  if (raw.failure_action !== undefined) out.failureAction = raw.failure_action;
  if (raw.monitor !== undefined) out.monitor = parseDuration(raw.monitor);
  if (raw.max_failure_ratio !== undefined) out.maxFailureRatio = Number(raw.max_failure_ratio);
  if (raw.order !== undefined) out.order = raw.order;
  return out;
}
