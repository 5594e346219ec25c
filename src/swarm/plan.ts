// The pure half of `composec deploy`: a loaded project, the keyed digests of its secret values and
// what the Swarm already holds, to the Swarm objects to create, update or keep. Nothing here talks
// to an engine or sees a secret value, so every decision is tested as data (plan.test.ts).
import { createHash } from "node:crypto";
import { ProjectError, type Problem } from "../errors.js";
import type { Project, Service, ServiceSecret, UpdateConfig as ModelUpdateConfig } from "../model/project.js";
import { SECRETS_DIR } from "../model/secret-rules.js";
import { STACK_LABEL, stackServiceName, stackVersionedName } from "../model/names.js";
import type {
  ConfigReference,
  NetworkSpec,
  ServiceSpec,
  SecretReference,
  SwarmMount,
  SwarmState,
  UpdateConfig as SwarmUpdateConfig,
} from "./types.js";

/** Swarm refuses names of secrets, configs and services longer than this. */
export const MAX_SWARM_NAME = 64;

/** A secret that `x-composec-source: store` reads from composec's local store, not the Swarm's. */
export function readsLocalStore(project: Project, key: string): boolean {
  const definition = project.secrets[key];
  return definition?.source.kind === "external" && definition.extensions["x-composec-source"] === "store";
}

/**
 * The secrets composec creates as versioned Swarm secrets: every `file` and `environment` source,
 * and external ones read from the local store. Plain `external` secrets already live in the Swarm.
 */
export function versionedSecretKeys(project: Project): string[] {
  const used = new Set(Object.values(project.services).flatMap((s) => s.secrets.map((g) => g.source)));
  return [...used]
    .filter((key) => project.secrets[key]?.source.kind !== "external" || readsLocalStore(project, key))
    .sort();
}

/** The configs composec creates as versioned Swarm configs: every source but `external`. */
export function versionedConfigKeys(project: Project): string[] {
  const used = new Set(Object.values(project.services).flatMap((s) => s.configs.map((g) => g.source)));
  return [...used].filter((key) => project.configs[key]?.source.kind !== "external").sort();
}

/** Plans the secrets or configs the services use: versioned by digest, or external by name. */
function planObjects(
  kind: "secret" | "config",
  project: Project,
  digests: ReadonlyMap<string, string>,
  state: SwarmState,
  problems: Problem[],
): { steps: SecretStep[]; names: Map<string, string> } {
  const stack = project.name;
  const definitions = kind === "secret" ? project.secrets : project.configs;
  const onSwarm = new Set((kind === "secret" ? state.secrets : state.configs).map((o) => o.name));
  const used = new Set(
    Object.values(project.services).flatMap((s) =>
      (kind === "secret" ? s.secrets : s.configs).map((g) => g.source),
    ),
  );
  const names = new Map<string, string>();
  const steps: SecretStep[] = [];
  for (const key of [...used].sort()) {
    const definition = definitions[key];
    if (!definition) continue; // the loader has already refused it
    const plugin = "driver" in definition && definition.driver !== undefined;
    if (plugin || definition.templateDriver !== undefined) {
      problems.push({
        path: `${kind}s.${key}`,
        message: "driver and template_driver are not supported by composec deploy; remove them",
      });
    }
    const fromStore = kind === "secret" && readsLocalStore(project, key);
    if (definition.source.kind === "external" && !fromStore) {
      const name = definition.source.name;
      names.set(key, name);
      if (!onSwarm.has(name)) {
        problems.push({
          path: `${kind}s.${key}.external`,
          message:
            kind === "secret"
              ? `the Swarm has no secret "${name}"; create it with \`docker secret create ${name} FILE\`, or set \`x-composec-source: store\` to create it from composec's local store`
              : `the Swarm has no config "${name}"; create it with \`docker config create ${name} FILE\``,
        });
      }
      steps.push({ key, name, action: "external", labels: {} });
      continue;
    }
    const digest = digests.get(key);
    if (digest === undefined) throw new Error(`internal: no digest for ${kind} ${key}`);
    const name = stackVersionedName(stack, key, digest);
    if (name.length > MAX_SWARM_NAME) {
      problems.push({
        path: `${kind}s.${key}`,
        message: `the Swarm ${kind} name "${name}" is longer than ${MAX_SWARM_NAME} characters; use a shorter project name or ${kind} key`,
      });
    }
    names.set(key, name);
    const labels = { ...definition.labels, [STACK_LABEL.namespace]: stack, [STACK_LABEL.key]: key };
    steps.push({ key, name, action: onSwarm.has(name) ? "exists" : "create", labels });
  }
  return { steps, names };
}

