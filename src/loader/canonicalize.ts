// Stage 4: one validated file's short forms expanded to the long forms of the model, relative paths
// made absolute against that file's directory. Still per file and partial: merging comes next.
import { homedir } from "node:os";
import { isAbsolute, posix, resolve } from "node:path";
import type {
  Build,
  BuildSecret,
  Dependency,
  EnvFileRef,
  Healthcheck,
  PortMapping,
  Service,
  ServiceHook,
  ServiceNetwork,
  VolumeMount,
} from "../model/project.js";
import { configTarget, secretTarget } from "../model/secret-rules.js";

import type { TaggedPath } from "./override-tags.js";
import type { PathSegment } from "./paths.js";
import type { ComposeFile, RawSecretGrant, RawService } from "./schema.js";
import { shellSplit } from "./shell-split.js";
import { stringMap, type ListOrDict } from "./string-map.js";
import type { Diagnostics, SourceMap } from "./source-map.js";
import { canonicalEngineSettings, hasEngineSettings } from "./canonicalize-engine.js";
import { parseByteSize, parseDuration } from "./units.js";

/** A secret or config grant as one file writes it; uid, gid and mode get their defaults after merging. */
export interface PartialGrant {
  source: string;
  target: string;
  uid?: number;
  gid?: number;
  mode?: number;
}

/** A service as one file writes it: long forms, only the fields that file sets. */
export type PartialService = Partial<Omit<Service, "build" | "secrets" | "configs">> & {
  name: string;
  build?: Partial<Build>;
  secrets?: PartialGrant[];
  configs?: PartialGrant[];
};

/** One file after canonicalisation. Top-level networks, volumes, secrets and configs stay as written. */
export interface CanonicalFile {
  file: string;
  /** Directory relative paths resolve against. */
  baseDir: string;
  name?: string;
  services: Record<string, PartialService>;
  networks: Record<string, Record<string, unknown> | null>;
  volumes: Record<string, Record<string, unknown> | null>;
  secrets: Record<string, Record<string, unknown>>;
  configs: Record<string, Record<string, unknown>>;
  /** Top-level `models`, as written (not run; printed by `config`). */
  models: Record<string, Record<string, unknown>>;
  extensions: Record<string, unknown>;
  /** Places tagged `!reset`/`!override`: removed from what this file merges onto (merge.ts). */
  tagged?: TaggedPath[];
}

interface Context {
  file: string;
  baseDir: string;
  sources: SourceMap;
  diagnostics: Diagnostics;
  variables: (name: string) => string | undefined;
}

/** Expands one file's short forms; problems go to `diagnostics` with their positions. */
export function canonicalizeFile(
  data: ComposeFile,
  file: string,
  baseDir: string,
  sources: SourceMap,
  diagnostics: Diagnostics,
  variables: (name: string) => string | undefined,
): CanonicalFile {
  const context: Context = { file, baseDir, sources, diagnostics, variables };
  const services: Record<string, PartialService> = {};
  // for-in over the parsed mappings (plain objects, no inherited keys) here and below: on a cold
  // start, Object.entries() and for-of leave an array and an iterator result per entry behind, a
  // good part of a large project's garbage.
  const written = data.services ?? {};
  for (const name in written)
    services[name] = canonicalService(name, written[name]!, ["services", name], context);
  const extensions = extensionsOf(data) ?? {};
  if (data.version !== undefined) {
    diagnostics.warn(
      sources.positionIn(file, ["version"]),
      "version",
      "the attribute is obsolete and ignored",
    );
  }
  return {
    file,
    baseDir,
    ...(data.name !== undefined ? { name: data.name } : {}),
    services,
    networks: markEach("networks", data.networks ?? {}, context),
    volumes: markEach("volumes", data.volumes ?? {}, context),
    secrets: markEach("secrets", topLevelSecrets(data.secrets ?? {}, baseDir), context),
    configs: markEach("configs", topLevelSecrets(data.configs ?? {}, baseDir), context),
    models: markEach("models", data.models ?? {}, context),
    extensions,
  };
}

/** Top-level secrets (and configs) stay as written, but a relative `file` resolves against this file's directory. */
function topLevelSecrets(
  secrets: NonNullable<ComposeFile["secrets"]> | NonNullable<ComposeFile["configs"]>,
  baseDir: string,
) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const key in secrets) {
    const secret = secrets[key]!;
    out[key] =
      typeof secret.file === "string" && secret.file !== ""
        ? { ...secret, file: resolvePath(secret.file, baseDir) }
        : secret;
  }
  return out;
}

