// Stage 3: the shape of one compose file as written (short and long forms), checked with zod.
// Every attribute composec runs is typed here. Attributes of the Compose Specification that composec
// does not run yet are accepted and listed in NOT_RUN_YET so the loader can warn about each one;
// anything else is an unknown attribute, reported with a "did you mean".
import { z } from "zod";
import { closest } from "./suggest.js";

/** Compose attributes composec accepts but does not act on yet, per kind of mapping. */
export const NOT_RUN_YET = {
  top: ["configs", "include", "models"],
  service: [
    "annotations",
    "attach",
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "configs",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpuset",
    "credential_spec",
    "develop",
    "device_cgroup_rules",
    "dns_opt",
    "dns_search",
    "extends",
    "external_links",
    "gpus",
    "isolation",
    "label_file",
    "links",
    "logging",
    "mac_address",
    "models",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "oom_kill_disable",
    "oom_score_adj",
    "pids_limit",
    "post_start",
    "pre_stop",
    "provider",
    "runtime",
    "security_opt",
    "storage_opt",
    "use_api_socket",
    "userns_mode",
    "uts",
    "volumes_from",
  ],
  deploy: [
    "endpoint_mode",
    "labels",
    "mode",
    "placement",
    "resources",
    "restart_policy",
    "rollback_config",
    "update_config",
  ],
  build: [
    "additional_contexts",
    "entitlements",
    "isolation",
    "platforms",
    "privileged",
    "ssh",
    "ulimits",
    "cache_to",
  ],
  network: ["ipam"],
} as const;

/**
 * A mapping with a fixed set of attributes. `x-*` extensions are allowed; an unknown attribute is an
 * issue that suggests the closest known one. `notRunYet` attributes pass untyped.
 */
function attributes<Shape extends z.ZodRawShape>(
  what: string,
  shape: Shape,
  notRunYet: readonly string[] = [],
) {
  const known = [...Object.keys(shape), ...notRunYet];
  return z
    .looseObject(shape, {
      error: (issue) => (issue.code === "invalid_type" ? `${what} must be a mapping` : undefined),
    })
    .superRefine(
      (value, ctx) => {
        // A scalar where a mapping belongs already has its type issue; its characters are no keys.
        if (value === null || typeof value !== "object" || Array.isArray(value)) return;
        for (const key of Object.keys(value)) {
          if (known.includes(key) || key.startsWith("x-")) continue;
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
    );
}

const text = z.string({ error: "must be a string" });
const integer = z.union([z.number().int(), z.string().regex(/^[-+]?\d+$/)], { error: "must be an integer" });
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
const byteSize = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?\s*[kmgtb]?b?$/i)], {
  error: "must be a size such as 64m, 1g or a number of bytes",
});
const duration = z.union([z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/), z.number()], {
  error: "must be a duration such as 10s, 1m30s or 500ms",
});
const external = z.union([boolean, attributes("external", { name: text.optional() })], {
  error: "must be true, false or a mapping with name",
});

const portLong = attributes("a port", {
  target: integer,
  published: z.union([z.string(), z.number()]).optional(),
  host_ip: text.optional(),
  protocol: z.enum(["tcp", "udp", "sctp"], { error: "must be tcp, udp or sctp" }).optional(),
  mode: z.enum(["host", "ingress"], { error: "must be host or ingress" }).optional(),
  app_protocol: text.optional(),
  name: text.optional(),
});

const volumeLong = attributes("a volume", {
  type: z.enum(["bind", "volume", "tmpfs", "npipe", "cluster", "image"], {
    error: "must be bind, volume or tmpfs",
  }),
  source: text.optional(),
  target: text.optional(),
  read_only: boolean.optional(),
  consistency: text.optional(),
  bind: attributes("volumes[].bind", {
    propagation: text.optional(),
    create_host_path: boolean.optional(),
    selinux: z.enum(["z", "Z"]).optional(),
  }).optional(),
  volume: attributes("volumes[].volume", { nocopy: boolean.optional(), subpath: text.optional() }).optional(),
  tmpfs: attributes("volumes[].tmpfs", { size: byteSize.optional(), mode: integer.optional() }).optional(),
  image: attributes("volumes[].image", { subpath: text.optional() }).optional(),
});

