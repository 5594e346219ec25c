// The canonical, validated project: what the loader produces and everything after it consumes.
// Short forms are already expanded, defaults applied, paths absolute. It never holds a secret
// value: secret *definitions* name their source, and src/secrets/ turns them into bytes.

/** A loaded, validated compose project. */
export interface Project {
  name: string;
  /** Absolute project directory: relative paths of the first file resolve here. */
  workingDir: string;
  /** Absolute paths of the compose files, in merge order (`-` for standard input). */
  composeFiles: string[];
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, SecretDefinition>;
  /** Top-level `configs`: delivered like secrets (tmpfs, read-only binds), but not secret. */
  configs: Record<string, ConfigDefinition>;
  /** Services left out by `profiles`; kept so `depends_on` on them can be explained. */
  disabledServices: Record<string, Service>;
  /**
   * Top-level `models` (for a model runner), kept as written for `config`: composec does not run
   * them (a warning says so, src/loader/attributes.ts).
   */
  models: Record<string, Record<string, unknown>>;
  /** Top-level `x-*` extensions, kept as written. */
  extensions: Record<string, unknown>;
}

export interface Service extends EngineSettings {
  name: string;
  image?: string;
  build?: Build;
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** Resolved environment; `null` means "declared without value and unset" (Compose drops it). */
  environment: Record<string, string | null>;
  envFiles: EnvFileRef[];
  user?: string;
  workingDir?: string;
  ports: PortMapping[];
  expose: string[];
  volumes: VolumeMount[];
  tmpfs: string[];
  /** Networks the service joins, by project-level key; empty when `networkMode` is set. */
  networks: Record<string, ServiceNetwork>;
  networkMode?: string;
  dependsOn: Record<string, Dependency>;
  healthcheck?: Healthcheck;
  restart?: string;
  /** Where the engine sends the container's output (`logging:`); absent: the engine's default. */
  logging?: Logging;
  labels: Record<string, string>;
  containerName?: string;
  hostname?: string;
  domainname?: string;
  readOnly: boolean;
  init?: boolean;
  stopSignal?: string;
  /** Nanoseconds, as the Engine API counts durations. */
  stopGracePeriod?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  extraHosts: string[];
  dns: string[];
  ulimits: Record<string, { soft: number; hard: number }>;
  shmSize?: number;
  sysctls: Record<string, string>;
  devices: string[];
  memLimit?: number;
  cpus?: number;
  pid?: string;
  ipc?: string;
  tty: boolean;
  stdinOpen: boolean;
  groupAdd: string[];
  platform?: string;
  /** `refresh`, `daily`, `weekly`, `every_<duration>` are kept as written and pulled as `missing` (src/plan/pull-plan.ts). */
  pullPolicy?:
    | "always"
    | "never"
    | "missing"
    | "build"
    | "if_not_present"
    | "refresh"
    | "daily"
    | "weekly"
    | `every_${string}`;
  /** Number of containers (`scale`, or `deploy.replicas`). */
  replicas: number;
  profiles: string[];
  secrets: ServiceSecret[];
  /** Config grants, targets absolute (default `/<config key>`), every default filled in. */
  configs: ServiceConfig[];
  /**
   * `label_file` paths (absolute). The loader reads them into `labels` (which win) and removes this
   * field: a loaded project never has it.
   */
  labelFiles?: string[];
  /** Kept as written (validated) and printed; composec does not run them (a warning says so). */
  develop?: Record<string, unknown> | null;
  models?: string[] | Record<string, unknown>;
  provider?: Record<string, unknown>;
  /** `attach: false`: an attached `up` leaves its output out (src/cli/attach.ts); absent: attached. */
  attach?: boolean;
  /** Commands run in each container right after it starts (`post_start`); absent: none. */
  postStart?: ServiceHook[];
  /** Commands run in each container before it is stopped (`pre_stop`); absent: none. */
  preStop?: ServiceHook[];
  /** `x-composec-env-secrets`: variable to the target its value is read from when the container starts. */
  envSecrets?: Record<string, string>;
  extensions: Record<string, unknown>;
}

/**
 * A service's engine settings of issue 11, each absent unless written (so the config hash of a
 * service that sets none is what it was before them).
 */
