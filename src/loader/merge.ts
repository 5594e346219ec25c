// Stage 5: several files become one, in `-f` order, with Compose's override rules: scalars are
// replaced, mappings merge key by key, and lists merge by what identifies an entry (a port by
// `host_ip:published:target/protocol`, a volume or a secret by its target) or append unique values.
import type {
  BlkioConfig,
  Build,
  Deploy,
  Logging,
  PortMapping,
  ServiceNetwork,
  VolumeMount,
} from "../model/project.js";
import type { CanonicalFile, PartialGrant, PartialService } from "./canonicalize.js";
import { removeTagged } from "./override-tags.js";
import type { SourceMap } from "./source-map.js";

/** The merged project before defaults: services partial, top-level definitions as written. */
export interface MergedProject {
  name?: string;
  services: Record<string, PartialService>;
  networks: Record<string, Record<string, unknown> | null>;
  volumes: Record<string, Record<string, unknown> | null>;
  secrets: Record<string, Record<string, unknown>>;
  configs: Record<string, Record<string, unknown>>;
  models: Record<string, Record<string, unknown>>;
  extensions: Record<string, unknown>;
}

/** Merges canonical files in order; later files win. */
export function mergeFiles(files: CanonicalFile[], sources: SourceMap): MergedProject {
  const merged: MergedProject = {
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    models: {},
    extensions: {},
  };
  for (const file of files) {
    if (file.tagged) removeTagged(merged, file.tagged, sources);
    if (file.name !== undefined) merged.name = file.name;
    for (const [name, service] of Object.entries(file.services)) {
      const base = merged.services[name];
      merged.services[name] = base ? mergeService(base, service, sources) : service;
    }
    mergeDefinitions(merged.networks, file.networks, sources);
    mergeDefinitions(merged.volumes, file.volumes, sources);
    mergeDefinitions(merged.secrets, file.secrets, sources);
    mergeDefinitions(merged.configs, file.configs, sources);
    mergeDefinitions(merged.models, file.models, sources);
    Object.assign(merged.extensions, file.extensions);
  }
  return merged;
}

function mergeDefinitions<T extends Record<string, unknown> | null>(
  into: Record<string, T>,
  from: Record<string, T>,
  sources: SourceMap,
) {
  for (const [key, definition] of Object.entries(from)) {
    const base = into[key];
    if (base && definition) {
      const labels = mergeMaps(
        base["labels"] as Labels | undefined,
        definition["labels"] as Labels | undefined,
      );
      const ipam = mergeIpam(base["ipam"], definition["ipam"]);
      const merged = { ...base, ...definition, ...(labels ? { labels } : {}), ...(ipam ? { ipam } : {}) };
      sources.inherit(merged, definition, base);
      into[key] = merged;
    } else if (definition || !(key in into)) into[key] = definition;
  }
}

type Labels = Record<string, unknown> | unknown[];

/** `networks.*.ipam` as written in two files: pools merged by subnet, options by key (compose-go's rule). */
function mergeIpam(base: unknown, override: unknown): unknown {
  if (!isMapping(base) || !isMapping(override)) return undefined;
  const merged: Record<string, unknown> = { ...base, ...override };
  if (isMapping(base["options"]) && isMapping(override["options"]))
    merged["options"] = { ...base["options"], ...override["options"] };
  if (Array.isArray(base["config"]) && Array.isArray(override["config"])) {
    const pools = [...(base["config"] as unknown[])];
    for (const pool of override["config"] as unknown[]) {
      const subnet = isMapping(pool) ? pool["subnet"] : undefined;
      const index = pools.findIndex((existing) => isMapping(existing) && existing["subnet"] === subnet);
      if (index < 0) pools.push(pool);
      else pools[index] = deepMerge(pools[index], pool);
    }
    merged["config"] = pools;
  }
  return merged;
}

function mergeMaps<V>(base: Record<string, V> | unknown, override: Record<string, V> | unknown) {
  // Lists of KEY=value stay as the override wrote them; the canonical maps below merge per key.
  if (Array.isArray(base) || Array.isArray(override)) return override ?? base;
  if (!base) return override;
  if (!override) return base;
  return { ...(base as Record<string, V>), ...(override as Record<string, V>) };
}

const MAP_FIELDS = [
  "environment",
  "labels",
  "sysctls",
  "ulimits",
  "extensions",
  "dependsOn",
  "annotations",
  "storageOpt",
] as const;
const APPEND_UNIQUE_FIELDS = [
  "expose",
  "dns",
  "capAdd",
  "capDrop",
  "extraHosts",
  "tmpfs",
  "profiles",
  "groupAdd",
  "dnsOpt",
  "dnsSearch",
  "links",
  "externalLinks",
  "securityOpt",
  "deviceCgroupRules",
  "volumesFrom",
  "labelFiles",
] as const;

