// Stage 6: the merged files become the typed Project: profiles applied, defaults filled in,
// engine names given, and every rule between parts checked (references, cycles, secret targets).
import type {
  Ipam,
  ConfigDefinition,
  ConfigSource,
  Network,
  Project,
  SecretDefinition,
  SecretSource,
  Service,
  ServiceSecret,
  Volume,
} from "../model/project.js";
import {
  DEFAULT_CONFIG_MODE,
  DEFAULT_SECRET_MODE,
  SECRETS_DIR,
  mountHidingSecrets,
  mountTargetKey,
  targetCollisions,
} from "../model/secret-rules.js";
import { makeService } from "../model/project-builder.js";
import { commandSecret } from "./command-secret.js";
import { readEnvSecrets } from "./env-secrets.js";
import { COMPOSEC_EXTENSION, DELIVERY_KEY } from "../plan/secrets-delivery.js";
import { extensionsOf, toBoolean, type PartialGrant, type PartialService } from "./canonicalize.js";
import type { MergedProject } from "./merge.js";
import { formatPath, type PathSegment } from "./paths.js";
import type { Diagnostics, SourceMap } from "./source-map.js";
import { closest } from "./suggest.js";

export const SECRET_KEY = /^[a-zA-Z0-9._-]+$/;

interface Context {
  projectName: string;
  workingDir: string;
  sources: SourceMap;
  diagnostics: Diagnostics;
}

/** Builds the Project from merged data; problems go to `diagnostics`. */
export function finalizeProject(
  merged: MergedProject,
  base: { name: string; workingDir: string; composeFiles: string[]; profiles: string[] },
  sources: SourceMap,
  diagnostics: Diagnostics,
): Project {
  const context: Context = { projectName: base.name, workingDir: base.workingDir, sources, diagnostics };
  const services: Record<string, Service> = {};
  const disabledServices: Record<string, Service> = {};
  const allProfiles = base.profiles.includes("*");
  // for-in, not Object.entries(), over the project's mappings: see canonicalize.ts.
  for (const name in merged.services) {
    const partial = merged.services[name]!;
    const service = withDefaults(partial);
    impliedDependencies(service, merged.services);
    sources.inherit(service, partial);
    service.secrets.forEach((grant, index) => sources.inherit(grant, partial.secrets![index]));
    service.configs.forEach((grant, index) => sources.inherit(grant, partial.configs![index]));
    const active =
      service.profiles.length === 0 || allProfiles || service.profiles.some((p) => base.profiles.includes(p));
    (active ? services : disabledServices)[name] = service;
  }

  const networks = definitions(merged.networks, context, network);
  const volumes = definitions(merged.volumes, context, volume);
  const secrets: Record<string, SecretDefinition> = {};
  for (const key in merged.secrets) {
    const definition = secretDefinition(key, merged.secrets[key]!, context);
    if (definition) secrets[key] = definition;
  }
  const configs: Record<string, ConfigDefinition> = {};
  for (const key in merged.configs) {
    const definition = configDefinition(key, merged.configs[key]!, context);
    if (definition) configs[key] = definition;
  }

  // Like Compose: a service that names no network joins `default`, which exists only when used.
  let usesDefault = false;
  for (const name in services) {
    const service = services[name]!;
    if (service.networkMode === undefined && !hasKeys(service.networks)) {
      service.networks = { default: { aliases: [] } };
    }
    if ("default" in service.networks) usesDefault = true;
  }
  if (usesDefault && !networks["default"]) networks["default"] = network("default", {}, context);

  for (const name in services) {
    checkService(
      name,
      services[name]!,
      { networks, volumes, secrets, configs, services, disabledServices },
      context,
    );
  }
  checkCycles(services, context);

  const extensions = merged.extensions;
  checkComposecSettings(extensions, base.composeFiles, context);
  return {
    name: base.name,
    workingDir: base.workingDir,
    composeFiles: base.composeFiles,
    services,
    networks,
    volumes,
    secrets,
    configs,
    disabledServices,
    models: merged.models,
    extensions,
  };
}

