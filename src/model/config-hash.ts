// The config hash decides recreation: a container whose `com.docker.compose.config-hash` label
// differs from the service's current hash is replaced. It must therefore cover everything that
// shapes the container, and nothing that does not (as in Compose: not the build section, the pull
// policy, the replica count, `depends_on`, profiles or `attach`, which change no container).
//
// Secrets: the hash covers the service's secret *references* (source, target, uid, gid, mode), which
// are part of the Service; never their bytes (CLARIFICATIONS.md 10: content changes are detected by
// digests kept on the tmpfs). Nothing here can see a secret value: the Project holds none. Config
// grants are hashed the same way, and only when a service has some: a container made before configs
// ran keeps its hash.
import { createHash } from "node:crypto";
import type { Network, Project, Service } from "./project.js";

/** Bumped when the hashed input changes shape, so old containers are recreated once, not forever. */
const HASH_SCHEME = 1;

/** sha256 (hex) of the canonical JSON of what shapes the service's containers. */
export function configHash(project: Pick<Project, "networks" | "volumes">, service: Service): string {
  const {
    build: _build,
    pullPolicy: _pull,
    replicas: _replicas,
    dependsOn: _deps,
    profiles: _profiles,
    configs,
    // Whose output an attached `up` shows changes nothing in the container.
    attach: _attach,
    // Watch rules (not run by composec) do not shape the container either.
    develop: _develop,
    ...rest
  } = service;
  // Engine names of the networks and volumes the service uses: renaming one (`name:`) must
  // recreate the container even though the service's own text did not change.
  const networks: Record<string, string | undefined> = {};
  for (const key of Object.keys(service.networks)) networks[key] = project.networks[key]?.name;
  const volumes: Record<string, string | undefined> = {};
  for (const mount of service.volumes) {
    if (mount.type === "volume" && mount.source !== undefined) {
      volumes[mount.source] = project.volumes[mount.source]?.name;
    }
  }
  const input = {
    scheme: HASH_SCHEME,
    service: configs.length > 0 ? { ...rest, configs } : rest,
    networks,
    volumes,
  };
  return createHash("sha256").update(canonicalJson(input)).digest("hex");
}

/**
 * sha256 (hex) of the canonical JSON of a network's resolved configuration, as its
 * `com.docker.compose.config-hash` label records it: a different value on `up` means the network
 * was made from other settings and is recreated. `external` is left out: an external network is
 * never made nor labelled by us.
 */
export function networkConfigHash(network: Network): string {
  const { external: _external, ...config } = network;
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}

/**
 * Whether `up` must recreate an existing network: one made for this project whose recorded config
 * hash differs from the files'. A network without the label (made before composec set it) has no
 * known config and is left as it is, as Compose does; an external one is never ours to change.
 */
export function networkSettingsChanged(
  network: Network,
  observed: { project?: string; configHash?: string },
  projectName: string,
): boolean {
  return (
    !network.external &&
    observed.project === projectName &&
    observed.configHash !== undefined &&
    observed.configHash !== networkConfigHash(network)
  );
}

/**
 * JSON with object keys sorted at every depth and `undefined` members dropped, so equal values
 * always give equal text whatever order the loader built them in. Array order is kept: it means
 * something (command arguments, volume order).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}