/** A secret grant, `- name` or `{source, target, uid, gid, mode}`; `mode` is checked later. */
const secretGrant = z.union(
  [
    text,
    attributes("a secret grant", {
      source: text,
      target: text.optional(),
      uid: z.union([z.string(), z.number()], { error: 'must be a uid such as "1000"' }).optional(),
      gid: z.union([z.string(), z.number()], { error: 'must be a gid such as "1000"' }).optional(),
      mode: z
        .union([z.string(), z.number()], { error: 'must be an octal file mode such as 0400 or "0440"' })
        .optional(),
    }),
  ],
  { error: "must be a secret name or a mapping with source (and target, uid, gid, mode)" },
);

const healthcheck = attributes("healthcheck", {
  test: stringOrList.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  retries: integer.optional(),
  disable: boolean.optional(),
});

const build = z.union(
  [
    text,
    attributes(
      "build",
      {
        context: text.optional(),
        dockerfile: text.optional(),
        dockerfile_inline: text.optional(),
        args: listOrDict.optional(),
        target: text.optional(),
        labels: listOrDict.optional(),
        tags: stringList.optional(),
        network: text.optional(),
        shm_size: byteSize.optional(),
        extra_hosts: listOrDict.optional(),
        no_cache: boolean.optional(),
        pull: boolean.optional(),
        cache_from: stringList.optional(),
        secrets: z.array(secretGrant, { error: "must be a list of secrets" }).optional(),
      },
      NOT_RUN_YET.build,
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
        condition: z
          .enum(["service_started", "service_healthy", "service_completed_successfully"], {
            error: "must be service_started, service_healthy or service_completed_successfully",
          })
          .optional(),
        required: boolean.optional(),
        restart: boolean.optional(),
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
      attributes("a service network", {
        aliases: stringList.optional(),
        ipv4_address: text.optional(),
        ipv6_address: text.optional(),
        priority: integer.optional(),
        mac_address: text.optional(),
        link_local_ips: stringList.optional(),
        driver_opts: listOrDict.optional(),
        gw_priority: integer.optional(),
      }).nullable(),
    ),
  ],
  { error: "must be a list of network names or a mapping of network names to settings" },
);

const ulimits = z.record(
  z.string(),
  z.union([integer, attributes("a ulimit", { soft: integer, hard: integer })], {
    error: "must be a number or a mapping with soft and hard",
  }),
);