function withDefaults(partial: PartialService): Service {
  const { build, secrets, configs, ...rest } = partial;
  // The model's defaults live in one place (project-builder.ts); networks stay empty here so that
  // the `default` network is added only where Compose adds it (see finalizeProject).
  const service: Service = makeService(partial.name, {
    ...rest,
    networks: rest.networks ?? {},
    secrets: (secrets ?? []).map((grant: PartialGrant): ServiceSecret => ({
      source: grant.source,
      target: grant.target,
      uid: grant.uid ?? 0,
      gid: grant.gid ?? 0,
      mode: grant.mode ?? DEFAULT_SECRET_MODE,
    })),
    configs: (configs ?? []).map((grant: PartialGrant): ServiceSecret => ({
      source: grant.source,
      target: grant.target,
      uid: grant.uid ?? 0,
      gid: grant.gid ?? 0,
      mode: grant.mode ?? DEFAULT_CONFIG_MODE,
    })),
  });
  if (build) {
    service.build = {
      context: build.context ?? "",
      args: {},
      labels: {},
      tags: [],
      extraHosts: [],
      noCache: false,
      pull: false,
      cacheFrom: [],
      secrets: [],
      ...build,
    };
  }
  return service;
}

function definitions<T>(
  raw: Record<string, Record<string, unknown> | null>,
  context: Context,
  make: (key: string, raw: Record<string, unknown>, context: Context) => T,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key in raw) out[key] = make(key, raw[key] ?? {}, context);
  return out;
}

function externalName(raw: Record<string, unknown>): { external: boolean; name?: string } {
  const external = raw["external"];
  if (external !== null && typeof external === "object") {
    const name = (external as { name?: string }).name;
    return name !== undefined ? { external: true, name } : { external: true };
  }
  return { external: toBoolean(external as boolean | string | undefined) ?? false };
}

function stringRecord(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry: string) => {
        const equals = entry.indexOf("=");
        return equals < 0 ? [entry, ""] : [entry.slice(0, equals), entry.slice(equals + 1)];
      }),
    );
  }
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

function network(key: string, raw: Record<string, unknown>, context: Context): Network {
  const { external, name: oldName } = externalName(raw);
  const explicit = (raw["name"] as string | undefined) ?? oldName;
  return {
    name: explicit ?? (external ? key : `${context.projectName}_${key}`),
    external,
    ...(raw["driver"] !== undefined ? { driver: raw["driver"] as string } : {}),
    driverOpts: stringRecord(raw["driver_opts"]),
    labels: stringRecord(raw["labels"]),
    internal: toBoolean(raw["internal"] as boolean | undefined) ?? false,
    attachable: toBoolean(raw["attachable"] as boolean | undefined) ?? false,
    enableIpv6: toBoolean(raw["enable_ipv6"] as boolean | undefined) ?? false,
    ...(raw["enable_ipv4"] !== undefined
      ? { enableIpv4: toBoolean(raw["enable_ipv4"] as boolean | string) ?? true }
      : {}),
    ...(raw["ipam"] !== undefined ? { ipam: ipam(raw["ipam"] as RawIpam) } : {}),
  };
}

interface RawIpam {
  driver?: string;
  config?: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[];
  options?: Record<string, string>;
}

function ipam(raw: RawIpam): Ipam {
  return {
    ...(raw.driver !== undefined ? { driver: raw.driver } : {}),
    config: (raw.config ?? []).map((pool) => ({
      ...(pool.subnet !== undefined ? { subnet: pool.subnet } : {}),
      ...(pool.ip_range !== undefined ? { ipRange: pool.ip_range } : {}),
      ...(pool.gateway !== undefined ? { gateway: pool.gateway } : {}),
      auxAddresses: { ...pool.aux_addresses },
    })),
    options: { ...raw.options },
  };
}

/**
 * `links` and `volumes_from` name services whose containers must exist first: like compose-go,
 * each becomes a `depends_on` entry (started, required) unless the service already names it.
 */