function markEach<T extends object | null>(kind: string, definitions: Record<string, T>, context: Context) {
  for (const key in definitions) {
    const definition = definitions[key];
    if (definition) context.sources.mark(definition, context.file, [kind, key]);
  }
  return definitions as Record<string, T & Record<string, unknown>>;
}

function canonicalService(
  name: string,
  raw: RawService,
  path: PathSegment[],
  context: Context,
): PartialService {
  const at = (...suffix: PathSegment[]) => context.sources.positionIn(context.file, [...path, ...suffix]);
  const fail = (suffix: PathSegment[], message: string) =>
    context.diagnostics.error(at(...suffix), [...path, ...suffix], message);
  const service: PartialService = { name };
  const set = <K extends keyof PartialService>(key: K, value: PartialService[K] | undefined) => {
    if (value !== undefined) service[key] = value;
  };

  set("image", raw.image);
  if (raw.build !== undefined) service.build = canonicalBuild(raw.build, [...path, "build"], context);
  if (raw.command !== undefined) set("command", raw.command === null ? null : commandList(raw.command));
  if (raw.entrypoint !== undefined)
    set("entrypoint", raw.entrypoint === null ? null : commandList(raw.entrypoint));
  if (raw.environment !== undefined) set("environment", environmentMap(raw.environment, context.variables));
  if (raw.env_file !== undefined) set("envFiles", envFiles(raw.env_file, context));
  if (raw.user !== undefined) set("user", String(raw.user));
  set("workingDir", raw.working_dir);
  if (raw.ports !== undefined) {
    const ports: PortMapping[] = [];
    raw.ports.forEach((port, index) => {
      const parsed = typeof port === "object" ? [longPort(port)] : parseShortPort(String(port));
      if (typeof parsed === "string") fail(["ports", index], parsed);
      else ports.push(...parsed);
    });
    service.ports = ports;
  }
  if (raw.expose !== undefined) set("expose", raw.expose.map(String));
  if (raw.volumes !== undefined) {
    const volumes: VolumeMount[] = [];
    raw.volumes.forEach((volume, index) => {
      const parsed =
        typeof volume === "string" ? parseShortVolume(volume, context) : longVolume(volume, context);
      if (typeof parsed === "string") fail(["volumes", index], parsed);
      else {
        context.sources.mark(parsed, context.file, [...path, "volumes", index]);
        volumes.push(parsed);
      }
    });
    service.volumes = volumes;
  }
  if (raw.tmpfs !== undefined) set("tmpfs", toList(raw.tmpfs));
  if (raw.networks !== undefined) {
    const networks: Record<string, ServiceNetwork> = {};
    if (Array.isArray(raw.networks)) for (const network of raw.networks) networks[network] = { aliases: [] };
    else
      for (const [network, settings] of Object.entries(raw.networks)) {
        networks[network] = serviceNetwork(settings);
      }
    service.networks = networks;
  }
  set("networkMode", raw.network_mode);
  if (raw.depends_on !== undefined) {
    const dependencies: Record<string, Dependency> = {};
    if (Array.isArray(raw.depends_on)) {
      for (const dependency of raw.depends_on)
        dependencies[dependency] = { condition: "service_started", required: true, restart: false };
    } else {
      for (const [dependency, settings] of Object.entries(raw.depends_on)) {
        dependencies[dependency] = {
          condition: settings.condition ?? "service_started",
          required: toBoolean(settings.required) ?? true,
          restart: toBoolean(settings.restart) ?? false,
        };
      }
    }
    service.dependsOn = dependencies;
  }
  if (raw.healthcheck !== undefined) {
    const healthcheck = canonicalHealthcheck(raw.healthcheck, (suffix, message) =>
      fail(["healthcheck", ...suffix], message),
    );
    service.healthcheck = healthcheck;
  }
  set("restart", raw.restart);
  if (raw.logging !== undefined) {
    const options = stringMap(raw.logging.options ?? {});
    service.logging =
      raw.logging.driver === undefined ? { options } : { driver: raw.logging.driver, options };
  }
  if (raw.labels !== undefined) set("labels", stringMap(raw.labels));
  set("containerName", raw.container_name);
  set("hostname", raw.hostname);
  set("domainname", raw.domainname);
  set("readOnly", toBoolean(raw.read_only));
  set("init", toBoolean(raw.init));
  set("stopSignal", raw.stop_signal);
  if (raw.stop_grace_period !== undefined)
    set("stopGracePeriod", durationOrFail(raw.stop_grace_period, ["stop_grace_period"], fail));
  set("capAdd", raw.cap_add);
  set("capDrop", raw.cap_drop);
  set("privileged", toBoolean(raw.privileged));
  if (raw.extra_hosts !== undefined) {
    const hosts = extraHosts(raw.extra_hosts);
    hosts.forEach((entry) => {
      if (!/^[^:]+:.+$/.test(entry))
        fail(["extra_hosts"], `"${entry}" has no address; write HOST:IP, HOST=IP or HOST=IP1,IP2`);
    });
    set("extraHosts", hosts);
  }
  if (raw.dns !== undefined) set("dns", toList(raw.dns));
  if (raw.ulimits !== undefined) service.ulimits = ulimitMap(raw.ulimits);
  if (raw.shm_size !== undefined) set("shmSize", parseByteSize(raw.shm_size));
  if (raw.sysctls !== undefined) set("sysctls", stringMap(raw.sysctls));
  if (raw.devices !== undefined) {
    const devices: string[] = [];
    raw.devices.forEach((device, index) => {
      // The model keeps the short form, HOST:CONTAINER:PERMISSIONS, whichever form was written.
      const [source = "", target = source, permissions = "rwm"] =
        typeof device === "string" ? device.split(":") : [device.source, device.target, device.permissions];
      if (!source.startsWith("/") || !target.startsWith("/") || !/^[rwm]+$/.test(permissions))
        fail(
          ["devices", index],
          `${JSON.stringify(device)} is not a device; use HOST[:CONTAINER[:PERMISSIONS]] with absolute paths and permissions of r, w, m (e.g. "/dev/fuse:/dev/fuse:rwm")`,
        );
      else devices.push(`${source}:${target || source}:${permissions || "rwm"}`);
    });
    service.devices = devices;
  }
  if (raw.mem_limit !== undefined) set("memLimit", parseByteSize(raw.mem_limit));
  if (raw.cpus !== undefined) set("cpus", Number(raw.cpus));
  if (raw.pid !== undefined && raw.pid !== null) set("pid", raw.pid);
  set("ipc", raw.ipc);
  set("tty", toBoolean(raw.tty));
  set("stdinOpen", toBoolean(raw.stdin_open));
  if (raw.group_add !== undefined) set("groupAdd", raw.group_add.map(String));
  set("platform", raw.platform);
  // daily and weekly are pulled as missing (src/plan/pull-plan.ts).
  // The schema's pattern admitted only the written forms the type lists.
  set("pullPolicy", raw.pull_policy as Service["pullPolicy"]);
  const replicas = raw.deploy?.replicas ?? raw.scale;
  if (replicas !== undefined) {
    const count = Number(replicas);
    if (count < 0)
      fail(
        [raw.scale !== undefined ? "scale" : "deploy"],
        `"${replicas}" is not a number of containers; use 0 or more`,
      );
    else set("replicas", count);
  }
  set("profiles", raw.profiles);
  if (hasEngineSettings(raw)) Object.assign(service, canonicalEngineSettings(raw, fail));
  if (raw.secrets !== undefined) {
    const grants: PartialGrant[] = [];
    raw.secrets.forEach((grant, index) => {
      const parsed = runtimeGrant(grant, [...path, "secrets", index], context, "secret");
      if (parsed) grants.push(parsed);
    });
    service.secrets = grants;
  }
  if (raw.configs !== undefined) {
    const grants: PartialGrant[] = [];
    raw.configs.forEach((grant, index) => {
      const parsed = runtimeGrant(grant, [...path, "configs", index], context, "config");
      if (parsed) grants.push(parsed);
    });
    service.configs = grants;
  }
  set("attach", toBoolean(raw.attach));
  // Not run (NOT_RUN_YET warns): kept as written so `config` prints them.
  set("develop", raw.develop);
  set("models", raw.models);
  set("provider", raw.provider);
  if (raw.label_file !== undefined)
    set(
      "labelFiles",
      toList(raw.label_file).map((file) => resolvePath(file, context.baseDir)),
    );
  if (raw.post_start !== undefined)
    service.postStart = raw.post_start.map((hook) => serviceHook(hook, context));
  if (raw.pre_stop !== undefined) service.preStop = raw.pre_stop.map((hook) => serviceHook(hook, context));
  const extensions = extensionsOf(raw);
  if (extensions) service.extensions = extensions;
  context.sources.mark(service, context.file, path);
  return service;
}

