// Every attribute of the Compose Specification (compose-spec's schema/compose-spec.json) and what
// composec does with it: the one list the loader's "not run" warnings and the README's attribute
// table (scripts/attribute-table.mjs) are made from, so neither can drift from the code. One entry
// per attribute: to change an attribute's status, edit its line.
//
//   run      put on the container, network or volume (or used by the loader/planner) as Compose does
//   limited  run, with the limit the note says (an engine version, a platform, a part left out)
//   not-run  accepted and printed by `config`, but not acted on; the loader warns with the note

export type AttributeStatus = "run" | "limited" | "not-run";

export interface Attribute {
  /** Where it is written: `services.*.cpu_shares`, `networks.*.ipam`, ... */
  path: string;
  status: AttributeStatus;
  /** What composec does with it, or why not (the README's text). */
  note: string;
  /** Whether the loader's generic warning says the note (false: it warns in its own words). */
  warn?: boolean;
}

const run = (path: string, note: string): Attribute => ({ path, status: "run", note });
const limited = (path: string, note: string): Attribute => ({ path, status: "limited", note });
const notRun = (path: string, note: string, warn = true): Attribute => ({
  path,
  status: "not-run",
  note,
  ...(warn ? {} : { warn: false }),
});

const SWARM =
  "Swarm only: kept in the model for a later `composec deploy`; a single engine has no use for it";
const WINDOWS = "Windows containers only; composec runs Linux engines";