export interface SecretStep {
  key: string;
  /** The Swarm secret's name: versioned, or the external secret's own. */
  name: string;
  action: "create" | "exists" | "external";
  labels: Record<string, string>;
}

export interface NetworkStep {
  key: string;
  name: string;
  action: "create" | "exists" | "external";
  spec: NetworkSpec;
}

export interface ServiceStep {
  service: string;
  name: string;
  action: "create" | "update" | "unchanged";
  /** The spec to send; each secret reference's SecretID holds the secret's name until executed. */
  spec: ServiceSpec;
  id?: string;
  version?: number;
}

export interface DeployPlan {
  stack: string;
  secrets: SecretStep[];
  /** Configs, planned as secrets are: versioned by digest, or external by name. */
  configs: SecretStep[];
  networks: NetworkStep[];
  services: ServiceStep[];
  /** Services of the stack no longer in the project (removed only with `--prune`). */
  orphans: Array<{ name: string; id: string }>;
  /** Attributes Swarm cannot run, said as `docker stack deploy` says them. */
  warnings: string[];
}

export interface PlanInput {
  project: Project;
  /** Keyed digests (short hex) of the versioned secrets' values, by key. */
  secretDigests: ReadonlyMap<string, string>;
  /** Keyed digests of the versioned configs' contents, by key. */
  configDigests?: ReadonlyMap<string, string>;
  state: SwarmState;
}

/** Plans a deploy, or throws a ProjectError listing every reason the project cannot go on a Swarm. */
export function planDeploy(input: PlanInput): DeployPlan {
  const { project, secretDigests, state } = input;
  const stack = project.name;
  const problems: Problem[] = [];
  const warnings = unsupportedWarnings(project);

  const secretPlan = planObjects("secret", project, secretDigests, state, problems);
  const configPlan = planObjects("config", project, input.configDigests ?? new Map(), state, problems);
  const secrets = secretPlan.steps;
  const configs = configPlan.steps;

  const networks: NetworkStep[] = [];
  const engineNetworks = new Set(state.networks.map((n) => n.name));
  const usedNetworks = new Set(Object.values(project.services).flatMap((s) => Object.keys(s.networks)));
  for (const key of [...usedNetworks].sort()) {
    const network = project.networks[key];
    if (!network) continue;
    const spec: NetworkSpec = {
      Name: network.name,
      Driver: network.driver ?? "overlay",
      Scope: "swarm",
      Attachable: network.attachable,
      Internal: network.internal,
      EnableIPv6: network.enableIpv6,
      Options: network.driverOpts,
      Labels: { ...network.labels, [STACK_LABEL.namespace]: stack },
    };
    if (network.external) {
      if (!engineNetworks.has(network.name)) {
        problems.push({
          path: `networks.${key}`,
          message: `external network "${network.name}" does not exist; create it with \`docker network create --driver overlay ${network.name}\``,
        });
      }
      networks.push({ key, name: network.name, action: "external", spec });
      continue;
    }
    networks.push({
      key,
      name: network.name,
      action: engineNetworks.has(network.name) ? "exists" : "create",
      spec,
    });
  }

  const existing = new Map(state.services.map((s) => [s.name, s]));
  const services: ServiceStep[] = [];
  for (const service of Object.values(project.services).sort((a, b) => a.name.localeCompare(b.name))) {
    const name = stackServiceName(stack, service.name);
    if (service.image === undefined) {
      problems.push({
        path: `services.${service.name}.image`,
        message:
          "a Swarm runs images, it cannot build them: build and tag the image first (`composec build`), push it where the nodes can pull it, and name it with `image:`",
      });
      continue;
    }
    if (service.networkMode !== undefined && service.networkMode.startsWith("service:")) {
      problems.push({
        path: `services.${service.name}.network_mode`,
        message: `"${service.networkMode}" cannot run on a Swarm; put both services on one network instead`,
      });
    }
    const spec = serviceSpec(
      project,
      service,
      { secrets: secretPlan.names, configs: configPlan.names },
      problems,
    );
    const hash = specHash(spec);
    spec.Labels[STACK_LABEL.specHash] = hash;
    const found = existing.get(name);
    if (!found) services.push({ service: service.name, name, action: "create", spec });
    else
      services.push({
        service: service.name,
        name,
        action: found.labels[STACK_LABEL.specHash] === hash ? "unchanged" : "update",
        spec,
        id: found.id,
        version: found.version,
      });
  }
  if (problems.length > 0) throw new ProjectError(problems);

  const wanted = new Set(services.map((s) => s.name));
  const orphans = state.services.filter((s) => !wanted.has(s.name)).map((s) => ({ name: s.name, id: s.id }));
  return { stack, secrets, configs, networks, services, orphans, warnings };
}