export interface EngineSettings {
  annotations?: Record<string, string>;
  blkioConfig?: BlkioConfig;
  cpuCount?: number;
  cpuPercent?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpuset?: string;
  cgroup?: "host" | "private";
  cgroupParent?: string;
  /** Windows only: kept and printed, never sent (see src/loader/attributes.ts). */
  credentialSpec?: Record<string, string>;
  deviceCgroupRules?: string[];
  dnsOpt?: string[];
  dnsSearch?: string[];
  externalLinks?: string[];
  links?: string[];
  gpus?: DeviceRequest[];
  isolation?: string;
  macAddress?: string;
  memReservation?: number;
  memSwappiness?: number;
  memswapLimit?: number;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  pidsLimit?: number;
  runtime?: string;
  securityOpt?: string[];
  storageOpt?: Record<string, string>;
  usernsMode?: string;
  uts?: string;
  volumesFrom?: string[];
  useApiSocket?: boolean;
  /** `deploy:` as written, typed; what a single engine can carry is run, the Swarm rest is kept. */
  deploy?: Deploy;
}

/** A block-I/O throttle or weight for one device. */
export interface BlkioDevice {
  path: string;
  /** Bytes or operations per second (throttles), or the weight (10-1000). */
  rate: number;
}

export interface BlkioConfig {
  weight?: number;
  weightDevice: BlkioDevice[];
  deviceReadBps: BlkioDevice[];
  deviceReadIops: BlkioDevice[];
  deviceWriteBps: BlkioDevice[];
  deviceWriteIops: BlkioDevice[];
}

/** A request for devices by capability (GPUs): `gpus:` and `deploy.resources.reservations.devices`. */
export interface DeviceRequest {
  capabilities: string[];
  /** -1 is "all". */
  count?: number;
  deviceIds: string[];
  driver?: string;
  options: Record<string, string>;
}

export interface DeployResources {
  limits?: { cpus?: number; memory?: number; pids?: number };
  reservations?: {
    cpus?: number;
    memory?: number;
    devices: DeviceRequest[];
    /** Swarm only; kept as written. */
    genericResources?: unknown[];
  };
}

/** Swarm's rolling update or rollback settings (kept for a later `deploy`, never run on one engine). */
export interface UpdateConfig {
  parallelism?: number;
  /** Nanoseconds. */
  delay?: number;
  failureAction?: string;
  /** Nanoseconds. */
  monitor?: number;
  maxFailureRatio?: number;
  order?: "start-first" | "stop-first";
}

export interface Deploy {
  mode?: string;
  endpointMode?: string;
  labels?: Record<string, string>;
  resources?: DeployResources;
  restartPolicy?: {
    condition?: string;
    /** Nanoseconds. */
    delay?: number;
    maxAttempts?: number;
    /** Nanoseconds. */
    window?: number;
  };
  placement?: {
    constraints: string[];
    preferences: { spread: string }[];
    maxReplicasPerNode?: number;
  };
  updateConfig?: UpdateConfig;
  rollbackConfig?: UpdateConfig;
}

/** A lifecycle hook: one command run as an exec in the service's container (engine/hooks.ts). */
export interface ServiceHook {
  command: string[];
  user?: string;
  privileged: boolean;
  workingDir?: string;
  /** Resolved values; `null`: declared without value and unset (left out, as in `environment`). */
  environment: Record<string, string | null>;
}

export interface Build {
  /** Absolute path of the build context. */
  context: string;
  dockerfile?: string;
  dockerfileInline?: string;
  args: Record<string, string | null>;
  target?: string;
  labels: Record<string, string>;
  tags: string[];
  network?: string;
  shmSize?: number;
  extraHosts: string[];
  noCache: boolean;
  pull: boolean;
  cacheFrom: string[];
  secrets: BuildSecret[];
  // Newer build attributes: kept as written (checked), printed; build.ts says which the Engine's
  // POST /build (API 1.41) carries (ulimits, isolation, one platform) and refuses the rest.
  ulimits?: Record<string, { soft: number; hard: number }>;
  platforms?: string[];
  isolation?: string;
  privileged?: boolean;
  entitlements?: string[];
  ssh?: string[];
  cacheTo?: string[];
  additionalContexts?: Record<string, string>;
  provenance?: string | boolean;
  sbom?: string | boolean;
  noCacheFilter?: string[];
}