/** The Compose Specification, attribute by attribute. */
export const ATTRIBUTES: readonly Attribute[] = [
  // Top level
  notRun("version", "obsolete; ignored with a warning, as Compose does", false),
  run("name", "the project name"),
  run("include", "other compose files loaded as sub-projects"),
  run("services", "one or more containers per service"),
  run("networks", "networks created on the engine"),
  run("volumes", "volumes created on the engine"),
  run("secrets", "delivered on a tmpfs, never a layer (SECRETS-SPEC.md)"),
  run("configs", "delivered like secrets (tmpfs, read-only binds), but not secret"),
  notRun("models", "AI models for a model runner (Docker Model Runner)"),

  // Services
  limited("services.*.annotations", "HostConfig.Annotations; needs Engine API 1.43"),
  run("services.*.attach", "false: an attached up leaves the service's output out"),
  run("services.*.blkio_config", "HostConfig.Blkio* (weight, weight_device, device_read/write_bps/iops)"),
  run("services.*.build", "built with BuildKit over the engine's session API"),
  run("services.*.cap_add", "HostConfig.CapAdd"),
  run("services.*.cap_drop", "HostConfig.CapDrop"),
  run("services.*.cgroup", "HostConfig.CgroupnsMode"),
  run("services.*.cgroup_parent", "HostConfig.CgroupParent"),
  run("services.*.command", "Cmd"),
  run("services.*.configs", "delivered like secrets (tmpfs, read-only binds), but not secret"),
  run("services.*.container_name", "the container's name"),
  limited(
    "services.*.cpu_count",
    "HostConfig.CpuCount; honoured by Windows engines only (a Linux engine drops it)",
  ),
  limited(
    "services.*.cpu_percent",
    "HostConfig.CpuPercent; honoured by Windows engines only (a Linux engine drops it)",
  ),
  run("services.*.cpu_shares", "HostConfig.CpuShares"),
  run("services.*.cpu_quota", "HostConfig.CpuQuota"),
  run("services.*.cpu_period", "HostConfig.CpuPeriod"),
  run("services.*.cpu_rt_period", "HostConfig.CpuRealtimePeriod"),
  run("services.*.cpu_rt_runtime", "HostConfig.CpuRealtimeRuntime"),
  run("services.*.cpus", "HostConfig.NanoCpus"),
  run("services.*.cpuset", "HostConfig.CpusetCpus"),
  notRun("services.*.credential_spec", WINDOWS),
  run("services.*.depends_on", "start order, conditions and restarts"),
  run("services.*.deploy", "see the deploy.* lines"),
  notRun("services.*.develop", "watch rules for `compose watch`, a command composec does not have"),
  run("services.*.device_cgroup_rules", "HostConfig.DeviceCgroupRules"),
  limited("services.*.devices", "HostConfig.Devices, short and long form; CDI device names are not run"),
  run("services.*.dns", "HostConfig.Dns"),
  run("services.*.dns_opt", "HostConfig.DnsOptions"),
  run("services.*.dns_search", "HostConfig.DnsSearch"),
  run("services.*.domainname", "Domainname"),
  run("services.*.entrypoint", "Entrypoint"),
  run("services.*.env_file", "read into the environment"),
  run("services.*.environment", "Env"),
  run("services.*.expose", "ExposedPorts"),
  run("services.*.extends", "the service is built from another, in this or another file"),
  run("services.*.external_links", "HostConfig.Links and the endpoints' Links"),
  run("services.*.extra_hosts", "HostConfig.ExtraHosts (several addresses per host too)"),
  limited(
    "services.*.gpus",
    "HostConfig.DeviceRequests; the engine needs a GPU driver to start the container",
  ),
  run("services.*.group_add", "HostConfig.GroupAdd"),
  run("services.*.healthcheck", "Healthcheck (start_interval needs Engine API 1.44)"),
  run("services.*.hostname", "Hostname"),
  run("services.*.image", "the image to run (pulled as pull_policy says)"),
  run("services.*.init", "HostConfig.Init"),
  run("services.*.ipc", "HostConfig.IpcMode (service: is not run yet)"),
  limited("services.*.isolation", "HostConfig.Isolation; a Linux engine accepts only default"),
  run("services.*.label_file", "read like env_file into labels; labels win"),
  run("services.*.labels", "Labels"),
  run("services.*.links", "HostConfig.Links to every container of the linked service; implies depends_on"),
  run("services.*.logging", "HostConfig.LogConfig"),
  limited(
    "services.*.mac_address",
    "MacAddress of the primary network (a MAC on another network needs Engine API 1.44)",
  ),
  run("services.*.mem_limit", "HostConfig.Memory"),
  run("services.*.mem_reservation", "HostConfig.MemoryReservation"),
  run("services.*.mem_swappiness", "HostConfig.MemorySwappiness (cgroup v1 hosts)"),
  run("services.*.memswap_limit", "HostConfig.MemorySwap"),
  notRun("services.*.models", "AI models for a model runner (Docker Model Runner)"),
  run("services.*.network_mode", "HostConfig.NetworkMode (service: is not run yet)"),
  run("services.*.networks", "the networks joined, with the networks.* settings below"),
  run("services.*.oom_kill_disable", "HostConfig.OomKillDisable (cgroup v1 hosts)"),
  run("services.*.oom_score_adj", "HostConfig.OomScoreAdj"),
  run("services.*.pid", "HostConfig.PidMode (service: is not run yet)"),
  run("services.*.pids_limit", "HostConfig.PidsLimit"),
  run("services.*.platform", "the image platform to pull, build and run"),
  run("services.*.ports", "HostConfig.PortBindings"),
  run("services.*.post_start", "execs run after the container starts; a failing hook fails the start"),
  run("services.*.pre_stop", "execs run before stop, down, restart and rm -s"),
  run("services.*.privileged", "HostConfig.Privileged"),
  run("services.*.profiles", "which services are enabled"),
  notRun("services.*.provider", "a service run by a provider plugin"),
  limited(
    "services.*.pull_policy",
    "when to pull; refresh, daily, weekly and every_<duration> pull only when the image is missing",
  ),
  notRun("services.*.pull_refresh_after", "an image is pulled when missing; no refresh interval is kept"),
  run("services.*.read_only", "HostConfig.ReadonlyRootfs"),
  run("services.*.restart", "HostConfig.RestartPolicy"),
  run("services.*.runtime", "HostConfig.Runtime"),
  run("services.*.scale", "the number of containers"),
  run("services.*.secrets", "files on a tmpfs under /run/secrets (SECRETS-SPEC.md)"),
  run("services.*.security_opt", "HostConfig.SecurityOpt; a seccomp profile file is read and sent inline"),
  run("services.*.shm_size", "HostConfig.ShmSize"),
  run("services.*.stdin_open", "OpenStdin"),
  run("services.*.stop_grace_period", "StopTimeout, and the wait of stop/down"),
  run("services.*.stop_signal", "StopSignal"),
  run("services.*.storage_opt", "HostConfig.StorageOpt (the engine's storage driver must support it)"),
  run("services.*.sysctls", "HostConfig.Sysctls"),
  run("services.*.tmpfs", "HostConfig.Tmpfs"),
  run("services.*.tty", "Tty"),
  run("services.*.ulimits", "HostConfig.Ulimits"),
  limited(
    "services.*.use_api_socket",
    "the engine's socket bound at /var/run/docker.sock; registry credentials are not copied in",
  ),
  run("services.*.user", "User"),
  run("services.*.userns_mode", "HostConfig.UsernsMode"),
  run("services.*.uts", "HostConfig.UTSMode"),
  run("services.*.volumes", "HostConfig.Binds and Mounts; see volumes[] below"),
  run(
    "services.*.volumes_from",
    "HostConfig.VolumesFrom (service or container:name); a service implies depends_on",
  ),
  run("services.*.working_dir", "WorkingDir"),

  // Service networks
  run("services.*.networks.*.aliases", "the endpoint's Aliases"),
  run("services.*.networks.*.ipv4_address", "the endpoint's IPAMConfig.IPv4Address"),
  run("services.*.networks.*.ipv6_address", "the endpoint's IPAMConfig.IPv6Address"),
  limited(
    "services.*.networks.*.interface_name",
    "the endpoint's driver option com.docker.network.endpoint.ifname; needs Engine API 1.49",
  ),
  run("services.*.networks.*.link_local_ips", "the endpoint's IPAMConfig.LinkLocalIPs"),
  limited(
    "services.*.networks.*.mac_address",
    "the primary network's MAC as MacAddress; on another network it needs Engine API 1.44",
  ),
  run("services.*.networks.*.driver_opts", "the endpoint's DriverOpts"),
  run("services.*.networks.*.priority", "the order networks are joined in; the highest is the primary one"),
  limited("services.*.networks.*.gw_priority", "the endpoint's GwPriority; needs Engine API 1.48"),

  // Service volumes, long form
  run("services.*.volumes[].type: bind", "a bind mount"),
  run("services.*.volumes[].type: volume", "a named or anonymous volume"),
  run("services.*.volumes[].type: tmpfs", "a tmpfs mount"),
  limited("services.*.volumes[].type: image", "an image mount; needs Engine API 1.48"),
  notRun("services.*.volumes[].type: npipe", WINDOWS),
  notRun("services.*.volumes[].type: cluster", "Swarm cluster volumes; refused on a single engine"),
  run("services.*.volumes[].read_only", "ReadOnly"),
  notRun("services.*.volumes[].consistency", "Docker Desktop for Mac only; ignored, as by Compose", false),
  run(
    "services.*.volumes[].bind.create_host_path",
    "a missing source is created (Binds) or an error (Mounts)",
  ),
  run("services.*.volumes[].bind.propagation", "BindOptions.Propagation"),
  limited(
    "services.*.volumes[].bind.recursive",
    "disabled: BindOptions.NonRecursive; writable and readonly need Engine API 1.44",
  ),
  run("services.*.volumes[].bind.selinux", "the z or Z bind option (relabelling)"),
  run("services.*.volumes[].volume.nocopy", "VolumeOptions.NoCopy"),
  limited("services.*.volumes[].volume.subpath", "VolumeOptions.Subpath; needs Engine API 1.45"),
  run("services.*.volumes[].volume.labels", "VolumeOptions.Labels"),
  run("services.*.volumes[].tmpfs.size", "TmpfsOptions.SizeBytes"),
  run("services.*.volumes[].tmpfs.mode", "TmpfsOptions.Mode"),
  limited("services.*.volumes[].image.subpath", "ImageOptions.Subpath; needs Engine API 1.48"),

  // deploy
  run("services.*.deploy.replicas", "the number of containers"),
  run("services.*.deploy.resources.limits.cpus", "HostConfig.NanoCpus"),
  run("services.*.deploy.resources.limits.memory", "HostConfig.Memory"),
  run("services.*.deploy.resources.limits.pids", "HostConfig.PidsLimit"),
  notRun(
    "services.*.deploy.resources.reservations.cpus",
    "a Swarm scheduling reservation; a single engine has no equivalent",
  ),
  run("services.*.deploy.resources.reservations.memory", "HostConfig.MemoryReservation"),
  limited(
    "services.*.deploy.resources.reservations.devices",
    "HostConfig.DeviceRequests; the engine needs the device driver (a GPU) to start the container",
  ),
  notRun("services.*.deploy.resources.reservations.generic_resources", SWARM),
  run(
    "services.*.deploy.restart_policy",
    "HostConfig.RestartPolicy (condition and max_attempts; delay and window are Swarm only)",
  ),
  notRun("services.*.deploy.mode", SWARM),
  notRun("services.*.deploy.endpoint_mode", SWARM),
  notRun("services.*.deploy.labels", `${SWARM} (service labels, not container labels)`),
  notRun("services.*.deploy.placement", SWARM),
  notRun("services.*.deploy.update_config", SWARM),
  notRun("services.*.deploy.rollback_config", SWARM),

  // build
  run("services.*.build.context", "the build context"),
  run("services.*.build.dockerfile", "the Dockerfile"),
  run("services.*.build.dockerfile_inline", "an inline Dockerfile"),
  run("services.*.build.args", "build arguments"),
  run("services.*.build.target", "the target stage"),
  run("services.*.build.labels", "image labels"),
  run("services.*.build.tags", "more image tags"),
  run("services.*.build.network", "the build's network"),
  run("services.*.build.shm_size", "the build's /dev/shm size"),
  run("services.*.build.extra_hosts", "the build's extra hosts"),
  run("services.*.build.no_cache", "build without cache"),
  run("services.*.build.pull", "pull base images"),
  run("services.*.build.cache_from", "cache sources"),
  run("services.*.build.secrets", "BuildKit secrets, from the same sources as run-time secrets"),
  limited(
    "services.*.build.additional_contexts",
    "refused with an error: needs BuildKit named contexts, which POST /build of API 1.41 lacks",
  ),
  limited("services.*.build.cache_to", "refused with an error: needs a BuildKit cache exporter (buildx)"),
  limited("services.*.build.entitlements", "refused with an error: needs buildx entitlements"),
  limited("services.*.build.isolation", "only default; anything else needs a Windows engine (an error)"),
  limited(
    "services.*.build.no_cache_filter",
    "refused with an error: needs BuildKit's per-stage no-cache; no_cache works",
  ),
  limited(
    "services.*.build.platforms",
    "one platform is built for; several (a multi-platform build) is an error",
  ),
  limited(
    "services.*.build.privileged",
    "refused with an error: needs the security.insecure entitlement (buildx)",
  ),
  limited("services.*.build.provenance", "false only; attestations need buildx and BuildKit 0.11 (an error)"),
  limited("services.*.build.sbom", "false only; attestations need buildx and BuildKit 0.11 (an error)"),
  limited(
    "services.*.build.ssh",
    "refused with an error: SSH agent forwarding over the build session is not served",
  ),
  limited(
    "services.*.build.ulimits",
    "refused with an error: Engine 20.10's BuildKit ignores the ulimits of POST /build",
  ),

  // Top-level networks
  run("networks.*.name", "the network's name on the engine"),
  run("networks.*.external", "an existing network, never created or removed"),
  run("networks.*.driver", "Driver"),
  run("networks.*.driver_opts", "Options"),
  run("networks.*.ipam", "IPAM: driver, config (subnet, ip_range, gateway, aux_addresses), options"),
  run("networks.*.internal", "Internal"),
  limited("networks.*.enable_ipv4", "EnableIPv4; false needs Engine API 1.48"),
  run("networks.*.enable_ipv6", "EnableIPv6"),
  run("networks.*.attachable", "Attachable"),
  run("networks.*.labels", "Labels"),

  // Top-level volumes
  run("volumes.*.name", "the volume's name on the engine"),
  run("volumes.*.external", "an existing volume, never created or removed"),
  run("volumes.*.driver", "Driver"),
  run("volumes.*.driver_opts", "DriverOpts"),
  run("volumes.*.labels", "Labels"),

  // Top-level secrets
  run("secrets.*.name", "the secret's name in the store"),
  run("secrets.*.file", "read from a file"),
  run("secrets.*.environment", "read from a variable"),
  run("secrets.*.external", "read from composec's secret store"),
  run("secrets.*.labels", "kept with the secret"),
  notRun("secrets.*.driver", "Swarm secret plugins; refused where it would change the value", false),
  notRun("secrets.*.driver_opts", "Swarm secret plugins; refused where it would change the value", false),
  notRun("secrets.*.template_driver", "Swarm templating; refused where it would change the value", false),
];