/** The Swarm service spec of one compose service; problems found on the way are added to `problems`. */
export function serviceSpec(
  project: Project,
  service: Service,
  names: { secrets: ReadonlyMap<string, string>; configs: ReadonlyMap<string, string> },
  problems: Problem[],
): ServiceSpec {
  const stack = project.name;
  const image = service.image as string;
  const env = Object.entries(service.environment)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const containerSpec: ServiceSpec["TaskTemplate"]["ContainerSpec"] = {
    Image: image,
    Labels: { ...service.labels, [STACK_LABEL.namespace]: stack },
    ...(env.length > 0 ? { Env: env } : {}),
    ...(service.entrypoint ? { Command: service.entrypoint } : {}),
    ...(service.command ? { Args: service.command } : {}),
    ...(service.hostname !== undefined ? { Hostname: service.hostname } : {}),
    ...(service.workingDir !== undefined ? { Dir: service.workingDir } : {}),
    ...(service.user !== undefined ? { User: service.user } : {}),
    ...(service.groupAdd.length > 0 ? { Groups: service.groupAdd } : {}),
    ...(service.tty ? { TTY: true } : {}),
    ...(service.stdinOpen ? { OpenStdin: true } : {}),
    ...(service.readOnly ? { ReadOnly: true } : {}),
    ...(service.init !== undefined ? { Init: service.init } : {}),
    ...(service.stopSignal !== undefined ? { StopSignal: service.stopSignal } : {}),
    ...(service.stopGracePeriod !== undefined ? { StopGracePeriod: service.stopGracePeriod } : {}),
    ...(service.capAdd.length > 0 ? { CapabilityAdd: service.capAdd } : {}),
    ...(service.capDrop.length > 0 ? { CapabilityDrop: service.capDrop } : {}),
    ...(Object.keys(service.sysctls).length > 0 ? { Sysctls: service.sysctls } : {}),
    ...(service.dns.length > 0 ? { DNSConfig: { Nameservers: service.dns } } : {}),
    ...(service.extraHosts.length > 0 ? { Hosts: service.extraHosts.map(swarmHost) } : {}),
  };
  const ulimits = Object.entries(service.ulimits);
  if (ulimits.length > 0) {
    containerSpec.Ulimits = ulimits.map(([name, limit]) => ({
      Name: name,
      Soft: limit.soft,
      Hard: limit.hard,
    }));
  }
  const health = service.healthcheck;
  if (health) {
    containerSpec.Healthcheck = health.disable
      ? { Test: ["NONE"] }
      : {
          ...(health.test ? { Test: health.test } : {}),
          ...(health.interval !== undefined ? { Interval: health.interval } : {}),
          ...(health.timeout !== undefined ? { Timeout: health.timeout } : {}),
          ...(health.retries !== undefined ? { Retries: health.retries } : {}),
          ...(health.startPeriod !== undefined ? { StartPeriod: health.startPeriod } : {}),
        };
  }
  const mounts = serviceMounts(project, service, problems);
  if (mounts.length > 0) containerSpec.Mounts = mounts;
  const secrets = service.secrets.map((grant) => secretReference(grant, names.secrets));
  if (secrets.length > 0) containerSpec.Secrets = secrets;
  const configs = service.configs.map((grant): ConfigReference => {
    const name = names.configs.get(grant.source) ?? grant.source;
    return {
      File: { Name: grant.target, UID: String(grant.uid), GID: String(grant.gid), Mode: grant.mode },
      ConfigID: name,
      ConfigName: name,
    };
  });
  if (configs.length > 0) containerSpec.Configs = configs;

  const deploy = service.deploy ?? {};
  const spec: ServiceSpec = {
    Name: stackServiceName(stack, service.name),
    Labels: { ...(deploy.labels ?? {}), [STACK_LABEL.namespace]: stack, [STACK_LABEL.image]: image },
    TaskTemplate: { ContainerSpec: containerSpec },
    Mode: serviceMode(service, problems),
  };
  const resources = serviceResources(service);
  if (resources) spec.TaskTemplate.Resources = resources;
  if (deploy.restartPolicy) {
    const policy = deploy.restartPolicy;
    spec.TaskTemplate.RestartPolicy = {
      ...(policy.condition !== undefined ? { Condition: policy.condition } : {}),
      ...(policy.delay !== undefined ? { Delay: policy.delay } : {}),
      ...(policy.maxAttempts !== undefined ? { MaxAttempts: policy.maxAttempts } : {}),
      ...(policy.window !== undefined ? { Window: policy.window } : {}),
    };
  }
  if (deploy.placement) {
    const placement = deploy.placement;
    spec.TaskTemplate.Placement = {
      ...(placement.constraints.length > 0 ? { Constraints: placement.constraints } : {}),
      ...(placement.preferences.length > 0
        ? { Preferences: placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p.spread } })) }
        : {}),
      ...(placement.maxReplicasPerNode !== undefined ? { MaxReplicas: placement.maxReplicasPerNode } : {}),
    };
  }
  if (deploy.updateConfig) spec.UpdateConfig = updateConfig(deploy.updateConfig);
  if (deploy.rollbackConfig) spec.RollbackConfig = updateConfig(deploy.rollbackConfig);
  const networks = Object.entries(service.networks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, settings]) => ({
      Target: project.networks[key]?.name ?? key,
      // Other services reach it by its compose name, as on one host.
      Aliases: [...new Set([service.name, ...settings.aliases])],
    }));
  if (networks.length > 0) spec.TaskTemplate.Networks = networks;
  if (service.logging?.driver !== undefined) {
    spec.TaskTemplate.LogDriver = { Name: service.logging.driver, Options: service.logging.options };
  }
  const ports = servicePorts(service, problems);
  const endpointMode = deploy.endpointMode ?? "vip";
  if (endpointMode !== "vip" && endpointMode !== "dnsrr") {
    problems.push({
      path: `services.${service.name}.deploy.endpoint_mode`,
      message: `"${endpointMode}" is not an endpoint mode; use vip or dnsrr`,
    });
  } else if (endpointMode === "dnsrr" && ports.some((p) => p.PublishMode === "ingress")) {
    problems.push({
      path: `services.${service.name}.deploy.endpoint_mode`,
      message:
        "dnsrr cannot publish ports through the routing mesh; publish them with `mode: host`, or use vip",
    });
  }
  if (ports.length > 0 || deploy.endpointMode !== undefined) {
    spec.EndpointSpec = {
      Mode: endpointMode as "vip" | "dnsrr",
      ...(ports.length > 0 ? { Ports: ports } : {}),
    };
  }
  return spec;
}