/** One network's settings of a service (`networks: {back: {aliases, ...}}`). */
function serviceNetwork(
  settings: Exclude<NonNullable<RawService["networks"]>, string[]>[string],
): ServiceNetwork {
  const network: ServiceNetwork = { aliases: settings?.aliases ?? [] };
  if (!settings) return network;
  if (settings.ipv4_address) network.ipv4Address = settings.ipv4_address;
  if (settings.ipv6_address) network.ipv6Address = settings.ipv6_address;
  if (settings.interface_name !== undefined) network.interfaceName = settings.interface_name;
  if (settings.link_local_ips !== undefined) network.linkLocalIps = settings.link_local_ips;
  if (settings.mac_address !== undefined) network.macAddress = settings.mac_address;
  if (settings.driver_opts !== undefined) network.driverOpts = stringMap(settings.driver_opts);
  if (settings.priority !== undefined) network.priority = Number(settings.priority);
  if (settings.gw_priority !== undefined) network.gwPriority = Number(settings.gw_priority);
  return network;
}

function serviceHook(raw: NonNullable<RawService["post_start"]>[number], context: Context): ServiceHook {
  const hook: ServiceHook = {
    command: commandList(raw.command),
    privileged: toBoolean(raw.privileged) ?? false,
    environment: raw.environment === undefined ? {} : environmentMap(raw.environment, context.variables),
  };
  if (raw.user !== undefined) hook.user = raw.user;
  if (raw.working_dir !== undefined) hook.workingDir = raw.working_dir;
  return hook;
}