/** The mapping kinds the loader warns in, and the prefix of their attributes' paths. */
const KINDS = {
  top: "",
  service: "services.*.",
  deploy: "services.*.deploy.",
  build: "services.*.build.",
  network: "networks.*.",
  volume: "volumes.*.",
  reservations: "services.*.deploy.resources.reservations.",
} as const;

export type AttributeKind = keyof typeof KINDS;

/** For each kind of mapping: its attributes that are not run, by key, with the warning's reason. */
export const NOT_RUN: Record<AttributeKind, ReadonlyMap<string, string>> = notRunByKind();

function notRunByKind(): Record<AttributeKind, ReadonlyMap<string, string>> {
  const out = {} as Record<AttributeKind, Map<string, string>>;
  for (const kind of Object.keys(KINDS) as AttributeKind[]) out[kind] = new Map();
  for (const attribute of ATTRIBUTES) {
    if (attribute.status !== "not-run" || attribute.warn === false) continue;
    for (const kind of Object.keys(KINDS) as AttributeKind[]) {
      const prefix = KINDS[kind];
      const key = attribute.path.slice(prefix.length);
      if (attribute.path.startsWith(prefix) && /^[a-z_0-9]+$/.test(key)) out[kind].set(key, attribute.note);
    }
  }
  return out;
}

