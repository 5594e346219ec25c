// The canonical project written back in Compose's own vocabulary (snake_case, long forms), as
// `composec config` prints it. Only names and references: a Project holds no secret value.
import { formatDuration } from "../loader/units.js";
import type {
  BlkioConfig,
  BlkioDevice,
  Build,
  DeviceRequest,
  EngineSettings,
  Healthcheck,
  Ipam,
  Project,
  Service,
  ServiceHook,
  ServiceNetwork,
  ServiceSecret,
  UpdateConfig,
  VolumeMount,
} from "./project.js";
import { escapeDollars } from "./escape-dollars.js";

type Document = Record<string, unknown>;

/** The project as a compose document, every default written out, each `$` escaped as `$$`. */
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
      enable_ipv4: network.enableIpv4,
      ipam: network.ipam ? ipam(network.ipam) : undefined,
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
  const configs = mapValues(project.configs, (config) =>
    compact({
      name: config.name,
      file: config.source.kind === "file" ? config.source.path : undefined,
      environment: config.source.kind === "environment" ? config.source.variable : undefined,
      // `$` doubled, as Compose prints it: the text reads back through interpolation unchanged.
      content: config.source.kind === "content" ? config.source.content : undefined,
      external: config.source.kind === "external" || undefined,
      labels: nonEmpty(config.labels),
      template_driver: config.templateDriver,
      ...config.extensions,
    }),
  );
  if (Object.keys(networks).length > 0) document["networks"] = networks;
  if (Object.keys(volumes).length > 0) document["volumes"] = volumes;
  if (Object.keys(secrets).length > 0) document["secrets"] = secrets;
  if (Object.keys(configs).length > 0) document["configs"] = configs;
  const models = mapValues(project.models, model);
  if (Object.keys(models).length > 0) document["models"] = models;
  Object.assign(document, project.extensions);
  return escapeDollars(document);
}

/** A top-level model as written, its attributes in the specification's order, then its `x-*`. */
function model(written: Record<string, unknown>): Document {
  const { model, name, context_size, runtime_flags, ...extensions } = written;
  return compact({ model, name, context_size, runtime_flags, ...extensions });
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
    networks: service.networkMode ? undefined : mapValues(service.networks, serviceNetwork),
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
    ...engineSettings(service),
    secrets: service.secrets.length ? service.secrets.map(grantDocument) : undefined,
    configs: service.configs.length ? service.configs.map(grantDocument) : undefined,
    attach: service.attach,
    develop: service.develop,
    models: service.models,
    provider: service.provider,
    post_start: service.postStart?.map(hook),
    pre_stop: service.preStop?.map(hook),
    ...service.extensions,
  });
}

/** A secret or config grant in its long form, every default written out. */
function grantDocument(grant: ServiceSecret): Document {
  return {
    source: grant.source,
    target: grant.target,
    uid: String(grant.uid),
    gid: String(grant.gid),
    mode: octal(grant.mode),
  };
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
        bind: compact({
          create_host_path: mount.createHostPath,
          propagation: mount.propagation,
          selinux: mount.selinux,
          recursive: mount.recursive,
        }),
      };
    case "volume":
      return compact({
        type: "volume",
        source: mount.source,
        target: mount.target,
        read_only: mount.readOnly || undefined,
        volume:
          mount.nocopy || mount.subpath !== undefined || mount.labels !== undefined
            ? compact({ nocopy: mount.nocopy || undefined, subpath: mount.subpath, labels: mount.labels })
            : undefined,
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
    case "image":
      return compact({
        type: "image",
        source: mount.source,
        target: mount.target,
        read_only: true,
        image: mount.subpath !== undefined ? { subpath: mount.subpath } : undefined,
      });
  }
}

function serviceNetwork(network: ServiceNetwork): Document | null {
  const document = compact({
    aliases: nonEmptyList(network.aliases),
    ipv4_address: network.ipv4Address,
    ipv6_address: network.ipv6Address,
    interface_name: network.interfaceName,
    link_local_ips: network.linkLocalIps,
    mac_address: network.macAddress,
    driver_opts: network.driverOpts,
    priority: network.priority,
    gw_priority: network.gwPriority,
  });
  return Object.keys(document).length > 0 ? document : null;
}

function ipam(ipam: Ipam): Document {
  return compact({
    driver: ipam.driver,
    config: ipam.config.length
      ? ipam.config.map((pool) =>
          compact({
            subnet: pool.subnet,
            ip_range: pool.ipRange,
            gateway: pool.gateway,
            aux_addresses: nonEmpty(pool.auxAddresses),
          }),
        )
      : undefined,
    options: nonEmpty(ipam.options),
  });
}