function ulimitMap(raw: NonNullable<RawService["ulimits"]>): Service["ulimits"] {
  const ulimits: Service["ulimits"] = {};
  for (const [key, value] of Object.entries(raw)) {
    ulimits[key] =
      typeof value === "object"
        ? { soft: Number(value.soft), hard: Number(value.hard) }
        : { soft: Number(value), hard: Number(value) };
  }
  return ulimits;
}

function canonicalBuild(
  raw: NonNullable<RawService["build"]>,
  path: PathSegment[],
  context: Context,
): Partial<Build> {
  if (typeof raw === "string") return { context: resolvePath(raw, context.baseDir) };
  const build: Partial<Build> = {};
  if (raw.context !== undefined) build.context = resolvePath(raw.context, context.baseDir);
  if (raw.dockerfile !== undefined) build.dockerfile = raw.dockerfile;
  if (raw.dockerfile_inline !== undefined) build.dockerfileInline = raw.dockerfile_inline;
  if (raw.args !== undefined) build.args = environmentMap(raw.args, context.variables);
  if (raw.target !== undefined) build.target = raw.target;
  if (raw.labels !== undefined) build.labels = stringMap(raw.labels);
  if (raw.tags !== undefined) build.tags = raw.tags;
  if (raw.network !== undefined) build.network = raw.network;
  if (raw.shm_size !== undefined) build.shmSize = parseByteSize(raw.shm_size);
  if (raw.extra_hosts !== undefined) build.extraHosts = extraHosts(raw.extra_hosts);
  if (raw.no_cache !== undefined) build.noCache = toBoolean(raw.no_cache) ?? false;
  if (raw.pull !== undefined) build.pull = toBoolean(raw.pull) ?? false;
  if (raw.cache_from !== undefined) build.cacheFrom = raw.cache_from;
  if (raw.ulimits !== undefined) build.ulimits = ulimitMap(raw.ulimits);
  if (raw.platforms !== undefined) build.platforms = raw.platforms;
  if (raw.isolation !== undefined) build.isolation = raw.isolation;
  if (raw.privileged !== undefined) build.privileged = toBoolean(raw.privileged) ?? false;
  if (raw.entitlements !== undefined) build.entitlements = raw.entitlements;
  if (raw.ssh !== undefined) {
    // `default` or `id=path`, as the list form writes them.
    build.ssh = Array.isArray(raw.ssh)
      ? raw.ssh
      : Object.entries(raw.ssh).map(([id, path]) => (path === null ? id : `${id}=${String(path)}`));
  }
  if (raw.cache_to !== undefined) build.cacheTo = raw.cache_to;
  if (raw.additional_contexts !== undefined) build.additionalContexts = stringMap(raw.additional_contexts);
  if (raw.provenance !== undefined) build.provenance = raw.provenance;
  if (raw.sbom !== undefined) build.sbom = raw.sbom;
  if (raw.no_cache_filter !== undefined) build.noCacheFilter = toList(raw.no_cache_filter);
  if (raw.secrets !== undefined) {
    const secrets: BuildSecret[] = [];
    raw.secrets.forEach((grant, index) => {
      const parsed = buildGrant(grant, [...path, "secrets", index], context);
      if (parsed) secrets.push(parsed);
    });
    build.secrets = secrets;
  }
  return build;
}

/**
 * `- name` or the long form, checked, its target resolved (SECRETS-SPEC.md §1); a config's grant
 * follows the same rules, its relative target under `/` instead of /run/secrets.
 */
