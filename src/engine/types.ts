// composec's own view of the Engine API's objects: only the members composec reads or sends, by
// the API's own names (Engine API 1.41), so that nothing outside src/engine depends on a client
// library's types. DockerEngine narrows dockerode's answers to these at the edge; a second Engine
// implementation produces them from whatever it speaks.

/** One entry of `GET /containers/json`. */
export interface ContainerListEntry {
  Id: string;
  /** With a leading slash, as the engine lists them. */
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  /** Unix seconds. */
  Created: number;
  /** `created`, `running`, `exited`, ... */
  State: string;
  /** Human text: `Up 3 minutes`, `Exited (0) 2 seconds ago`. */
  Status: string;
  Ports: PortSummary[];
  Labels: Record<string, string>;
  /** The networks it is configured on, by name: a stopped container's too (NetworkID may be ""). */
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string }> };
}

/** A published (or only exposed) port in a container listing. */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** `GET /containers/{id}/json`: the members composec reads. */
export interface ContainerDetails {
  Id: string;
  /** With a leading slash. */
  Name: string;
  Image: string;
  Created: string;
  State: ContainerStateDetails;
  Config: ContainerConfigDetails;
  HostConfig: HostConfigDetails;
  NetworkSettings: {
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: Record<string, { IPAddress?: string; Aliases?: string[] | null }>;
  };
  Mounts: MountDetails[];
}

export interface ContainerStateDetails {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: {
    Status: string;
    FailingStreak: number;
    Log: { Start: string; End: string; ExitCode: number; Output: string }[];
  };
}

export interface ContainerConfigDetails {
  Image: string;
  User: string;
  Tty: boolean;
  OpenStdin: boolean;
  Env: string[];
  Cmd?: string[] | null;
  Entrypoint?: string | string[] | null;
  WorkingDir: string;
  Labels: Record<string, string>;
  /** Absent unless set (dockerode's types leave it out). */
  StopTimeout?: number | null;
  StopSignal?: string;
}

export interface HostConfigDetails {
  NetworkMode?: string;
  LogConfig?: { Type: string; Config?: Record<string, string> };
  Tmpfs?: Record<string, string>;
  Binds?: string[] | null;
  Privileged?: boolean;
}

export interface MountDetails {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** `GET /images/{name}/json`: the members composec reads. */
export interface ImageDetails {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: string;
  Size: number;
  Architecture: string;
  Os: string;
  Variant?: string;
  Config: {
    User: string;
    Env: string[];
    Cmd?: string[] | null;
    Entrypoint?: string | string[] | null;
    WorkingDir: string;
    Labels: Record<string, string> | null;
  };
}

/** `GET /networks/{id}` (and each entry of `GET /networks`). */
export interface NetworkDetails {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Attachable: boolean;
  EnableIPv6: boolean;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: NetworkIpam;
  Containers?: Record<string, { Name: string }>;
}

export interface NetworkIpam {
  Driver?: string;
  Config?: Record<string, unknown>[];
  Options?: Record<string, string>;
}

/** `GET /volumes/{name}` (and each entry of `GET /volumes`). */
export interface VolumeDetails {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
}

/** The body of `POST /networks/create`. */
export interface NetworkCreateBody {
  Name: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: NetworkIpam;
  /** Members of newer API versions, sent only when the project sets them. */
  [member: string]: unknown;
}

/** The body of `POST /volumes/create`. */
export interface VolumeCreateBody {
  Name: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** An endpoint of a container on one network (`EndpointSettings` of the API). */
export interface EndpointSettings {
  Aliases?: string[];
  Links?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  MacAddress?: string;
  DriverOpts?: Record<string, string>;
  /** Members of newer API versions (GwPriority, ...), sent only when the project sets them. */
  [member: string]: unknown;
}

/** `HostConfig` of `POST /containers/create`. */
export interface HostConfig {
  NetworkMode?: string;
  Mounts?: EngineMount[];
  Binds?: string[];
  Tmpfs?: Record<string, string>;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]>;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  LogConfig?: { Type: string; Config?: Record<string, string> };
  /** The many settings of engine-settings.ts, by the API's names. */
  [member: string]: unknown;
}

/** A `HostConfig.Mounts` entry as Engine API 1.41 defines it (`image` needs 1.48: api-version.ts). */
export interface EngineMount {
  Type: "bind" | "volume" | "tmpfs" | "image";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: {
    Propagation?: string;
    NonRecursive?: boolean;
    ReadOnlyNonRecursive?: boolean;
    ReadOnlyForceRecursive?: boolean;
  };
  VolumeOptions?: { NoCopy?: boolean; Subpath?: string; Labels?: Record<string, string> };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
  ImageOptions?: { Subpath: string };
}

/** The health check of a container's config (durations in nanoseconds). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The body (and `name`, `platform` query) of `POST /containers/create`. */
export interface ContainerCreateBody {
  /** The container's name: a query parameter. */
  name: string;
  /** `os[/arch[/variant]]`: a query parameter. */
  platform?: string;
  Image: string;
  Labels?: Record<string, string>;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  Domainname?: string;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  MacAddress?: string;
  NetworkDisabled?: boolean;
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSettings> };
}

/** Query parameters of `POST /build` (Engine API 1.41), as the engine spells them. */
export interface BuildQuery {
  version: "2";
  session: string;
  buildid: string;
  t: string[];
  dockerfile: string;
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  networkmode?: string;
  shmsize?: number;
  extrahosts?: string[];
  nocache?: boolean;
  pull?: boolean;
  /** JSON array of image references. */
  cachefrom?: string;
  /** `os[/arch[/variant]]` to build for (the service's `platform`). */
  platform?: string;
}