export const serviceSchema = attributes(
  "a service",
  {
    image: text.optional(),
    build: build.optional(),
    command: z.union([z.null(), stringOrList]).optional(),
    entrypoint: z.union([z.null(), stringOrList]).optional(),
    environment: listOrDict.optional(),
    env_file: z
      .union(
        [
          z.string(),
          z.array(
            z.union([
              z.string(),
              attributes("an env_file entry", {
                path: text,
                required: boolean.optional(),
                format: text.optional(),
              }),
            ]),
          ),
        ],
        { error: "must be a path or a list of paths" },
      )
      .optional(),
    user: z.union([z.string(), z.number()]).optional(),
    working_dir: text.optional(),
    ports: z
      .array(z.union([z.string(), z.number(), portLong]), {
        error: 'must be a list of port mappings such as "8080:80"',
      })
      .optional(),
    expose: z.array(z.union([z.string(), z.number()]), { error: "must be a list of ports" }).optional(),
    volumes: z
      .array(z.union([z.string(), volumeLong]), { error: 'must be a list of volumes such as "./data:/data"' })
      .optional(),
    tmpfs: stringOrList.optional(),
    networks: serviceNetworks.optional(),
    network_mode: text.optional(),
    depends_on: dependsOn.optional(),
    healthcheck: healthcheck.optional(),
    restart: z
      .string()
      .regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/, {
        error: "must be no, always, unless-stopped or on-failure[:max-retries]",
      })
      .optional(),
    labels: listOrDict.optional(),
    container_name: text.optional(),
    hostname: text.optional(),
    domainname: text.optional(),
    read_only: boolean.optional(),
    init: boolean.optional(),
    stop_signal: text.optional(),
    stop_grace_period: duration.optional(),
    cap_add: stringList.optional(),
    cap_drop: stringList.optional(),
    privileged: boolean.optional(),
    extra_hosts: listOrDict.optional(),
    dns: stringOrList.optional(),
    ulimits: ulimits.optional(),
    shm_size: byteSize.optional(),
    sysctls: listOrDict.optional(),
    devices: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
    mem_limit: byteSize.optional(),
    cpus: z
      .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)], {
        error: "must be a number of CPUs such as 0.5",
      })
      .optional(),
    pid: z.union([z.string(), z.null()]).optional(),
    ipc: text.optional(),
    tty: boolean.optional(),
    stdin_open: boolean.optional(),
    group_add: z.array(z.union([z.string(), z.number()])).optional(),
    platform: text.optional(),
    pull_policy: z
      .enum(["always", "never", "missing", "build", "if_not_present", "daily", "weekly"], {
        error: "must be always, never, missing or build",
      })
      .optional(),
    scale: integer.optional(),
    deploy: attributes("deploy", { replicas: integer.optional() }, NOT_RUN_YET.deploy).optional(),
    profiles: stringList.optional(),
    secrets: z.array(secretGrant, { error: "must be a list of secrets" }).optional(),
  },
  NOT_RUN_YET.service,
);

const networkSchema = attributes(
  "a network",
  {
    name: text.optional(),
    external: external.optional(),
    driver: text.optional(),
    driver_opts: z.record(z.string(), scalar).optional(),
    labels: listOrDict.optional(),
    internal: boolean.optional(),
    attachable: boolean.optional(),
    enable_ipv6: boolean.optional(),
    enable_ipv4: boolean.optional(),
  },
  NOT_RUN_YET.network,
).nullable();

const volumeSchema = attributes("a volume", {
  name: text.optional(),
  external: external.optional(),
  driver: text.optional(),
  driver_opts: z.record(z.string(), scalar).optional(),
  labels: listOrDict.optional(),
}).nullable();

/** Top-level `secrets.<key>`; the rules between its fields are checked in validate-secrets.ts. */
const secretSchema = attributes("a secret", {
  file: text.optional(),
  environment: text.optional(),
  external: external.optional(),
  name: text.optional(),
  labels: listOrDict.optional(),
  driver: text.optional(),
  driver_opts: z.record(z.string(), scalar).optional(),
  template_driver: text.optional(),
  // Not a secret attribute (configs have it); let it through so finalize.ts can say what to use.
  content: z.unknown().optional(),
});

const mappingOf = <T extends z.ZodType>(what: string, item: T) =>
  z.record(z.string(), item, { error: `must be a mapping of ${what} by name` });

export const composeFileSchema = attributes(
  "the compose file",
  {
    version: z.union([z.string(), z.number()]).optional(),
    name: text.optional(),
    services: mappingOf("services", serviceSchema).nullable().optional(),
    networks: mappingOf("networks", networkSchema).nullable().optional(),
    volumes: mappingOf("volumes", volumeSchema).nullable().optional(),
    secrets: z
      .record(z.string(), secretSchema, {
        error: "must be a mapping of secret names to definitions",
      })
      .nullable()
      .optional(),
  },
  NOT_RUN_YET.top,
);

export type ComposeFile = z.infer<typeof composeFileSchema>;
export type RawService = z.infer<typeof serviceSchema>;
export type RawSecretGrant = z.infer<typeof secretGrant>;
export type RawSecret = z.infer<typeof secretSchema>;
