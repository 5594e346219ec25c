// Stage 3: the shape of one compose file as written (short and long forms), checked with shapes.ts.
// Every attribute composec runs is typed here. Attributes of the Compose Specification that composec
// does not run are accepted untyped when attributes.ts lists them so (the loader warns about each);
// anything else is an unknown attribute, reported with a "did you mean".
import { untypedKeys } from "./attributes.js";
import * as z from "./shapes.js";
import { closest } from "./suggest.js";

/**
 * A mapping with a fixed set of attributes. `x-*` extensions are allowed; an unknown attribute is an
 * issue that suggests the closest known one. `notRunYet` attributes pass untyped.
 */
function attributes<Shape extends z.Shape>(what: string, shape: Shape, notRunYet: readonly string[] = []) {
  const known = [...Object.keys(shape), ...notRunYet];
  const isKnown = new Set(known);
  return z
    .looseObject(shape, {
      error: (issue) => (issue.code === "invalid_type" ? `${what} must be a mapping` : undefined),
    })
    .check(
      z.superRefine(
        (value, ctx) => {
          // A scalar where a mapping belongs already has its type issue; its characters are no keys.
          if (value === null || typeof value !== "object" || Array.isArray(value)) return;
          for (const key in value) {
            if (isKnown.has(key) || key.startsWith("x-")) continue;
            const suggestion = closest(key, known);
            ctx.addIssue({
              code: "custom",
              path: [key],
              input: key,
              message: `unknown attribute "${key}" in ${what}${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
            });
          }
        },
        { when: () => true },
      ),
    );
}

const text = z.string({ error: "must be a string" });
const integer = z.union([z.int(), z.string().check(z.regex(/^[-+]?\d+$/))], { error: "must be an integer" });
const boolean = z.union([z.boolean(), z.enum(["true", "false", "True", "False", "TRUE", "FALSE"])], {
  error: "must be true or false",
});
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringList = z.array(text, { error: "must be a list of strings" });
const stringOrList = z.union([z.string(), z.array(text)], { error: "must be a string or a list of strings" });
const nullableScalar = z.union([scalar, z.null()]);
/** `environment`, `labels`, `args`, ...: either `KEY=value` strings or a mapping of scalars. */
const listOrDict = z.union([z.array(text), z.record(z.string(), nullableScalar)], {
  error: "must be a mapping of names to values, or a list of NAME=value strings",
});
/** Sizes (`shm_size: 64m`) and counts: a number or a string with a unit. */
const byteSize = z.union([z.number(), z.string().check(z.regex(/^\d+(\.\d+)?\s*[kmgtb]?b?$/i))], {
  error: "must be a size such as 64m, 1g or a number of bytes",
});
const duration = z.union(
  [z.string().check(z.regex(/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/)), z.number()],
  {
    error: "must be a duration such as 10s, 1m30s or 500ms",
  },
);
/** A count or rate: a number, or a string of digits (compose-go reads both). */
const numeric = z.union([z.number(), z.string().check(z.regex(/^[-+]?\d+(\.\d+)?$/))], {
  error: "must be a number",
});
/** `memswap_limit`: a size, or -1 for unlimited swap. */
const sizeOrUnlimited = z.union([byteSize, z.int(), z.string().check(z.regex(/^-1$/))], {
  error: "must be a size such as 1g, or -1 for unlimited",
});
/** `cpu_rt_*`: microseconds, as a number or a duration such as 400ms. */
const microseconds = z.union(
  [z.int(), z.string().check(z.regex(/^(\d+|(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+)$/))],
  {
    error: "must be microseconds, or a duration such as 950ms",
  },
);
/** One device request of `gpus:` or `deploy.resources.reservations.devices`. */
const deviceRequest = attributes("a device request", {
  capabilities: z.optional(stringList),
  count: z.optional(
    z.union([z.int(), z.string().check(z.regex(/^(all|-?\d+)$/))], { error: 'must be a number or "all"' }),
  ),
  device_ids: z.optional(stringList),
  driver: z.optional(text),
  options: z.optional(listOrDict),
});
const blkioLimit = attributes("a block-I/O limit", {
  path: text,
  rate: z.union([z.int(), byteSize], { error: "must be a rate such as 1mb or a number" }),
});
const blkioWeight = attributes("a block-I/O weight", { path: text, weight: integer });
const blkioConfig = attributes("blkio_config", {
  weight: z.optional(integer),
  weight_device: z.optional(z.array(blkioWeight, { error: "must be a list of {path, weight}" })),
  device_read_bps: z.optional(z.array(blkioLimit, { error: "must be a list of {path, rate}" })),
  device_read_iops: z.optional(z.array(blkioLimit, { error: "must be a list of {path, rate}" })),
  device_write_bps: z.optional(z.array(blkioLimit, { error: "must be a list of {path, rate}" })),
  device_write_iops: z.optional(z.array(blkioLimit, { error: "must be a list of {path, rate}" })),
});
const updateConfig = (what: string) =>
  attributes(what, {
    parallelism: z.optional(integer),
    delay: z.optional(duration),
    failure_action: z.optional(text),
    monitor: z.optional(duration),
    max_failure_ratio: z.optional(numeric),
    order: z.optional(z.enum(["start-first", "stop-first"], { error: "must be start-first or stop-first" })),
  });
const deploySchema = z.nullable(
  attributes(
    "deploy",
    {
      replicas: z.optional(integer),
      mode: z.optional(text),
      endpoint_mode: z.optional(text),
      labels: z.optional(listOrDict),
      resources: z.optional(
        attributes("deploy.resources", {
          limits: z.optional(
            attributes("deploy.resources.limits", {
              cpus: z.optional(numeric),
              memory: z.optional(byteSize),
              pids: z.optional(integer),
            }),
          ),
          reservations: z.optional(
            attributes("deploy.resources.reservations", {
              cpus: z.optional(numeric),
              memory: z.optional(byteSize),
              devices: z.optional(z.array(deviceRequest, { error: "must be a list of device requests" })),
              generic_resources: z.optional(z.array(z.unknown(), { error: "must be a list" })),
            }),
          ),
        }),
      ),
      restart_policy: z.optional(
        attributes("deploy.restart_policy", {
          condition: z.optional(
            z.enum(["none", "on-failure", "any", "no", "always", "unless-stopped"], {
              error: "must be none, on-failure or any",
            }),
          ),
          delay: z.optional(duration),
          max_attempts: z.optional(integer),
          window: z.optional(duration),
        }),
      ),
      placement: z.optional(
        attributes("deploy.placement", {
          constraints: z.optional(stringList),
          preferences: z.optional(
            z.array(attributes("a placement preference", { spread: text }), {
              error: "must be a list of {spread: ...}",
            }),
          ),
          max_replicas_per_node: z.optional(integer),
        }),
      ),
      update_config: z.optional(updateConfig("deploy.update_config")),
      rollback_config: z.optional(updateConfig("deploy.rollback_config")),
    },
    untypedKeys("deploy"),
  ),
);

const external = z.union([boolean, attributes("external", { name: z.optional(text) })], {
  error: "must be true, false or a mapping with name",
});

/** `extra_hosts`: `host:ip` / `host=ip[,ip]` strings, or a mapping of hosts to one address or a list. */
const extraHostsSchema = z.union(
  [
    z.array(text),
    z.record(
      z.string(),
      z.union([z.string(), z.array(text)], { error: "must be an address or a list of addresses" }),
    ),
  ],
  { error: 'must be a list such as ["db:10.0.0.2"] or a mapping of host names to addresses' },
);

const portLong = attributes("a port", {
  target: integer,
  published: z.optional(z.union([z.string(), z.number()], { error: "must be a port number or range" })),
  host_ip: z.optional(text),
  protocol: z.optional(z.enum(["tcp", "udp", "sctp"], { error: "must be tcp, udp or sctp" })),
  mode: z.optional(z.enum(["host", "ingress"], { error: "must be host or ingress" })),
  app_protocol: z.optional(text),
  name: z.optional(text),
});

const volumeLong = attributes("a volume", {
  type: z.enum(["bind", "volume", "tmpfs", "npipe", "cluster", "image"], {
    error: "must be bind, volume, tmpfs or image",
  }),
  source: z.optional(text),
  target: z.optional(text),
  read_only: z.optional(boolean),
  consistency: z.optional(text),
  bind: z.optional(
    attributes("volumes[].bind", {
      propagation: z.optional(
        z.enum(["private", "rprivate", "shared", "rshared", "slave", "rslave"], {
          error: "must be private, rprivate, shared, rshared, slave or rslave",
        }),
      ),
      create_host_path: z.optional(boolean),
      recursive: z.optional(
        z.enum(["enabled", "disabled", "writable", "readonly"], {
          error: "must be enabled, disabled, writable or readonly",
        }),
      ),
      selinux: z.optional(z.enum(["z", "Z"], { error: "must be z or Z" })),
    }),
  ),
  volume: z.optional(
    attributes("volumes[].volume", {
      nocopy: z.optional(boolean),
      subpath: z.optional(text),
      labels: z.optional(listOrDict),
    }),
  ),
  tmpfs: z.optional(
    attributes("volumes[].tmpfs", {
      size: z.optional(byteSize),
      mode: z.optional(
        z.union([z.int(), z.string().check(z.regex(/^0?[0-7]{1,4}$/))], {
          error: "must be an octal mode such as 1777",
        }),
      ),
    }),
  ),
  image: z.optional(attributes("volumes[].image", { subpath: z.optional(text) })),
});

/** A secret (or config) grant, `- name` or `{source, target, uid, gid, mode}`; `mode` is checked later. */
const grantOf = (kind: "secret" | "config") =>
  z.union(
    [
      text,
      attributes(`a ${kind} grant`, {
        source: text,
        target: z.optional(text),
        uid: z.optional(z.union([z.string(), z.number()], { error: 'must be a uid such as "1000"' })),
        gid: z.optional(z.union([z.string(), z.number()], { error: 'must be a gid such as "1000"' })),
        mode: z.optional(
          z.union([z.string(), z.number()], { error: 'must be an octal file mode such as 0400 or "0440"' }),
        ),
      }),
    ],
    { error: `must be a ${kind} name or a mapping with source (and target, uid, gid, mode)` },
  );
const secretGrant = grantOf("secret");
const configGrant = grantOf("config");

const healthcheck = attributes("healthcheck", {
  test: z.optional(stringOrList),
  interval: z.optional(duration),
  timeout: z.optional(duration),
  start_period: z.optional(duration),
  start_interval: z.optional(duration),
  retries: z.optional(integer),
  disable: z.optional(boolean),
});

/** `logging`: the engine's log driver and its options (values are strings to the engine). */
const logging = attributes("logging", {
  driver: z.optional(text),
  options: z.optional(
    z.nullable(
      z.record(z.string(), nullableScalar, { error: "must be a mapping of option names to values" }),
    ),
  ),
});

const ulimits = z.record(
  z.string(),
  z.union([integer, attributes("a ulimit", { soft: integer, hard: integer })], {
    error: "must be a number or a mapping with soft and hard",
  }),
);

const build = z.union(
  [
    text,
    attributes(
      "build",
      {
        context: z.optional(text),
        dockerfile: z.optional(text),
        dockerfile_inline: z.optional(text),
        args: z.optional(listOrDict),
        target: z.optional(text),
        labels: z.optional(listOrDict),
        tags: z.optional(stringList),
        network: z.optional(text),
        shm_size: z.optional(byteSize),
        extra_hosts: z.optional(extraHostsSchema),
        no_cache: z.optional(boolean),
        pull: z.optional(boolean),
        cache_from: z.optional(stringList),
        secrets: z.optional(z.array(secretGrant, { error: "must be a list of secrets" })),
        ulimits: z.optional(ulimits),
        platforms: z.optional(stringList),
        isolation: z.optional(text),
        privileged: z.optional(boolean),
        entitlements: z.optional(stringList),
        ssh: z.optional(listOrDict),
        cache_to: z.optional(stringList),
        additional_contexts: z.optional(listOrDict),
        provenance: z.optional(
          z.union([z.string(), z.boolean()], { error: "must be true, false or a string" }),
        ),
        sbom: z.optional(z.union([z.string(), z.boolean()], { error: "must be true, false or a string" })),
        no_cache_filter: z.optional(stringOrList),
      },
      untypedKeys("build"),
    ),
  ],
  { error: "must be a build context path or a mapping with context, dockerfile, args, ..." },
);

const dependsOn = z.union(
  [
    stringList,
    z.record(
      z.string(),
      attributes("depends_on entry", {
        condition: z.optional(
          z.enum(["service_started", "service_healthy", "service_completed_successfully"], {
            error: "must be service_started, service_healthy or service_completed_successfully",
          }),
        ),
        required: z.optional(boolean),
        restart: z.optional(boolean),
      }),
    ),
  ],
  { error: "must be a list of service names or a mapping of service names to conditions" },
);

const serviceNetworks = z.union(
  [
    stringList,
    z.record(
      z.string(),
      z.nullable(
        attributes("a service network", {
          aliases: z.optional(stringList),
          ipv4_address: z.optional(text),
          ipv6_address: z.optional(text),
          interface_name: z.optional(text),
          priority: z.optional(integer),
          mac_address: z.optional(text),
          link_local_ips: z.optional(stringList),
          driver_opts: z.optional(z.record(z.string(), scalar, { error: "must be a mapping of options" })),
          gw_priority: z.optional(integer),
        }),
      ),
    ),
  ],
  { error: "must be a list of network names or a mapping of network names to settings" },
);

/** One `post_start` / `pre_stop` entry: a command run as an exec in the container. */
const serviceHook = attributes("a lifecycle hook", {
  command: z.union([z.string(), z.array(text)], {
    error: (issue) =>
      issue.input === undefined
        ? "is required: the command the hook runs"
        : "must be a string or a list of strings",
  }),
  user: z.optional(text),
  privileged: z.optional(boolean),
  working_dir: z.optional(text),
  environment: z.optional(listOrDict),
});
/** `develop`: Compose's watch mode (composec types and prints it, but does not watch: NOT_RUN_YET). */
const develop = z.nullable(
  attributes("develop", {
    watch: z.optional(
      z.array(
        attributes("a watch rule", {
          path: text,
          action: z.enum(["rebuild", "sync", "restart", "sync+restart", "sync+exec"], {
            error: "must be rebuild, sync, restart, sync+restart or sync+exec",
          }),
          target: z.optional(text),
          ignore: z.optional(stringOrList),
          include: z.optional(stringOrList),
          exec: z.optional(serviceHook),
          initial_sync: z.optional(boolean),
        }),
        { error: "must be a list of watch rules" },
      ),
    ),
  }),
);

/** A service's `models`: names of top-level models, or a mapping with the variables to set. */
const serviceModels = z.union(
  [
    stringList,
    z.record(
      z.string().check(z.regex(/^[a-zA-Z0-9._-]+$/, { error: "must be a model name ([a-zA-Z0-9._-])" })),
      z.nullable(
        attributes("a service model", { endpoint_var: z.optional(text), model_var: z.optional(text) }),
      ),
    ),
  ],
  { error: "must be a list of model names or a mapping of model names to endpoint_var and model_var" },
);

const providerOption = z.union([z.string(), z.number(), z.boolean()]);
/** `provider`: a service an external component manages (composec does not run it: NOT_RUN_YET). */
const provider = attributes("provider", {
  type: text,
  options: z.optional(
    z.record(z.string(), z.union([providerOption, z.array(providerOption)]), {
      error: "must be a mapping of option names to values or lists of values",
    }),
  ),
});

/** A top-level `models` entry. */
const topLevelModel = attributes("a model", {
  model: text,
  name: z.optional(text),
  context_size: z.optional(integer),
  runtime_flags: z.optional(stringList),
});

const serviceHooks = z.array(serviceHook, { error: "must be a list of hooks, each with a command" });

/** `extends: base` or `{service, file}`: the service this one starts from (extends.ts). */
const extendsSchema = z.union(
  [
    text,
    attributes("extends", {
      service: z.string({ error: "must be the name of the service to extend" }),
      file: z.optional(z.string({ error: "must be the path of the compose file that defines the service" })),
    }),
  ],
  { error: "must be a service name or a mapping with service (and file)" },
);

/** One `include` entry: a path, or `{path, project_directory, env_file}` (include.ts). */
const includeEntry = z.union(
  [
    text,
    attributes("an include entry", {
      path: z.union([z.string(), z.array(text)], {
        error: (issue) =>
          issue.input === undefined
            ? "is required: the compose file to include"
            : "must be the path of a compose file, or a list of paths merged in order",
      }),
      project_directory: z.optional(text),
      env_file: z.optional(stringOrList),
    }),
  ],
  { error: "must be the path of a compose file or a mapping with path (and project_directory, env_file)" },
);

export const serviceSchema = attributes(
  "a service",
  {
    image: z.optional(text),
    extends: z.optional(extendsSchema),
    build: z.optional(build),
    command: z.optional(
      z.union([z.null(), stringOrList], { error: "must be a string or a list of strings" }),
    ),
    entrypoint: z.optional(
      z.union([z.null(), stringOrList], { error: "must be a string or a list of strings" }),
    ),
    environment: z.optional(listOrDict),
    env_file: z.optional(
      z.union(
        [
          z.string(),
          z.array(
            z.union(
              [
                z.string(),
                attributes("an env_file entry", {
                  path: text,
                  required: z.optional(boolean),
                  format: z.optional(text),
                }),
              ],
              { error: "must be a path or a mapping with path and required" },
            ),
          ),
        ],
        { error: "must be a path or a list of paths" },
      ),
    ),
    user: z.optional(
      z.union([z.string(), z.number()], { error: "must be a user name or uid, with an optional :group" }),
    ),
    working_dir: z.optional(text),
    ports: z.optional(
      z.array(z.union([z.string(), z.number(), portLong]), {
        error: 'must be a list of port mappings such as "8080:80"',
      }),
    ),
    expose: z.optional(
      z.array(z.union([z.string(), z.number()], { error: "must be a port number" }), {
        error: "must be a list of ports",
      }),
    ),
    volumes: z.optional(
      z.array(z.union([z.string(), volumeLong]), {
        error: 'must be a list of volumes such as "./data:/data"',
      }),
    ),
    tmpfs: z.optional(stringOrList),
    networks: z.optional(serviceNetworks),
    network_mode: z.optional(text),
    depends_on: z.optional(dependsOn),
    healthcheck: z.optional(healthcheck),
    logging: z.optional(logging),
    restart: z.optional(
      z.string().check(
        z.regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/, {
          error: "must be no, always, unless-stopped or on-failure[:max-retries]",
        }),
      ),
    ),
    labels: z.optional(listOrDict),
    container_name: z.optional(text),
    hostname: z.optional(text),
    domainname: z.optional(text),
    read_only: z.optional(boolean),
    init: z.optional(boolean),
    stop_signal: z.optional(text),
    stop_grace_period: z.optional(duration),
    cap_add: z.optional(stringList),
    cap_drop: z.optional(stringList),
    privileged: z.optional(boolean),
    extra_hosts: z.optional(extraHostsSchema),
    dns: z.optional(stringOrList),
    ulimits: z.optional(ulimits),
    shm_size: z.optional(byteSize),
    sysctls: z.optional(listOrDict),
    devices: z.optional(
      z.array(
        z.union(
          [
            z.string(),
            attributes("a device", { source: text, target: z.optional(text), permissions: z.optional(text) }),
          ],
          { error: "must be a device such as /dev/fuse or a mapping with source (and target, permissions)" },
        ),
        { error: "must be a list of devices" },
      ),
    ),
    mem_limit: z.optional(byteSize),
    cpus: z.optional(
      z.union([z.number(), z.string().check(z.regex(/^\d+(\.\d+)?$/))], {
        error: "must be a number of CPUs such as 0.5",
      }),
    ),
    pid: z.optional(z.union([z.string(), z.null()], { error: "must be a string such as host" })),
    ipc: z.optional(text),
    tty: z.optional(boolean),
    stdin_open: z.optional(boolean),
    group_add: z.optional(
      z.array(z.union([z.string(), z.number()], { error: "must be a group name or gid" }), {
        error: "must be a list of groups",
      }),
    ),
    platform: z.optional(text),
    pull_policy: z.optional(
      z.string({ error: "must be a string" }).check(
        z.regex(/^(always|never|missing|build|if_not_present|refresh|daily|weekly|every_(\d+[wdhms])+)$/, {
          error:
            "must be always, never, missing, build, if_not_present, refresh, daily, weekly or every_<duration> such as every_12h or every_2d",
        }),
      ),
    ),
    scale: z.optional(integer),
    deploy: z.optional(deploySchema),
    annotations: z.optional(listOrDict),
    blkio_config: z.optional(blkioConfig),
    cpu_count: z.optional(integer),
    cpu_percent: z.optional(integer),
    cpu_shares: z.optional(integer),
    cpu_quota: z.optional(integer),
    cpu_period: z.optional(integer),
    cpu_rt_period: z.optional(microseconds),
    cpu_rt_runtime: z.optional(microseconds),
    cpuset: z.optional(text),
    cgroup: z.optional(z.enum(["host", "private"], { error: "must be host or private" })),
    cgroup_parent: z.optional(text),
    credential_spec: z.optional(
      attributes("credential_spec", {
        config: z.optional(text),
        file: z.optional(text),
        registry: z.optional(text),
      }),
    ),
    device_cgroup_rules: z.optional(stringList),
    dns_opt: z.optional(stringList),
    dns_search: z.optional(stringOrList),
    external_links: z.optional(stringList),
    links: z.optional(stringList),
    gpus: z.optional(
      z.union([z.enum(["all"]), z.array(deviceRequest)], {
        error: 'must be "all" or a list of device requests',
      }),
    ),
    isolation: z.optional(text),
    mac_address: z.optional(text),
    mem_reservation: z.optional(byteSize),
    mem_swappiness: z.optional(integer),
    memswap_limit: z.optional(sizeOrUnlimited),
    oom_kill_disable: z.optional(boolean),
    oom_score_adj: z.optional(integer),
    pids_limit: z.optional(integer),
    runtime: z.optional(text),
    security_opt: z.optional(stringList),
    storage_opt: z.optional(z.record(z.string(), scalar, { error: "must be a mapping of options" })),
    userns_mode: z.optional(text),
    uts: z.optional(text),
    volumes_from: z.optional(stringList),
    use_api_socket: z.optional(boolean),
    profiles: z.optional(stringList),
    secrets: z.optional(z.array(secretGrant, { error: "must be a list of secrets" })),
    configs: z.optional(z.array(configGrant, { error: "must be a list of configs" })),
    attach: z.optional(boolean),
    develop: z.optional(develop),
    models: z.optional(serviceModels),
    provider: z.optional(provider),
    label_file: z.optional(stringOrList),
    post_start: z.optional(serviceHooks),
    pre_stop: z.optional(serviceHooks),
  },
  untypedKeys("service"),
);

const networkSchema = z.nullable(
  attributes(
    "a network",
    {
      name: z.optional(text),
      external: z.optional(external),
      driver: z.optional(text),
      driver_opts: z.optional(z.record(z.string(), scalar)),
      labels: z.optional(listOrDict),
      internal: z.optional(boolean),
      attachable: z.optional(boolean),
      enable_ipv6: z.optional(boolean),
      enable_ipv4: z.optional(boolean),
      ipam: z.optional(
        attributes("networks.ipam", {
          driver: z.optional(text),
          config: z.optional(
            z.array(
              attributes("an IPAM pool", {
                subnet: z.optional(text),
                ip_range: z.optional(text),
                gateway: z.optional(text),
                aux_addresses: z.optional(
                  z.record(z.string(), text, { error: "must be a mapping of host names to addresses" }),
                ),
              }),
              { error: "must be a list of pools with subnet, ip_range, gateway, aux_addresses" },
            ),
          ),
          options: z.optional(
            z.record(z.string(), text, { error: "must be a mapping of option names to strings" }),
          ),
        }),
      ),
    },
    untypedKeys("network"),
  ),
);

const volumeSchema = z.nullable(
  attributes("a volume", {
    name: z.optional(text),
    external: z.optional(external),
    driver: z.optional(text),
    driver_opts: z.optional(z.record(z.string(), scalar)),
    labels: z.optional(listOrDict),
  }),
);

/** Top-level `secrets.<key>`; the rules between its fields are checked in validate-secrets.ts. */
const secretSchema = attributes("a secret", {
  file: z.optional(text),
  environment: z.optional(text),
  external: z.optional(external),
  name: z.optional(text),
  labels: z.optional(listOrDict),
  driver: z.optional(text),
  driver_opts: z.optional(z.record(z.string(), scalar)),
  template_driver: z.optional(text),
  // Not a secret attribute (configs have it); let it through so finalize.ts can say what to use.
  content: z.optional(z.unknown()),
});

/** Top-level `configs.<key>`: a secret's sources plus inline `content`; rules between fields in finalize.ts. */
const configSchema = attributes("a config", {
  file: z.optional(text),
  environment: z.optional(text),
  content: z.optional(text),
  external: z.optional(external),
  name: z.optional(text),
  labels: z.optional(listOrDict),
  template_driver: z.optional(text),
});

const mappingOf = <T>(what: string, item: z.Schema<T>) =>
  z.record(z.string(), item, { error: `must be a mapping of ${what} by name` });

export const composeFileSchema = attributes(
  "the compose file",
  {
    version: z.optional(z.union([z.string(), z.number()], { error: "must be a string (it is ignored)" })),
    name: z.optional(text),
    include: z.optional(z.array(includeEntry, { error: "must be a list of compose files to include" })),
    services: z.optional(z.nullable(mappingOf("services", serviceSchema))),
    networks: z.optional(z.nullable(mappingOf("networks", networkSchema))),
    volumes: z.optional(z.nullable(mappingOf("volumes", volumeSchema))),
    models: z.optional(z.nullable(mappingOf("models", topLevelModel))),
    secrets: z.optional(
      z.nullable(
        z.record(z.string(), secretSchema, {
          error: "must be a mapping of secret names to definitions",
        }),
      ),
    ),
    configs: z.optional(
      z.nullable(
        z.record(z.string(), configSchema, {
          error: "must be a mapping of config names to definitions",
        }),
      ),
    ),
  },
  untypedKeys("top"),
);

export type ComposeFile = z.infer<typeof composeFileSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawSecretGrant = z.infer<typeof secretGrant>;
export type RawSecret = z.infer<typeof secretSchema>;
export type RawConfig = z.infer<typeof configSchema>;
export type RawExtends = z.infer<typeof extendsSchema>;
export type RawIncludeEntry = z.infer<typeof includeEntry>;
