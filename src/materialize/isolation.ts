// Services are kept apart by what each container can see: its own material directory and nothing
// else. A bind mount of the material root (or of a directory holding it, or of one inside it)
// undoes that for every project on the host, and a container that can reach the engine or other
// containers' processes is not kept apart at all. These are the checks, on host paths with their
// symbolic links resolved the way the engine will resolve them when it makes the mount.
import { readlinkSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";

/** How a bind's source stands to the material root: the root itself, above it, or below it. */
export type Reach = "is" | "contains" | "inside";

/** What a bind reaches: the root and how, with the source as the engine will see it. */
export interface MaterialReach {
  root: string;
  reach: Reach;
  /** The source with its symbolic links resolved. */
  real: string;
}

/** Where the Docker Engine listens by default (`/var/run` is a link to `/run` on Debian). */
const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];
/** Symbolic links followed in one path before giving up on a loop (Linux's own limit). */
const MAX_LINKS = 40;

/** How `source` stands to `root`; both absolute, normalised, links resolved. Undefined: apart. */
export function reachOf(source: string, root: string): Reach | undefined {
  if (source === root) return "is";
  if (root.startsWith(source === "/" ? "/" : `${source}/`)) return "contains";
  if (source.startsWith(root === "/" ? "/" : `${root}/`)) return "inside";
  return undefined;
}

/**
 * `path` with every symbolic link in it resolved, as far as it exists; the missing rest is kept as
 * written. A link to a directory not yet made (`/tmp/l -> /run/composec/p`) still resolves to where
 * it points, so a bind made before the material exists is judged by where it will lead. `..` as
 * written is cleaned first, as the loader and the engine clean a bind's source.
 */
export function resolveHostPath(path: string): string {
  let pending = resolve(path).split("/").filter(Boolean);
  let resolved = "/";
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved = dirname(resolved);
      continue;
    }
    const next = join(resolved, part);
    let target: string;
    try {
      target = readlinkSync(next);
    } catch {
      // Not a link (EINVAL) or not there (ENOENT, ENOTDIR): the path goes on as written.
      resolved = next;
      continue;
    }
    // A loop: the engine fails such a mount itself.
    if (++links > MAX_LINKS) return join(next, ...pending);
    if (target.startsWith("/")) resolved = "/";
    pending = [...target.split("/").filter((segment) => segment !== "" && segment !== "."), ...pending];
  }
  return resolved;
}

/** The first material root (of `roots`, already resolved) that a bind of host `source` reaches. */
export function bindReachesMaterial(source: string, roots: string[]): MaterialReach | undefined {
  const real = resolveHostPath(source);
  for (const root of roots) {
    const reach = reachOf(real, root);
    if (reach) return { root, reach, real };
  }
  return undefined;
}

/** Why a bind of host `source` is refused, for an error message that has named the mount. */
export function describeMaterialReach(source: string, found: MaterialReach): string {
  const via = found.real === resolve(source) ? "" : ` (a symbolic link to ${found.real})`;
  const relation = { is: "is", contains: "contains", inside: "lies inside" }[found.reach];
  return (
    `"${source}"${via} ${relation} composec's secret material root ${found.root}; a container that ` +
    `mounts it can read every project's secrets and digest keys (each service already gets its own ` +
    `at /run/secrets): mount another directory`
  );
}

/** The Docker sockets a bind could expose, resolved: the defaults and `DOCKER_HOST`'s, if a socket. */
export function dockerSockets(env: Record<string, string | undefined> = process.env): string[] {
  const sockets = [...DOCKER_SOCKETS];
  const host = env["DOCKER_HOST"];
  if (host?.startsWith("unix://")) sockets.push(host.slice("unix://".length));
  return [...new Set(sockets.map(resolveHostPath))];
}

/** Said of a service that can reach other containers whatever its own mounts are. */
export const ISOLATION_DOES_NOT_HOLD =
  "per-service secret isolation does not hold for it (it can read the secrets of every other container on this host)";

/** The prefix of every engine-side secrets volume's name (src/model/names.ts secretsVolumeName). */
const SECRETS_VOLUME_PREFIX = "composec-secrets.";

/**
 * How a bind of `source` (a path on the engine's host) stands to the engine-side secrets volumes:
 * their directories are `<DockerRootDir>/volumes/composec-secrets.<project>`, any project's. Paths
 * are compared as written, normalised (the engine's host may not be this one). Undefined: apart.
 */
export function bindReachesSecretsVolume(
  source: string,
  dockerRootDir: string,
): { volumeDir: string; reach: Reach } | undefined {
  const volumes = posix.join(posix.resolve("/", dockerRootDir), "volumes");
  const real = posix.resolve("/", source);
  // Above the volumes directory (or it): holds every project's secrets volume.
  if (reachOf(real, volumes) === "contains" || real === volumes) {
    return { volumeDir: posix.join(volumes, `${SECRETS_VOLUME_PREFIX}*`), reach: "contains" };
  }
  if (reachOf(real, volumes) !== "inside") return undefined;
  const name = real.slice(volumes.length + 1).split("/")[0]!;
  if (!name.startsWith(SECRETS_VOLUME_PREFIX)) return undefined;
  const volumeDir = posix.join(volumes, name);
  return { volumeDir, reach: real === volumeDir ? "is" : "inside" };
}

/** Why a bind of engine-host `source` is refused, for an error message that has named the mount. */
export function describeSecretsVolumeReach(
  source: string,
  found: { volumeDir: string; reach: Reach },
): string {
  const relation = { is: "is", contains: "contains", inside: "lies inside" }[found.reach];
  return (
    `"${source}" ${relation} ${found.reach === "contains" ? "the directories of" : "the directory of"} composec's engine-side secrets volume${found.reach === "contains" ? "s" : ""} ${found.volumeDir} on the engine's host; ` +
    `a container that mounts it can read a project's secrets and digest key (each service already gets its own at /run/secrets): mount another directory`
  );
}

/** Whether a volume name is that of an engine-side secrets volume (any project's). */
export function isSecretsVolumeName(name: string): boolean {
  return name.startsWith(SECRETS_VOLUME_PREFIX);
}