/** Keys of a kind that are accepted untyped: not run, so the schema has no shape for them. */
export function untypedKeys(kind: AttributeKind): string[] {
  return [...NOT_RUN[kind].keys()];
}

/** How many attributes have each status (the README's and the closing note's counts). */
export function statusCounts(): Record<AttributeStatus, number> {
  const counts: Record<AttributeStatus, number> = { run: 0, limited: 0, "not-run": 0 };
  for (const attribute of ATTRIBUTES) counts[attribute.status]++;
  return counts;
}

const STATUS_TEXT: Record<AttributeStatus, string> = {
  run: "run",
  limited: "run, with a limit",
  "not-run": "not run",
};

/** The README's table, in Markdown: one row per attribute, in the list's order. */
export function attributeTable(): string {
  const counts = statusCounts();
  const lines = [
    `${ATTRIBUTES.length} attributes: ${counts.run} run, ${counts.limited} run with a limit, ${counts["not-run"]} not run.`,
    "",
    "| attribute | composec | what it does, or why not |",
    "| --- | --- | --- |",
  ];
  for (const attribute of ATTRIBUTES) {
    lines.push(
      `| \`${attribute.path}\` | ${STATUS_TEXT[attribute.status]} | ${attribute.note.replace(/\|/g, "\\|")} |`,
    );
  }
  return lines.join("\n");
}

/** The README lines around the generated table (prettier leaves what is between them alone). */
export const TABLE_START =
  "<!-- attribute-table:start (scripts/attribute-table.mjs writes this) -->\n<!-- prettier-ignore-start -->";
export const TABLE_END = "<!-- prettier-ignore-end -->\n<!-- attribute-table:end -->";

/** `readme` with the text between the markers replaced by the registry's table. */
export function withAttributeTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("README.md has no attribute-table markers");
  return `${readme.slice(0, start + TABLE_START.length)}\n${attributeTable()}\n${readme.slice(end)}`;
}