function impliedDependencies(service: Service, known: Record<string, unknown>): void {
  const names = [
    ...(service.links ?? []).map((link) => link.split(":")[0]!),
    ...(service.volumesFrom ?? [])
      .filter((entry) => !entry.startsWith("container:"))
      .map((entry) => entry.split(":")[0]!),
  ];
  // An unknown name is reported where it is written (checkService), not as a depends_on entry.
  for (const name of names) {
    if (name in known && name !== service.name && !(name in service.dependsOn))
      service.dependsOn = {
        ...service.dependsOn,
        [name]: { condition: "service_started", required: true, restart: false },
      };
  }
}

function volume(key: string, raw: Record<string, unknown>, context: Context): Volume {
  const { external, name: oldName } = externalName(raw);
  const explicit = (raw["name"] as string | undefined) ?? oldName;
  return {
    name: explicit ?? (external ? key : `${context.projectName}_${key}`),
    external,
    ...(raw["driver"] !== undefined ? { driver: raw["driver"] as string } : {}),
    driverOpts: stringRecord(raw["driver_opts"]),
    labels: stringRecord(raw["labels"]),
  };
}

/** A top-level secret, with the rules of SECRETS-SPEC.md §1 between its fields. */
function secretDefinition(
  key: string,
  raw: Record<string, unknown>,
  context: Context,
): SecretDefinition | undefined {
  const found = definitionSource("secret", key, raw, context);
  if (!found) return undefined;
  const definition: SecretDefinition = {
    key,
    name: found.name,
    source: found.source as SecretSource,
    labels: stringRecord(raw["labels"]),
    driverOpts: stringRecord(raw["driver_opts"]),
    extensions: extensionsOf(raw) ?? {},
    ...(raw["driver"] !== undefined ? { driver: raw["driver"] as string } : {}),
    ...(raw["template_driver"] !== undefined ? { templateDriver: raw["template_driver"] as string } : {}),
  };
  context.sources.inherit(definition, raw);
  return definition;
}

/** A top-level config: a secret's rules, with inline `content` as a fourth source. */
function configDefinition(
  key: string,
  raw: Record<string, unknown>,
  context: Context,
): ConfigDefinition | undefined {
  const found = definitionSource("config", key, raw, context);
  if (!found) return undefined;
  const definition: ConfigDefinition = {
    key,
    name: found.name,
    source: found.source,
    labels: stringRecord(raw["labels"]),
    extensions: extensionsOf(raw) ?? {},
    ...(raw["template_driver"] !== undefined ? { templateDriver: raw["template_driver"] as string } : {}),
  };
  context.sources.inherit(definition, raw);
  return definition;
}

/**
 * The one source of a secret or config and its store name, or undefined after reporting why there
 * is none (or more than one).
 */