function runtimeGrant(
  raw: RawSecretGrant,
  path: PathSegment[],
  context: Context,
  kind: "secret" | "config",
): PartialGrant | undefined {
  const { diagnostics, sources, file } = context;
  let ok = true;
  const problem = (suffix: PathSegment[], message: string) => {
    diagnostics.error(sources.positionIn(file, [...path, ...suffix]), [...path, ...suffix], message);
    ok = false;
  };
  const long = typeof raw === "string" ? { source: raw } : raw;
  if (long.source === "")
    problem(typeof raw === "string" ? [] : ["source"], `a ${kind} grant needs the name of a ${kind}`);
  const target =
    kind === "secret" ? secretTarget(long.target ?? long.source) : configTarget(long.target ?? long.source);
  if (typeof target !== "string") {
    problem(typeof raw === "string" ? [] : long.target !== undefined ? ["target"] : ["source"], target.error);
  }
  const uid = long.uid === undefined ? undefined : idNumber(long.uid, "uid");
  const gid = long.gid === undefined ? undefined : idNumber(long.gid, "gid");
  if (typeof uid === "string") problem(["uid"], uid);
  if (typeof gid === "string") problem(["gid"], gid);
  const mode =
    long.mode === undefined
      ? undefined
      : secretMode(long.mode, kind, {
          writtenAsDecimal: () => sources.isDecimalLiteral(file, [...path, "mode"]),
          writtenText: () => sources.writtenText(file, [...path, "mode"]),
        });
  if (mode && "error" in mode) problem(["mode"], mode.error);
  else if (mode?.warning)
    diagnostics.warn(sources.positionIn(file, [...path, "mode"]), [...path, "mode"], mode.warning);
  if (
    !ok ||
    typeof target !== "string" ||
    typeof uid === "string" ||
    typeof gid === "string" ||
    (mode && "error" in mode)
  ) {
    return undefined;
  }
  const grant: PartialGrant = { source: long.source, target };
  if (uid !== undefined) grant.uid = uid;
  if (gid !== undefined) grant.gid = gid;
  if (mode !== undefined) grant.mode = mode.mode;
  sources.mark(grant, file, path);
  return grant;
}

/** A build secret: `target` is the BuildKit id; ownership and paths mean nothing in a build. */
function buildGrant(raw: RawSecretGrant, path: PathSegment[], context: Context): BuildSecret | undefined {
  const { diagnostics, sources, file } = context;
  const problem = (suffix: PathSegment[], message: string) =>
    diagnostics.error(sources.positionIn(file, [...path, ...suffix]), [...path, ...suffix], message);
  if (typeof raw === "string") {
    if (raw === "") return (problem([], "a build secret needs the name of a secret"), undefined);
    const grant = { source: raw, target: raw };
    sources.mark(grant, file, path);
    return grant;
  }
  let ok = true;
  for (const field of ["uid", "gid", "mode"] as const) {
    if (raw[field] !== undefined) {
      problem(
        [field],
        `"${raw[field]}": ${field} has no meaning for a build secret (BuildKit mounts it for one RUN step; set ownership with RUN --mount=type=secret,id=...,${field}=...)`,
      );
      ok = false;
    }
  }
  const target = raw.target ?? raw.source;
  if (target.startsWith("/")) {
    problem(
      ["target"],
      `"${target}": a build secret's target is its id for RUN --mount=type=secret,id=<target>, not a path; use a name such as ${posix.basename(target) || raw.source}`,
    );
    ok = false;
  } else if (target === "") {
    problem(["target"], "a build secret's target (its id) cannot be empty");
    ok = false;
  }
  if (!ok) return undefined;
  const grant = { source: raw.source, target };
  sources.mark(grant, file, path);
  return grant;
}

const MAX_ID = 2 ** 32 - 2;

/** A uid or gid: decimal digits (a string or a YAML integer), 0..2^32-2. */
export function idNumber(value: string | number, what: "uid" | "gid"): number | string {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || Number(text) > MAX_ID) {
    return `"${value}" is not a ${what}; use a number from 0 to ${MAX_ID}, such as "1000"`;
  }
  return Number(text);
}

/**
 * A secret's mode. Strings are octal (`"0400"`, `"400"`, `"0o400"`); YAML integers are as go-yaml
 * reads them (`0400` octal, `256` decimal). Write bits are dropped with a warning, because a secret
 * is read-only for everyone in the container.
 */