export interface Logging {
  /** The engine's log driver (`json-file`, `local`, `journald`, `syslog`, `none`, ...); absent: its default. */
  driver?: string;
  /** The driver's options (`max-size`, ...), values as strings. */
  options: Record<string, string>;
}

export interface EnvFileRef {
  path: string;
  required: boolean;
}

export interface PortMapping {
  target: number;
  /** Host port or range (`"8000"`, `"8000-8010"`); absent: the engine picks one. */
  published?: string;
  hostIp?: string;
  protocol: "tcp" | "udp" | "sctp";
  mode: "ingress" | "host";
}

export type VolumeMount =
  | {
      type: "bind";
      source: string;
      target: string;
      readOnly: boolean;
      createHostPath: boolean;
      propagation?: string;
      selinux?: "z" | "Z";
      recursive?: "enabled" | "disabled" | "writable" | "readonly";
    }
  | {
      type: "volume";
      source?: string;
      target: string;
      readOnly: boolean;
      nocopy: boolean;
      subpath?: string;
      labels?: Record<string, string>;
    }
  | { type: "tmpfs"; target: string; readOnly: boolean; size?: number; mode?: number }
  | { type: "image"; source: string; target: string; readOnly: boolean; subpath?: string };

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  interfaceName?: string;
  linkLocalIps?: string[];
  macAddress?: string;
  driverOpts?: Record<string, string>;
  /** Higher first: the highest-priority network is the container's primary one. */
  priority?: number;
  gwPriority?: number;
}

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface Dependency {
  condition: DependencyCondition;
  required: boolean;
  restart: boolean;
}

export interface Healthcheck {
  test?: string[];
  disable: boolean;
  /** Durations in nanoseconds. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  /** Probe interval during the start period; needs Engine API 1.44 (see engine/api-version.ts). */
  startInterval?: number;
  retries?: number;
}

export interface Network {
  /** Name on the engine: `name:` as given, else `<project>_<key>`; external: `name:` or the key. */
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  /** Absent: the engine's default (on). */
  enableIpv4?: boolean;
  ipam?: Ipam;
}

export interface Ipam {
  driver?: string;
  config: IpamPool[];
  options: Record<string, string>;
}

export interface IpamPool {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
}

export interface Volume {
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

/** Where a secret's bytes come from. The value itself is never part of the project. */
export type SecretSource =
  | { kind: "file"; path: string }
  | { kind: "environment"; variable: string }
  | { kind: "external"; name: string }
  /** `x-composec-command`: the value is the standard output of `argv`, run without a shell in `cwd`. */
  | { kind: "command"; argv: string[]; cwd: string; timeoutMs: number };

export interface SecretDefinition {
  key: string;
  /** Store name: `name:` as given, else `<project>_<key>`, or the key for external secrets. */
  name: string;
  source: SecretSource;
  labels: Record<string, string>;
  /** Swarm plugin fields: kept so they can be refused where they cannot be honoured. */
  driver?: string;
  driverOpts: Record<string, string>;
  templateDriver?: string;
  extensions: Record<string, unknown>;
}

/** A service's grant of a secret, with every default filled in. */
export interface ServiceSecret {
  source: string;
  /** Absolute path in the container (relative targets already placed under /run/secrets). */
  target: string;
  uid: number;
  gid: number;
  /** Permission bits, write bits already dropped. */
  mode: number;
}

export interface BuildSecret {
  source: string;
  /** The BuildKit secret id (`RUN --mount=type=secret,id=<target>`). */
  target: string;
}

/** Where a config's bytes come from: a secret's sources, or text inline in the compose file. */
export type ConfigSource = SecretSource | { kind: "content"; content: string };

export interface ConfigDefinition {
  key: string;
  /** Store name: `name:` as given, else `<project>_<key>`, or the key for external configs. */
  name: string;
  source: ConfigSource;
  labels: Record<string, string>;
  /** A Swarm field: kept so it can be refused where it cannot be honoured, as for secrets. */
  templateDriver?: string;
  extensions: Record<string, unknown>;
}

/** A service's grant of a config: the same fields and rules as a secret grant. */
export type ServiceConfig = ServiceSecret;
