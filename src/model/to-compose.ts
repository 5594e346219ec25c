// The canonical project written back in Compose's own vocabulary (snake_case, long forms), as
// `composec config` prints it. Only names and references: a Project holds no secret value.
import { formatDuration } from "../loader/units.js";
import type { Build, Healthcheck, Project, Service, ServiceHook, VolumeMount } from "./project.js";

type Document = Record<string, unknown>;

/** The project as a compose document, every default written out. */
export function toComposeDocument(project: Project): Document {
  const services: Document = {};
  for (const name of Object.keys(project.services).sort()) services[name] = service(project.services[name]!);
  const document: Document = { name: project.name, services };
  const networks = mapValues(project.networks, (network) =>
    compact({
      name: network.name,
      external: network.external || undefined,
      driver: network.driver,
      driver_opts: nonEmpty(network.driverOpts),
      labels: nonEmpty(network.labels),
      internal: network.internal || undefined,
      attachable: network.attachable || undefined,
      enable_ipv6: network.enableIpv6 || undefined,
    }),
  );
  const volumes = mapValues(project.volumes, (volume) =>
    compact({
      name: volume.name,
      external: volume.external || undefined,
      driver: volume.driver,
      driver_opts: nonEmpty(volume.driverOpts),
      labels: nonEmpty(volume.labels),
    }),
  );
  const secrets = mapValues(project.secrets, (secret) =>
    compact({
      name: secret.name,
      file: secret.source.kind === "file" ? secret.source.path : undefined,
      environment: secret.source.kind === "environment" ? secret.source.variable : undefined,
      external: secret.source.kind === "external" || undefined,
      labels: nonEmpty(secret.labels),
      driver: secret.driver,
      driver_opts: nonEmpty(secret.driverOpts),
      template_driver: secret.templateDriver,
      ...secret.extensions,
    }),
  );
  if (Object.keys(networks).length > 0) document["networks"] = networks;
  if (Object.keys(volumes).length > 0) document["volumes"] = volumes;
  if (Object.keys(secrets).length > 0) document["secrets"] = secrets;
  Object.assign(document, project.extensions);
  return document;
}

function service(service: Service): Document {
  const environment: Record<string, string> = {};
  for (const key in service.environment) {
    const value = service.environment[key];
    if (value !== null && value !== undefined) environment[key] = value;
  }
  return compact({
    image: service.image,
    build: service.build ? build(service.build) : undefined,
    command: service.command,
    entrypoint: service.entrypoint,
    environment: nonEmpty(environment),
    user: service.user,
    working_dir: service.workingDir,
    ports: service.ports.length
      ? service.ports.map((port) =>
          compact({
            mode: port.mode,
            host_ip: port.hostIp,
            target: port.target,
            published: port.published,
            protocol: port.protocol,
          }),
        )
      : undefined,
    expose: nonEmptyList(service.expose),
    volumes: service.volumes.length ? service.volumes.map(volumeMount) : undefined,
    tmpfs: nonEmptyList(service.tmpfs),
    networks: service.networkMode
      ? undefined
      : mapValues(service.networks, (network) =>
          network.aliases.length || network.ipv4Address || network.ipv6Address
            ? compact({
                aliases: nonEmptyList(network.aliases),
                ipv4_address: network.ipv4Address,
                ipv6_address: network.ipv6Address,
              })
            : null,
        ),
    network_mode: service.networkMode,
    depends_on: nonEmpty(
      mapValues(service.dependsOn, (dependency) => ({
        condition: dependency.condition,
        required: dependency.required,
        restart: dependency.restart,
      })),
    ),
    healthcheck: service.healthcheck ? healthcheck(service.healthcheck) : undefined,
    restart: service.restart,
    logging: service.logging
      ? compact({ driver: service.logging.driver, options: nonEmpty(service.logging.options) })
      : undefined,
    labels: nonEmpty(service.labels),
    container_name: service.containerName,
    hostname: service.hostname,
    domainname: service.domainname,
    read_only: service.readOnly || undefined,
    init: service.init,
    stop_signal: service.stopSignal,
    stop_grace_period:
      service.stopGracePeriod !== undefined ? formatDuration(service.stopGracePeriod) : undefined,
    cap_add: nonEmptyList(service.capAdd),
    cap_drop: nonEmptyList(service.capDrop),
    privileged: service.privileged || undefined,
    extra_hosts: nonEmptyList(service.extraHosts),
    dns: nonEmptyList(service.dns),
    ulimits: nonEmpty(service.ulimits),
    shm_size: service.shmSize,
    sysctls: nonEmpty(service.sysctls),
    devices: nonEmptyList(service.devices),
    mem_limit: service.memLimit,
    cpus: service.cpus,
    pid: service.pid,
    ipc: service.ipc,
    tty: service.tty || undefined,
    stdin_open: service.stdinOpen || undefined,
    group_add: nonEmptyList(service.groupAdd),
    platform: service.platform,
    pull_policy: service.pullPolicy,
    scale: service.replicas !== 1 ? service.replicas : undefined,
    profiles: nonEmptyList(service.profiles),
    secrets: service.secrets.length
      ? service.secrets.map((grant) => ({
          source: grant.source,
          target: grant.target,
          uid: String(grant.uid),
          gid: String(grant.gid),
          mode: octal(grant.mode),
        }))
      : undefined,
    attach: service.attach,
    develop: service.develop,
    models: service.models,
    provider: service.provider,
    post_start: service.postStart?.map(hook),
    pre_stop: service.preStop?.map(hook),
    ...service.extensions,
  });
}