function definitionSource(
  kind: "secret" | "config",
  key: string,
  raw: Record<string, unknown>,
  context: Context,
): { source: ConfigSource; name: string } | undefined {
  const { diagnostics, sources } = context;
  const path: PathSegment[] = [`${kind}s`, key];
  const at = (...suffix: PathSegment[]) => sources.locate(raw, suffix);
  const fail = (suffix: PathSegment[], message: string) =>
    diagnostics.error(at(...suffix), [...path, ...suffix], message);
  let ok = true;
  if (!SECRET_KEY.test(key)) {
    fail([], `"${key}" is not a valid ${kind} name; use letters, digits, ".", "_" and "-"`);
    ok = false;
  }
  if (kind === "secret" && "content" in raw) {
    fail(
      ["content"],
      'secrets have no "content" (configs do); put the value in a file and use file:, or use environment:',
    );
    ok = false;
  }
  const { external, name: oldName } = externalName(raw);
  const file = raw["file"] as string | undefined;
  const environment = raw["environment"] as string | undefined;
  const content = kind === "config" ? (raw["content"] as string | undefined) : undefined;
  const name = raw["name"] as string | undefined;
  if (oldName !== undefined) {
    if (name !== undefined && name !== oldName) {
      fail(
        ["external", "name"],
        `"${oldName}" differs from name "${name}"; external.name is the old spelling of name, keep only name`,
      );
      ok = false;
    } else
      diagnostics.warn(
        at("external", "name"),
        [...path, "external", "name"],
        `external.name is deprecated; write name: ${oldName} and external: true`,
      );
  }
  const given = [
    ...(file !== undefined ? ["file"] : []),
    ...(environment !== undefined ? ["environment"] : []),
    ...(content !== undefined ? ["content"] : []),
  ];
  let source: ConfigSource | undefined;
  // Only secrets come from a command; on a config, x-composec-command is an extension like any other.
  const command =
    kind === "secret"
      ? commandSecret(raw, context.workingDir, () => at(), fail)
      : ({ kind: "none" } as const);
  if (command.kind !== "none") {
    // The command source checks its own fields and how they combine with the others.
    if (command.kind === "source") source = command.source;
    else ok = false;
  } else if (external) {
    const notWithExternal =
      kind === "secret"
        ? ["file", "environment", "driver", "driver_opts", "template_driver"]
        : ["file", "environment", "content", "template_driver"];
    for (const field of notWithExternal.filter((field) => field in raw)) {
      fail(
        [field],
        `an external ${kind} takes its value from the secret store; remove ${field} (only name and labels go with external)`,
      );
      ok = false;
    }
    source = { kind: "external", name: name ?? oldName ?? key };
  } else if (given.length > 1) {
    fail(
      [],
      kind === "secret"
        ? `secret "${key}" has both file and environment; give exactly one source`
        : `config "${key}" has ${given.join(" and ")}; give exactly one source`,
    );
    ok = false;
  } else if (file !== undefined) {
    if (file === "") {
      fail(
        ["file"],
        `"" is not a path; give the file that holds the ${kind}, e.g. ./${key}${kind === "secret" ? ".txt" : ""}`,
      );
      ok = false;
    } else source = { kind: "file", path: file };
  } else if (environment !== undefined) {
    if (environment === "") {
      fail(
        ["environment"],
        `"" is not a variable name; give the variable that holds the ${kind}, e.g. ${key.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`,
      );
      ok = false;
    } else source = { kind: "environment", variable: environment };
  } else if (content !== undefined) {
    // An empty content is a 0-byte config, as an empty variable is: the text says what it holds.
    source = { kind: "content", content };
  } else {
    fail(
      [],
      kind === "secret"
        ? `secret "${key}" has no source; give file: (a path), environment: (a variable name), external: true or x-composec-command: [argv...]`
        : `config "${key}" has no source; give file: (a path), environment: (a variable name), content: (inline text) or external: true`,
    );
    ok = false;
  }
  if (!ok || !source) {
    diagnostics.broken.add(`${kind}s:${key}`);
    return undefined;
  }
  return {
    source,
    name: name ?? oldName ?? (external ? key : `${context.projectName}_${key}`),
  };
}

interface Definitions {
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, SecretDefinition>;
  configs: Record<string, ConfigDefinition>;
  services: Record<string, Service>;
  disabledServices: Record<string, Service>;
}

