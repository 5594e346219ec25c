// The Swarm API objects composec sends and reads, as the Engine API (1.41) spells them. Only the
// fields composec uses; the Engine fills in its defaults for the rest.

export interface SecretReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  ConfigID: string;
  ConfigName: string;
}

export interface SwarmMount {
  Type: "bind" | "volume" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Init?: boolean;
  Mounts?: SwarmMount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    Retries?: number;
    StartPeriod?: number;
  };
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Sysctls?: Record<string, string>;
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: ContainerSpec;
    Resources?: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
    };
    RestartPolicy?: { Condition?: string; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: {
      Constraints?: string[];
      Preferences?: Array<{ Spread: { SpreadDescriptor: string } }>;
      MaxReplicas?: number;
    };
    Networks?: Array<{ Target: string; Aliases?: string[] }>;
    LogDriver?: { Name: string; Options?: Record<string, string> };
    /** Bumped to make Swarm replace tasks whose spec did not change otherwise. */
    ForceUpdate?: number;
  };
  Mode: { Replicated?: { Replicas: number }; Global?: Record<string, never> };
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: {
    Mode?: "vip" | "dnsrr";
    Ports?: Array<{ Protocol: string; TargetPort: number; PublishedPort?: number; PublishMode: string }>;
  };
}

export interface NetworkSpec {
  Name: string;
  Driver: string;
  Scope: "swarm";
  Attachable: boolean;
  Internal: boolean;
  EnableIPv6: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** What one deploy finds on the Swarm before it plans. */
export interface SwarmState {
  /** The stack's services. */
  services: ObservedService[];
  /** Every secret of the Swarm (external secrets are looked up here), with its labels. */
  secrets: ObservedObject[];
  /** Every config of the Swarm. */
  configs: ObservedObject[];
  /** Every network of the engine (external networks are looked up here). */
  networks: ObservedObject[];
}

export interface ObservedService {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  /** Secret and config names the current spec refers to. */
  refersTo: string[];
}

export interface ObservedObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** One task of a service, as convergence and `stack ps` read it. */
export interface ObservedTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId?: string;
  desiredState: string;
  state: string;
  message: string;
  error?: string;
  /** ISO time of the last status change. */
  timestamp: string;
  createdAt: string;
  image: string;
  /** Secret and config names the task's container was given. */
  refersTo: string[];
  /** The service spec version the task was made from (absent on old engines). */
  specVersion?: number;
}