export function secretMode(
  value: string | number,
  kind: "secret" | "config",
  source: {
    /** Whether the integer was written in decimal digits (asked only when that changes the outcome). */
    writtenAsDecimal: () => boolean;
    /** The integer as written (`01000`), for messages; asked only on an error. */
    writtenText?: () => string | undefined;
  },
): { mode: number; warning?: string } | { error: string } {
  const shown = () => (typeof value === "number" ? (source.writtenText?.() ?? String(value)) : value);
  let mode: number;
  let warning: string | undefined;
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      return { error: `${shown()} is not a file mode; use an octal mode such as 0400` };
    mode = value;
    // `mode: 440` is decimal 440 (octal 0670), almost surely meant as 0440: warn when the digits read
    // as a usual octal permission (each of owner, group, other one of 0, 4, 5, 6, 7). Decimal 256,
    // the same as 0400, is left alone.
    const digits = String(value);
    if (/^[4-7][0457][0457]$/.test(digits) && source.writtenAsDecimal()) {
      warning = `${digits} is read as a decimal number (octal 0${value.toString(8)}); write 0${digits} for octal ${digits}`;
    }
  } else {
    const match = /^(?:0o|0)?([0-7]+)$/i.exec(value.trim());
    if (!match) return { error: `"${value}" is not a file mode; use an octal mode such as 0400 or "0440"` };
    mode = parseInt(match[1]!, 8);
  }
  // `0489` reaches us as the decimal 489: only an integer with an 8 or 9 needs its written text.
  if ((typeof value === "string" || /[89]/.test(String(value))) && /^0\d*[89]/.test(shown())) {
    return {
      error: `"${shown()}" is not an octal number (8 and 9 are not octal digits); use an octal mode such as 0400`,
    };
  }
  if (mode < 0 || mode > 0o777) {
    return { error: `"${shown()}" is not a file mode (it is beyond 0777); use an octal mode such as 0400` };
  }
  if (mode & 0o222) {
    const readOnly = mode & ~0o222;
    const note = `mode 0${mode.toString(8)} has write bits, but ${kind}s are read-only; applying 0${readOnly.toString(8)}`;
    warning = warning ? `${warning}; ${note}` : note;
    mode = readOnly;
  }
  return warning ? { mode, warning } : { mode };
}

function canonicalHealthcheck(
  raw: NonNullable<RawService["healthcheck"]>,
  fail: (suffix: PathSegment[], message: string) => void,
): Healthcheck {
  const healthcheck: Healthcheck = { disable: toBoolean(raw.disable) ?? false };
  if (raw.test !== undefined) {
    healthcheck.test = typeof raw.test === "string" ? ["CMD-SHELL", raw.test] : raw.test;
    if (healthcheck.test[0] === "NONE") healthcheck.disable = true;
    else if (!["CMD", "CMD-SHELL"].includes(healthcheck.test[0] ?? "")) {
      fail(
        ["test"],
        `${JSON.stringify(raw.test)} must start with "CMD", "CMD-SHELL" or "NONE", or be a shell command string`,
      );
    }
  }
  for (const [key, field] of [
    ["interval", "interval"],
    ["timeout", "timeout"],
    ["start_period", "startPeriod"],
    ["start_interval", "startInterval"],
  ] as const) {
    const value = raw[key];
    if (value !== undefined) {
      const parsed = durationOrFail(value, [key], fail);
      if (parsed !== undefined) healthcheck[field] = parsed;
    }
  }
  if (raw.retries !== undefined) healthcheck.retries = Number(raw.retries);
  return healthcheck;
}

function durationOrFail(
  value: string | number,
  path: PathSegment[],
  fail: (suffix: PathSegment[], message: string) => void,
): number | undefined {
  const parsed = parseDuration(value);
  if (parsed === undefined)
    fail(path, `"${value}" is not a duration; use a value such as 10s, 1m30s or 500ms`);
  return parsed;
}

function commandList(value: string | string[]): string[] {
  return typeof value === "string" ? shellSplit(value) : value;
}

function toList(value: string | string[]): string[] {
  return typeof value === "string" ? [value] : value;
}

export function toBoolean(value: boolean | string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return typeof value === "boolean" ? value : value.toLowerCase() === "true";
}

/** `KEY=value` list or mapping to a mapping; a bare `KEY` takes its value from the variables. */
function environmentMap(
  value: ListOrDict,
  variables: (name: string) => string | undefined,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const entry of value) {
      const equals = entry.indexOf("=");
      if (equals < 0) out[entry] = variables(entry) ?? null;
      else out[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
  } else {
    for (const key in value) {
      const item = value[key];
      out[key] = item === null ? (variables(key) ?? null) : String(item);
    }
  }
  return out;
}

/**
 * `extra_hosts` as `host:ip` strings, one per address, from either form: `host:ip`, `host=ip` and
 * `host=ip1,ip2` in lists (as compose-go reads them), a mapping to one address or to a list.
 */