/** The engine settings of issue 11, in Compose's names; units as the loader reads them back. */
function engineSettings(service: Service): Document | undefined {
  // Most services set none: skip building (and compacting) a document of undefined members.
  if (!hasEngineFields(service)) return undefined;
  return compact({
    annotations: service.annotations,
    blkio_config: service.blkioConfig ? blkio(service.blkioConfig) : undefined,
    cpu_count: service.cpuCount,
    cpu_percent: service.cpuPercent,
    cpu_shares: service.cpuShares,
    cpu_quota: service.cpuQuota,
    cpu_period: service.cpuPeriod,
    // Microseconds, which a bare number means to the loader.
    cpu_rt_period: service.cpuRtPeriod,
    cpu_rt_runtime: service.cpuRtRuntime,
    cpuset: service.cpuset,
    cgroup: service.cgroup,
    cgroup_parent: service.cgroupParent,
    credential_spec: service.credentialSpec,
    device_cgroup_rules: service.deviceCgroupRules,
    dns_opt: service.dnsOpt,
    dns_search: service.dnsSearch,
    external_links: service.externalLinks,
    links: service.links,
    gpus: service.gpus?.map(deviceRequest),
    isolation: service.isolation,
    mac_address: service.macAddress,
    mem_reservation: service.memReservation,
    mem_swappiness: service.memSwappiness,
    memswap_limit: service.memswapLimit,
    oom_kill_disable: service.oomKillDisable,
    oom_score_adj: service.oomScoreAdj,
    pids_limit: service.pidsLimit,
    runtime: service.runtime,
    security_opt: service.securityOpt,
    storage_opt: service.storageOpt,
    userns_mode: service.usernsMode,
    uts: service.uts,
    volumes_from: service.volumesFrom,
    use_api_socket: service.useApiSocket,
    deploy: service.deploy || service.replicas !== 1 ? deploy(service) : undefined,
  });
}

const ENGINE_FIELDS: readonly (keyof EngineSettings)[] = [
  "annotations",
  "blkioConfig",
  "cpuCount",
  "cpuPercent",
  "cpuShares",
  "cpuQuota",
  "cpuPeriod",
  "cpuRtPeriod",
  "cpuRtRuntime",
  "cpuset",
  "cgroup",
  "cgroupParent",
  "credentialSpec",
  "deviceCgroupRules",
  "dnsOpt",
  "dnsSearch",
  "externalLinks",
  "links",
  "gpus",
  "isolation",
  "macAddress",
  "memReservation",
  "memSwappiness",
  "memswapLimit",
  "oomKillDisable",
  "oomScoreAdj",
  "pidsLimit",
  "runtime",
  "securityOpt",
  "storageOpt",
  "usernsMode",
  "uts",
  "volumesFrom",
  "useApiSocket",
  "deploy",
];

function hasEngineFields(service: Service): boolean {
  for (const field of ENGINE_FIELDS) if (service[field] !== undefined) return true;
  return false;
}

function blkio(config: BlkioConfig): Document {
  const rates = (devices: BlkioDevice[]) =>
    devices.length ? devices.map((device) => ({ path: device.path, rate: device.rate })) : undefined;
  return compact({
    weight: config.weight,
    weight_device: config.weightDevice.length
      ? config.weightDevice.map((device) => ({ path: device.path, weight: device.rate }))
      : undefined,
    device_read_bps: rates(config.deviceReadBps),
    device_read_iops: rates(config.deviceReadIops),
    device_write_bps: rates(config.deviceWriteBps),
    device_write_iops: rates(config.deviceWriteIops),
  });
}

function deviceRequest(request: DeviceRequest): Document {
  return compact({
    capabilities: request.capabilities,
    driver: request.driver,
    count: request.count === -1 ? "all" : request.count,
    device_ids: nonEmptyList(request.deviceIds),
    options: nonEmpty(request.options),
  });
}

function duration(nanoseconds: number | undefined): string | undefined {
  return nanoseconds === undefined ? undefined : formatDuration(nanoseconds);
}

function updateConfig(config: UpdateConfig): Document {
  return compact({
    parallelism: config.parallelism,
    delay: duration(config.delay),
    failure_action: config.failureAction,
    monitor: duration(config.monitor),
    max_failure_ratio: config.maxFailureRatio,
    order: config.order,
  });
}

/** `deploy:`, with replicas always the service's count (as `scale:` says it too). */
function deploy(service: Service): Document | undefined {
  const deploy = service.deploy;
  if (!deploy) return undefined;
  const resources = deploy.resources;
  const policy = deploy.restartPolicy;
  const placement = deploy.placement;
  return compact({
    mode: deploy.mode,
    endpoint_mode: deploy.endpointMode,
    replicas: service.replicas,
    labels: deploy.labels,
    resources: resources
      ? compact({
          limits: resources.limits ? compact({ ...resources.limits }) : undefined,
          reservations: resources.reservations
            ? compact({
                cpus: resources.reservations.cpus,
                memory: resources.reservations.memory,
                devices: resources.reservations.devices.length
                  ? resources.reservations.devices.map(deviceRequest)
                  : undefined,
                generic_resources: resources.reservations.genericResources,
              })
            : undefined,
        })
      : undefined,
    restart_policy: policy
      ? compact({
          condition: policy.condition,
          delay: duration(policy.delay),
          max_attempts: policy.maxAttempts,
          window: duration(policy.window),
        })
      : undefined,
    placement: placement
      ? compact({
          constraints: nonEmptyList(placement.constraints),
          preferences: nonEmptyList(placement.preferences),
          max_replicas_per_node: placement.maxReplicasPerNode,
        })
      : undefined,
    update_config: deploy.updateConfig ? updateConfig(deploy.updateConfig) : undefined,
    rollback_config: deploy.rollbackConfig ? updateConfig(deploy.rollbackConfig) : undefined,
  });
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