function serviceMode(service: Service, problems: Problem[]): ServiceSpec["Mode"] {
  const mode = service.deploy?.mode ?? "replicated";
  if (mode === "global") return { Global: {} };
  if (mode !== "replicated") {
    problems.push({
      path: `services.${service.name}.deploy.mode`,
      message: `"${mode}" is not supported by composec deploy; use replicated or global`,
    });
  }
  return { Replicated: { Replicas: service.replicas } };
}

/** `deploy.resources`, else the single-engine `mem_limit` / `cpus`. */
function serviceResources(
  service: Service,
): NonNullable<ServiceSpec["TaskTemplate"]["Resources"]> | undefined {
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const memory = limits?.memory ?? service.memLimit;
  const cpus = limits?.cpus ?? service.cpus;
  const out: NonNullable<ServiceSpec["TaskTemplate"]["Resources"]> = {};
  if (memory !== undefined || cpus !== undefined || limits?.pids !== undefined) {
    out.Limits = {
      ...(memory !== undefined ? { MemoryBytes: memory } : {}),
      ...(cpus !== undefined ? { NanoCPUs: Math.round(cpus * 1e9) } : {}),
      ...(limits?.pids !== undefined ? { Pids: limits.pids } : {}),
    };
  }
  if (reservations?.memory !== undefined || reservations?.cpus !== undefined) {
    out.Reservations = {
      ...(reservations.memory !== undefined ? { MemoryBytes: reservations.memory } : {}),
      ...(reservations.cpus !== undefined ? { NanoCPUs: Math.round(reservations.cpus * 1e9) } : {}),
    };
  }
  return out.Limits || out.Reservations ? out : undefined;
}