function extraHosts(value: string[] | Record<string, string | string[]>): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const entry of value) {
      // `=` first: an IPv6 address after it has colons of its own.
      const equals = entry.indexOf("=");
      const cut = equals >= 0 ? equals : entry.indexOf(":");
      if (cut < 0) out.push(entry);
      else for (const ip of entry.slice(cut + 1).split(",")) out.push(`${entry.slice(0, cut)}:${ip}`);
    }
  } else
    for (const host in value) {
      const ips = value[host]!;
      for (const ip of typeof ips === "string" ? [ips] : ips) out.push(`${host}:${ip}`);
    }
  return out;
}

function envFiles(value: NonNullable<RawService["env_file"]>, context: Context): EnvFileRef[] {
  const entries = typeof value === "string" ? [value] : value;
  return entries.map((entry) =>
    typeof entry === "string"
      ? { path: resolvePath(entry, context.baseDir), required: true }
      : { path: resolvePath(entry.path, context.baseDir), required: toBoolean(entry.required) ?? true },
  );
}

/** Resolves a path from a compose file: `~` is the home directory, relative is against `baseDir`. */
export function resolvePath(path: string, baseDir: string): string {
  if (path === "~" || path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  // `./secrets/db.txt` and `secrets/db.txt` need only joining to the (absolute, normal) base; the
  // general resolver, which also asks for the working directory, is left for the rest.
  const plain = path.startsWith("./") ? path.slice(2) : path;
  if (isAbsolute(baseDir) && baseDir !== "/" && isPlainRelative(plain)) return `${baseDir}/${plain}`;
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

/** Whether `path` is relative with no empty, `.` or `..` segment. */
function isPlainRelative(path: string): boolean {
  if (path === "" || path.startsWith("/")) return false;
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

function longPort(raw: {
  target: string | number;
  published?: string | number | undefined;
  host_ip?: string | undefined;
  protocol?: "tcp" | "udp" | "sctp" | undefined;
  mode?: "host" | "ingress" | undefined;
}): PortMapping {
  return {
    target: Number(raw.target),
    ...(raw.published !== undefined && raw.published !== "" ? { published: String(raw.published) } : {}),
    ...(raw.host_ip ? { hostIp: raw.host_ip } : {}),
    protocol: raw.protocol ?? "tcp",
    mode: raw.mode ?? "ingress",
  };
}

/** `[HOST_IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTOCOL]`; a range pair expands to one entry each. */
export function parseShortPort(text: string): PortMapping[] | string {
  const invalid = `"${text}" is not a port mapping; use CONTAINER, HOST:CONTAINER or IP:HOST:CONTAINER, optionally /tcp or /udp (e.g. "127.0.0.1:8080:80")`;
  let rest = text.trim();
  let protocol: PortMapping["protocol"] = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    const proto = rest.slice(slash + 1);
    if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") return invalid;
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const ipv6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (ipv6) {
    hostIp = ipv6[1];
    rest = ipv6[2]!;
  }
  const parts = rest.split(":");
  if (!ipv6 && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || (ipv6 && parts.length !== 2)) return invalid;
  const container = parts.pop()!;
  const host = parts[0];
  const range = /^(\d+)(?:-(\d+))?$/;
  const containerRange = range.exec(container);
  const hostRange = host === undefined || host === "" ? undefined : range.exec(host);
  if (!containerRange || (host !== undefined && host !== "" && !hostRange)) return invalid;
  const numbers = [containerRange[1], containerRange[2], hostRange?.[1], hostRange?.[2]]
    .filter((value) => value !== undefined)
    .map(Number);
  if (numbers.some((port) => port < 0 || port > 65535)) return `${invalid}; ports are 0 to 65535`;
  const first = Number(containerRange[1]);
  const last = Number(containerRange[2] ?? containerRange[1]);
  const base = { protocol, mode: "ingress" as const, ...(hostIp ? { hostIp } : {}) };
  if (last === first) {
    return [{ target: first, ...(hostRange ? { published: host! } : {}), ...base }];
  }
  const hostFirst = hostRange ? Number(hostRange[1]) : undefined;
  const hostLast = hostRange ? Number(hostRange[2] ?? hostRange[1]) : undefined;
  if (hostFirst !== undefined && hostLast! - hostFirst !== last - first) {
    return `"${text}": the host range and the container range must have the same length`;
  }
  const out: PortMapping[] = [];
  for (let port = first; port <= last; port++) {
    out.push({
      target: port,
      ...(hostFirst !== undefined ? { published: String(hostFirst + port - first) } : {}),
      ...base,
    });
  }
  return out;
}

/** `[SOURCE:]TARGET[:OPTIONS]`: a source that looks like a path is a bind, else a named volume. */
export function parseShortVolume(text: string, context: Pick<Context, "baseDir">): VolumeMount | string {
  const parts = text.split(":");
  if (parts.length > 3 || parts.some((part, index) => part === "" && index < parts.length)) {
    return `"${text}" is not a volume; use TARGET, SOURCE:TARGET or SOURCE:TARGET:ro (e.g. "./data:/data:ro")`;
  }
  if (parts.length === 1) return { type: "volume", target: parts[0]!, readOnly: false, nocopy: false };
  const [source, target, options = ""] = parts as [string, string, string?];
  if (!target.startsWith("/"))
    return `"${text}": the target "${target}" must be an absolute path in the container`;
  const flags = options.split(",").filter(Boolean);
  const unknown = flags.find(
    (flag) =>
      ![
        "ro",
        "rw",
        "z",
        "Z",
        "nocopy",
        "consistent",
        "cached",
        "delegated",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
      ].includes(flag),
  );
  if (unknown) return `"${text}": "${unknown}" is not a volume option; use ro or rw (and z, Z, nocopy)`;
  const readOnly = flags.includes("ro");
  if (/^[./~]/.test(source)) {
    const propagation = flags.find((flag) => /^r?(shared|slave|private)$/.test(flag));
    const selinux = flags.find((flag) => flag === "z" || flag === "Z") as "z" | "Z" | undefined;
    return {
      type: "bind",
      source: resolvePath(source, context.baseDir),
      target,
      readOnly,
      createHostPath: true,
      ...(propagation !== undefined ? { propagation } : {}),
      ...(selinux !== undefined ? { selinux } : {}),
    };
  }
  return { type: "volume", source, target, readOnly, nocopy: flags.includes("nocopy") };
}

function longVolume(
  raw: Extract<NonNullable<RawService["volumes"]>[number], object>,
  context: Context,
): VolumeMount | string {
  if (!raw.target) return "a volume needs a target, the absolute path in the container";
  if (!raw.target.startsWith("/"))
    return `the target "${raw.target}" must be an absolute path in the container`;
  const readOnly = toBoolean(raw.read_only) ?? false;
  switch (raw.type) {
    case "bind":
      if (!raw.source) return "a bind mount needs a source path on the host";
      return {
        type: "bind",
        source: resolvePath(raw.source, context.baseDir),
        target: raw.target,
        readOnly,
        createHostPath: toBoolean(raw.bind?.create_host_path) ?? true,
        ...(raw.bind?.propagation !== undefined ? { propagation: raw.bind.propagation } : {}),
        ...(raw.bind?.selinux !== undefined ? { selinux: raw.bind.selinux } : {}),
        ...(raw.bind?.recursive !== undefined ? { recursive: raw.bind.recursive } : {}),
      };
    case "volume":
      return {
        type: "volume",
        ...(raw.source ? { source: raw.source } : {}),
        target: raw.target,
        readOnly,
        nocopy: toBoolean(raw.volume?.nocopy) ?? false,
        ...(raw.volume?.subpath !== undefined ? { subpath: raw.volume.subpath } : {}),
        ...(raw.volume?.labels !== undefined ? { labels: stringMap(raw.volume.labels) } : {}),
      };
    case "image":
      if (!raw.source) return "an image mount needs a source, the image to mount";
      return {
        type: "image",
        source: raw.source,
        target: raw.target,
        // An image mount is always read-only on the engine; say so in the model as well.
        readOnly: true,
        ...(raw.image?.subpath !== undefined ? { subpath: raw.image.subpath } : {}),
      };
    case "tmpfs":
      return {
        type: "tmpfs",
        target: raw.target,
        readOnly,
        ...(raw.tmpfs?.size !== undefined ? { size: parseByteSize(raw.tmpfs.size) } : {}),
        // A string mode is octal (`"1777"`), as a YAML integer written with a leading 0 already is.
        ...(raw.tmpfs?.mode !== undefined
          ? { mode: typeof raw.tmpfs.mode === "string" ? parseInt(raw.tmpfs.mode, 8) : raw.tmpfs.mode }
          : {}),
      };
    default:
      return raw.type === "npipe"
        ? 'volume type "npipe" is for Windows engines (named pipes); composec runs Linux engines'
        : 'volume type "cluster" is a Swarm cluster volume; a single engine cannot mount it';
  }
}

/** The `x-` keys of a mapping (Compose's extensions), or undefined when it has none. */
export function extensionsOf(mapping: Record<string, unknown>): Record<string, unknown> | undefined {
  let extensions: Record<string, unknown> | undefined;
  for (const key in mapping) if (key.startsWith("x-")) (extensions ??= {})[key] = mapping[key];
  return extensions;
}