function checkService(name: string, service: Service & object, defs: Definitions, context: Context): void {
  const { diagnostics } = context;
  const fail = (object: object, suffix: PathSegment[], message: string) =>
    diagnostics.errorIn(object, suffix, message);
  // A definition already reported as invalid is known by name: a reference to it is no new problem.
  const known = (kind: string, key: string, defined: object) =>
    key in defined || diagnostics.broken.has(`${kind}:${key}`);
  const here = (suffix: PathSegment[], message: string) => fail(service, suffix, message);
  const suggest = (word: string, candidates: string[]) => {
    const match = closest(word, candidates);
    return match
      ? `; did you mean "${match}"?`
      : candidates.length
        ? `; defined: ${candidates.join(", ")}`
        : "";
  };

  const shapeFault =
    diagnostics.broken.has(`services:${name}.image`) || diagnostics.broken.has(`services:${name}.build`);
  if (service.image === undefined && service.build === undefined && !shapeFault) {
    here([], `service "${name}" has neither image nor build; give an image to run or a build context`);
  }
  if (service.containerName !== undefined && service.replicas > 1) {
    here(
      ["container_name"],
      `"${service.containerName}" cannot name ${service.replicas} containers; remove container_name or set one replica`,
    );
  }
  if (service.networkMode !== undefined && Object.keys(service.networks).length > 0) {
    here(
      ["network_mode"],
      `network_mode "${service.networkMode}" cannot be combined with networks; use one of them`,
    );
  }
  for (const key of Object.keys(service.networks)) {
    if (!known("networks", key, defs.networks)) {
      here(
        ["networks", key],
        `network "${key}" is not defined under top-level networks${suggest(key, Object.keys(defs.networks))}`,
      );
    }
  }
  service.volumes.forEach((mount) => {
    if (
      mount.type === "volume" &&
      mount.source !== undefined &&
      !known("volumes", mount.source, defs.volumes)
    ) {
      fail(
        mount,
        [],
        `volume "${mount.source}" is not defined under top-level volumes${suggest(mount.source, Object.keys(defs.volumes))}; a host path starts with ./ or /`,
      );
    }
  });
  for (const dependency in service.dependsOn) {
    const settings = service.dependsOn[dependency]!;
    if (dependency === name) here(["depends_on", dependency], `service "${name}" depends on itself`);
    else if (!known("services", dependency, defs.services)) {
      if (defs.disabledServices[dependency]) {
        if (settings.required) {
          here(
            ["depends_on", dependency],
            `service "${dependency}" is not enabled (its profiles are ${defs.disabledServices[dependency]!.profiles.join(", ")}); enable one with --profile`,
          );
        }
      } else {
        here(
          ["depends_on", dependency],
          `service "${dependency}" is not defined${suggest(dependency, Object.keys(defs.services))}`,
        );
      }
    }
  }

  const references: [string, string[] | undefined, (entry: string) => string | undefined][] = [
    ["links", service.links, (link) => link.split(":")[0]],
    [
      "volumes_from",
      service.volumesFrom,
      (entry) => (entry.startsWith("container:") ? undefined : entry.split(":")[0]),
    ],
  ];
  for (const [field, entries, target] of references) {
    entries?.forEach((entry, index) => {
      const other = target(entry);
      if (other === undefined || known("services", other, defs.services) || defs.disabledServices[other])
        return;
      here(
        [field, index],
        `service "${other}" is not defined${suggest(other, Object.keys(defs.services))}${field === "volumes_from" ? '; a container outside the project is written "container:NAME"' : ""}`,
      );
    });
  }
  const primary = Object.keys(service.networks).sort(
    (a, b) => (service.networks[b]?.priority ?? 0) - (service.networks[a]?.priority ?? 0),
  )[0];
  const primaryMac = primary === undefined ? undefined : service.networks[primary]?.macAddress;
  if (service.macAddress !== undefined && primaryMac !== undefined && primaryMac !== service.macAddress) {
    here(
      ["mac_address"],
      `"${service.macAddress}" differs from networks.${primary}.mac_address "${primaryMac}", the primary network's; give one MAC address`,
    );
  }
  const mountTargets = new Map<string, string>();
  for (const mount of service.volumes) {
    const what = mount.type === "tmpfs" ? "tmpfs" : `${mount.type} ${mount.source ?? "(anonymous)"}`;
    mountTargets.set(mountTargetKey(mount.target), what);
  }
  for (const tmpfs of service.tmpfs) mountTargets.set(mountTargetKey(tmpfs.split(":")[0]!), "tmpfs");
  const grants = [
    ...service.secrets.map((grant, index) => ({
      kind: "secret" as const,
      grant,
      index,
      target: grant.target,
    })),
    ...service.configs.map((grant, index) => ({
      kind: "config" as const,
      grant,
      index,
      target: grant.target,
    })),
  ];
  const collisions = targetCollisions(grants, mountTargets);
  for (const { kind, grant } of grants) {
    const at = (suffix: PathSegment[], message: string) => fail(grant, suffix, message);
    const defined = kind === "secret" ? defs.secrets : defs.configs;
    if (!known(`${kind}s`, grant.source, defined)) {
      at(
        ["source"],
        `${kind} "${grant.source}" is not defined under top-level ${kind}s${suggest(grant.source, Object.keys(defined))}`,
      );
    }
    for (const { collision } of collisions.filter((entry) => entry.grant.grant === grant)) {
      if (collision.with === "grant") {
        const previous = collision.grant;
        const other = context.sources.pathOf(previous.grant, [], []);
        at(
          ["target"],
          `"${grant.target}" is also the target of ${other.length ? formatPath(other) : `${previous.kind}s[${previous.index}]`}; give each ${kind} its own target`,
        );
      } else {
        at(
          ["target"],
          `"${grant.target}" is also the target of a ${collision.mount} mount of this service; choose another target`,
        );
      }
    }
  }
  const hiding = mountHidingSecrets(grants, mountTargets);
  if (hiding !== undefined) {
    here(
      ["volumes"],
      `a ${hiding} mount at ${SECRETS_DIR} would hide this service's secrets; mount it elsewhere (a parent such as /run is fine)`,
    );
  }
  readEnvSecrets(service, (secret) => known("secrets", secret, defs.secrets), here);
  const buildIds = new Map<string, object>();
  service.build?.secrets.forEach((grant) => {
    const other = buildIds.get(grant.target);
    if (other) {
      fail(
        grant,
        ["target"],
        `"${grant.target}" is also the id of ${formatPath(context.sources.pathOf(other, [], ["build", "secrets"]))}; give each build secret its own id (target)`,
      );
    } else buildIds.set(grant.target, grant);
    if (!known("secrets", grant.source, defs.secrets)) {
      fail(
        grant,
        ["source"],
        `secret "${grant.source}" is not defined under top-level secrets${suggest(grant.source, Object.keys(defs.secrets))}`,
      );
    }
  });
}