function updateConfig(config: ModelUpdateConfig): SwarmUpdateConfig {
  return {
    // As `docker stack deploy`: one task at a time unless told otherwise.
    Parallelism: config.parallelism ?? 1,
    ...(config.delay !== undefined ? { Delay: config.delay } : {}),
    ...(config.failureAction !== undefined ? { FailureAction: config.failureAction } : {}),
    ...(config.monitor !== undefined ? { Monitor: config.monitor } : {}),
    ...(config.maxFailureRatio !== undefined ? { MaxFailureRatio: config.maxFailureRatio } : {}),
    ...(config.order !== undefined ? { Order: config.order } : {}),
  };
}

/** A grant as Swarm's secret reference: relative under /run/secrets, absolute elsewhere. */
function secretReference(grant: ServiceSecret, secretNames: ReadonlyMap<string, string>): SecretReference {
  const name = secretNames.get(grant.source) ?? grant.source;
  const inside = grant.target.startsWith(`${SECRETS_DIR}/`);
  return {
    File: {
      Name: inside ? grant.target.slice(SECRETS_DIR.length + 1) : grant.target,
      UID: String(grant.uid),
      GID: String(grant.gid),
      Mode: grant.mode,
    },
    SecretID: name,
    SecretName: name,
  };
}

function serviceMounts(project: Project, service: Service, problems: Problem[]): SwarmMount[] {
  const mounts: SwarmMount[] = service.volumes.flatMap((mount, index): SwarmMount[] => {
    switch (mount.type) {
      case "image":
        problems.push({
          path: `services.${service.name}.volumes[${index}]`,
          message: "an image mount cannot run on a Swarm (Engine API 1.41 has none); use a volume",
        });
        return [];
      case "bind":
        return [{ Type: "bind", Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly }];
      case "volume": {
        const volume = mount.source === undefined ? undefined : project.volumes[mount.source];
        const swarmMount: SwarmMount = {
          Type: "volume",
          ...(mount.source !== undefined ? { Source: volume?.name ?? mount.source } : {}),
          Target: mount.target,
          ReadOnly: mount.readOnly,
          VolumeOptions: {
            NoCopy: mount.nocopy,
            Labels: { ...(volume?.labels ?? {}), [STACK_LABEL.namespace]: project.name },
            ...(volume?.driver !== undefined
              ? { DriverConfig: { Name: volume.driver, Options: volume.driverOpts } }
              : {}),
          },
        };
        return [swarmMount];
      }
      case "tmpfs": {
        const swarmMount: SwarmMount = {
          Type: "tmpfs",
          Target: mount.target,
          ...(mount.size !== undefined || mount.mode !== undefined
            ? {
                TmpfsOptions: {
                  ...(mount.size !== undefined ? { SizeBytes: mount.size } : {}),
                  ...(mount.mode !== undefined ? { Mode: mount.mode } : {}),
                },
              }
            : {}),
        };
        return [swarmMount];
      }
    }
  });
  for (const target of service.tmpfs) mounts.push({ Type: "tmpfs", Target: target.split(":")[0] as string });
  return mounts;
}