/** `override` over `base` by the rules above; used by `-f` files and by `extends`. */
export function mergeService(
  base: PartialService,
  override: PartialService,
  sources: SourceMap,
): PartialService {
  const merged: PartialService = { ...base, ...override };
  for (const field of MAP_FIELDS) {
    if (base[field] && override[field]) {
      (merged as Record<string, unknown>)[field] = { ...base[field], ...override[field] };
    }
  }
  for (const field of APPEND_UNIQUE_FIELDS) {
    if (base[field] && override[field]) merged[field] = [...new Set([...base[field]!, ...override[field]!])];
  }
  if (base.envFiles && override.envFiles) {
    const paths = new Set(base.envFiles.map((entry) => entry.path));
    merged.envFiles = [...base.envFiles, ...override.envFiles.filter((entry) => !paths.has(entry.path))];
  }
  if (base.ports && override.ports) merged.ports = mergeBy(base.ports, override.ports, portKey, sources);
  if (base.volumes && override.volumes) {
    merged.volumes = mergeBy(base.volumes, override.volumes, (volume: VolumeMount) => volume.target, sources);
  }
  if (base.secrets && override.secrets) {
    merged.secrets = mergeBy(
      base.secrets,
      override.secrets,
      (grant: PartialGrant) => grant.target,
      sources,
      true,
    );
  }
  mergeEngineSettings(merged, base, override);
  // Configs merge as secrets do: by resolved target, field by field (CLARIFICATIONS.md 2).
  if (base.configs && override.configs) {
    merged.configs = mergeBy(
      base.configs,
      override.configs,
      (grant: PartialGrant) => grant.target,
      sources,
      true,
    );
  }

  // Hooks are lists without a key: a later file's run after the earlier ones', as in compose-go.
  if (base.postStart && override.postStart) merged.postStart = [...base.postStart, ...override.postStart];
  if (base.preStop && override.preStop) merged.preStop = [...base.preStop, ...override.preStop];
  // Watch rules append, as in compose-go (a sequence without a key).
  if (base.develop && override.develop) {
    const watch = [...asList(base.develop["watch"]), ...asList(override.develop["watch"])];
    merged.develop = { ...base.develop, ...override.develop, ...(watch.length ? { watch } : {}) };
  }
  if (base.healthcheck && override.healthcheck)
    merged.healthcheck = { ...base.healthcheck, ...override.healthcheck };
  if (base.logging && override.logging) merged.logging = mergeLogging(base.logging, override.logging);
  if (base.build && override.build) merged.build = mergeBuild(base.build, override.build, sources);
  sources.inherit(merged, override, base);
  return merged;
}

/**
 * The engine settings of issue 11 that are no plain replace, map or unique list (compose-go's rules):
 * devices by container path, networks per network, `gpus` appended, `blkio_config` and `deploy`
 * merged deeply (scalars replaced, mappings by key, lists appended).
 */
function mergeEngineSettings(merged: PartialService, base: PartialService, override: PartialService): void {
  if (base.devices && override.devices) {
    const target = (device: string) => device.split(":")[1] ?? device;
    const out = [...base.devices];
    for (const device of override.devices) {
      const index = out.findIndex((existing) => target(existing) === target(device));
      if (index < 0) out.push(device);
      else out[index] = device;
    }
    merged.devices = out;
  }
  if (base.networks && override.networks) {
    const networks = { ...base.networks };
    for (const key in override.networks) {
      const before = base.networks[key];
      const after = override.networks[key]!;
      networks[key] = before ? mergeServiceNetwork(before, after) : after;
    }
    merged.networks = networks;
  }
  if (base.gpus && override.gpus) merged.gpus = [...base.gpus, ...override.gpus];
  if (base.blkioConfig && override.blkioConfig)
    merged.blkioConfig = deepMerge(base.blkioConfig, override.blkioConfig) as BlkioConfig;
  if (base.deploy && override.deploy) merged.deploy = deepMerge(base.deploy, override.deploy) as Deploy;
}

function mergeServiceNetwork(base: ServiceNetwork, override: ServiceNetwork): ServiceNetwork {
  const merged: ServiceNetwork = { ...base, ...override };
  merged.aliases = [...new Set([...base.aliases, ...override.aliases])];
  if (base.linkLocalIps && override.linkLocalIps)
    merged.linkLocalIps = [...new Set([...base.linkLocalIps, ...override.linkLocalIps])];
  if (base.driverOpts && override.driverOpts)
    merged.driverOpts = { ...base.driverOpts, ...override.driverOpts };
  return merged;
}

/** compose-go's default merge: mappings by key, lists appended, anything else replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  if (isMapping(base) && isMapping(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const key in override) out[key] = key in base ? deepMerge(base[key], override[key]) : override[key];
    return out;
  }
  return override === undefined ? base : override;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Options belong to a driver: they merge under one driver (or where a file names none), as compose-go's. */
function mergeLogging(base: Logging, override: Logging): Logging {
  if (base.driver !== undefined && override.driver !== undefined && base.driver !== override.driver) {
    return override;
  }
  return { ...base, ...override, options: { ...base.options, ...override.options } };
}

function mergeBuild(base: Partial<Build>, override: Partial<Build>, sources: SourceMap): Partial<Build> {
  const merged: Partial<Build> = { ...base, ...override };
  if (base.args && override.args) merged.args = { ...base.args, ...override.args };
  if (base.labels && override.labels) merged.labels = { ...base.labels, ...override.labels };
  if (base.additionalContexts && override.additionalContexts)
    merged.additionalContexts = { ...base.additionalContexts, ...override.additionalContexts };
  if (base.secrets && override.secrets) {
    merged.secrets = mergeBy(base.secrets, override.secrets, (grant) => grant.target, sources, true);
  }
  return merged;
}

export function portKey(port: PortMapping): string {
  return `${port.hostIp ?? ""}:${port.published ?? ""}:${port.target}/${port.protocol}`;
}

/**
 * Merges two lists by key: an override entry replaces the base entry with the same key (or, with
 * `perField`, overrides it field by field) in place; new keys are appended.
 */
function mergeBy<T extends object>(
  base: T[],
  override: T[],
  key: (item: T) => string,
  sources: SourceMap,
  perField = false,
): T[] {
  const out = [...base];
  for (const item of override) {
    const index = out.findIndex((existing) => key(existing) === key(item));
    if (index < 0) {
      out.push(item);
      continue;
    }
    const previous = out[index]!;
    const replacement = perField ? { ...previous, ...item } : item;
    if (perField) sources.inherit(replacement, item, previous);
    out[index] = replacement;
  }
  return out;
}