function hook(hook: ServiceHook): Document {
  const environment: Record<string, string> = {};
  for (const key of Object.keys(hook.environment).sort()) {
    const value = hook.environment[key];
    if (value !== null && value !== undefined) environment[key] = value;
  }
  return compact({
    command: hook.command,
    user: hook.user,
    privileged: hook.privileged || undefined,
    working_dir: hook.workingDir,
    environment: nonEmpty(environment),
  });
}

function build(build: Build): Document {
  return compact({
    context: build.context,
    dockerfile: build.dockerfile ?? (build.dockerfileInline === undefined ? "Dockerfile" : undefined),
    dockerfile_inline: build.dockerfileInline,
    args: nonEmpty(build.args),
    target: build.target,
    labels: nonEmpty(build.labels),
    tags: nonEmptyList(build.tags),
    network: build.network,
    shm_size: build.shmSize,
    extra_hosts: nonEmptyList(build.extraHosts),
    no_cache: build.noCache || undefined,
    pull: build.pull || undefined,
    cache_from: nonEmptyList(build.cacheFrom),
    cache_to: build.cacheTo,
    ulimits: build.ulimits,
    platforms: build.platforms,
    isolation: build.isolation,
    privileged: build.privileged,
    entitlements: build.entitlements,
    ssh: build.ssh,
    additional_contexts: build.additionalContexts,
    provenance: build.provenance,
    sbom: build.sbom,
    no_cache_filter: build.noCacheFilter,
    secrets: build.secrets.length
      ? build.secrets.map((grant) => ({ source: grant.source, target: grant.target }))
      : undefined,
  });
}

function volumeMount(mount: VolumeMount): Document {
  switch (mount.type) {
    case "bind":
      return {
        type: "bind",
        source: mount.source,
        target: mount.target,
        ...(mount.readOnly ? { read_only: true } : {}),
        bind: { create_host_path: mount.createHostPath },
      };
    case "volume":
      return compact({
        type: "volume",
        source: mount.source,
        target: mount.target,
        read_only: mount.readOnly || undefined,
        volume: mount.nocopy ? { nocopy: true } : undefined,
      });
    case "tmpfs":
      return compact({
        type: "tmpfs",
        target: mount.target,
        read_only: mount.readOnly || undefined,
        tmpfs:
          mount.size !== undefined || mount.mode !== undefined
            ? compact({ size: mount.size, mode: mount.mode })
            : undefined,
      });
  }
}

function healthcheck(check: Healthcheck): Document {
  return compact({
    test: check.test,
    interval: check.interval !== undefined ? formatDuration(check.interval) : undefined,
    timeout: check.timeout !== undefined ? formatDuration(check.timeout) : undefined,
    start_period: check.startPeriod !== undefined ? formatDuration(check.startPeriod) : undefined,
    start_interval: check.startInterval !== undefined ? formatDuration(check.startInterval) : undefined,
    retries: check.retries,
    disable: check.disable || undefined,
  });
}

/** A mode as Compose users write it: `"0440"`, a string so that it reads back as octal. */
export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/** `object` without its undefined entries (a loop: `config` runs this for every part of a project). */
function compact(object: Document): Document {
  const out: Document = {};
  for (const key in object) if (object[key] !== undefined) out[key] = object[key];
  return out;
}

function nonEmpty<T extends object>(object: T): T | undefined {
  return Object.keys(object).length > 0 ? object : undefined;
}

function nonEmptyList<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function mapValues<T, U>(object: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(object).sort()) out[key] = map(object[key]!);
  return out;
}