function servicePorts(
  service: Service,
  problems: Problem[],
): NonNullable<NonNullable<ServiceSpec["EndpointSpec"]>["Ports"]> {
  return service.ports.map((port, index) => {
    let published: number | undefined;
    if (port.published !== undefined) {
      if (!/^\d+$/.test(port.published)) {
        problems.push({
          path: `services.${service.name}.ports[${index}]`,
          message: `published port range "${port.published}" for one target port cannot run on a Swarm; publish one port per target`,
        });
      } else published = Number(port.published);
    }
    if (port.hostIp !== undefined && port.hostIp !== "" && port.hostIp !== "0.0.0.0") {
      problems.push({
        path: `services.${service.name}.ports[${index}]`,
        message: `host_ip "${port.hostIp}" cannot be honoured by a Swarm, which publishes on every address; remove it`,
      });
    }
    return {
      Protocol: port.protocol,
      TargetPort: port.target,
      ...(published !== undefined ? { PublishedPort: published } : {}),
      PublishMode: port.mode,
    };
  });
}

/** `host:ip` (Compose) to `ip host` (Swarm's /etc/hosts order). */
function swarmHost(entry: string): string {
  const separator = entry.includes("=") ? "=" : ":";
  const at = entry.indexOf(separator);
  return at < 0 ? entry : `${entry.slice(at + 1)} ${entry.slice(0, at)}`;
}

// The attributes `docker stack deploy` ignores, in its words.
const UNSUPPORTED: Array<[string, (s: Service) => boolean]> = [
  ["build", (s) => s.build !== undefined],
  ["devices", (s) => s.devices.length > 0],
  ["domainname", (s) => s.domainname !== undefined],
  ["ipc", (s) => s.ipc !== undefined],
  ["network_mode", (s) => s.networkMode !== undefined],
  ["pid", (s) => s.pid !== undefined],
  ["privileged", (s) => s.privileged],
  ["restart", (s) => s.restart !== undefined],
  ["shm_size", (s) => s.shmSize !== undefined],
  ["links", (s) => (s.links?.length ?? 0) > 0],
  ["external_links", (s) => (s.externalLinks?.length ?? 0) > 0],
  ["mac_address", (s) => s.macAddress !== undefined],
  ["security_opt", (s) => (s.securityOpt?.length ?? 0) > 0],
  ["userns_mode", (s) => s.usernsMode !== undefined],
  ["volumes_from", (s) => (s.volumesFrom?.length ?? 0) > 0],
];

/** One warning per ignored attribute, naming the services that set it. */
export function unsupportedWarnings(project: Project): string[] {
  const services = Object.values(project.services).sort((a, b) => a.name.localeCompare(b.name));
  const warnings: string[] = [];
  const say = (attribute: string, names: string[], why: string): void => {
    if (names.length > 0)
      warnings.push(`Ignoring unsupported option ${attribute} (services ${names.join(", ")}): ${why}`);
  };
  for (const [attribute, uses] of UNSUPPORTED) {
    say(
      attribute,
      services.filter(uses).map((s) => s.name),
      "a Swarm does not run it",
    );
  }
  say(
    "depends_on",
    services.filter((s) => Object.keys(s.dependsOn).length > 0).map((s) => s.name),
    "a Swarm starts services in no order; make them wait for what they need",
  );
  say(
    "container_name",
    services.filter((s) => s.containerName !== undefined).map((s) => s.name),
    "a Swarm names its tasks itself",
  );
  say(
    "expose",
    services.filter((s) => s.expose.length > 0).map((s) => s.name),
    "services on one network reach each other on any port",
  );
  return warnings;
}

/** A stable digest of a spec (key order does not matter); specs carry names, never values. */
export function specHash(spec: ServiceSpec): string {
  return createHash("sha256").update(stableJson(spec)).digest("hex");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The stack's versioned secrets that nothing needs any more: not in the plan, not named by a
 * service's spec, and not held by a task still running. (A service's previous spec may still name
 * one: after a converged update, a manual `docker service rollback` then needs a new deploy.)
 */
export function secretsToRemove(
  stack: string,
  state: Pick<SwarmState, "secrets" | "services">,
  planned: ReadonlySet<string>,
  heldByTasks: ReadonlySet<string>,
): Array<{ id: string; name: string }> {
  const referenced = new Set(state.services.flatMap((s) => s.refersTo));
  return state.secrets
    .filter((s) => s.labels[STACK_LABEL.namespace] === stack && s.labels[STACK_LABEL.key] !== undefined)
    .filter((s) => !planned.has(s.name) && !referenced.has(s.name) && !heldByTasks.has(s.name))
    .map((s) => ({ id: s.id, name: s.name }));
}