/** Reports each `depends_on` cycle once, naming the services in order. */
function checkCycles(services: Record<string, Service>, context: Context): void {
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (name: string, stack: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const key = [...cycle].sort().join(",");
      if (!reported.has(key)) {
        reported.add(key);
        const service = services[name]!;
        context.diagnostics.errorIn(
          service,
          ["depends_on"],
          `dependency cycle: ${cycle.join(" -> ")}; remove one of these depends_on entries`,
        );
      }
      return;
    }
    state.set(name, "visiting");
    for (const dependency of Object.keys(services[name]?.dependsOn ?? {})) {
      // A service naming itself is reported as such by checkService, not again as a cycle.
      if (services[dependency] && dependency !== name) visit(dependency, [...stack, name]);
    }
    state.set(name, "done");
  };
  for (const name of Object.keys(services)) visit(name, []);
}

function hasKeys(mapping: object): boolean {
  for (const _ in mapping) return true;
  return false;
}

/**
 * The top-level `x-composec` mapping: project-wide settings of composec (Compose ignores it).
 * `secrets-delivery` forces where runtime secrets are kept (plan/secrets-delivery.ts).
 */
function checkComposecSettings(extensions: Record<string, unknown>, files: string[], context: Context): void {
  const settings = extensions[COMPOSEC_EXTENSION];
  if (settings === undefined) return;
  // Top-level extensions keep no origin: the last file that writes the path is where it was set.
  const at = (path: string[]) => {
    for (const file of [...files].reverse()) {
      if (context.sources.written(file)?.positions.has(formatPath(path)))
        return context.sources.positionIn(file, path);
    }
    return undefined;
  };
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
    context.diagnostics.error(
      at([COMPOSEC_EXTENSION]),
      COMPOSEC_EXTENSION,
      `must be a mapping of composec settings, e.g. {${DELIVERY_KEY}: engine}`,
    );
    return;
  }
  const value = (settings as Record<string, unknown>)[DELIVERY_KEY];
  if (value !== undefined && value !== "local" && value !== "engine") {
    context.diagnostics.error(
      at([COMPOSEC_EXTENSION, DELIVERY_KEY]),
      [COMPOSEC_EXTENSION, DELIVERY_KEY],
      `${JSON.stringify(value)} is not a delivery path; use local (a tmpfs on this host) or engine (a tmpfs on the engine's host)`,
    );
  }
}
