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
  /** Services left out by `profiles`; kept so `depends_on` on them can be explained. */
  disabledServices: Record<string, Service>;
  /** Top-level `x-*` extensions, kept as written. */
  extensions: Record<string, unknown>;
}

export interface Service {
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
  /** `daily` and `weekly` are kept as written and pulled as `missing` (src/plan/pull-plan.ts). */
  pullPolicy?: "always" | "never" | "missing" | "build" | "if_not_present" | "daily" | "weekly";
  /** Number of containers (`scale`, or `deploy.replicas`). */
  replicas: number;
  profiles: string[];
  secrets: ServiceSecret[];
  /** `x-composec-env-secrets`: variable to the target its value is read from when the container starts. */
  envSecrets?: Record<string, string>;
  extensions: Record<string, unknown>;
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
    }
  | { type: "volume"; source?: string; target: string; readOnly: boolean; nocopy: boolean }
  | { type: "tmpfs"; target: string; readOnly: boolean; size?: number; mode?: number };

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
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

export const SECRETS_DIR = "/run/secrets";
export const DEFAULT_SECRET_MODE = 0o444;
