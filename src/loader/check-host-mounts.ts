// Stage 8: no service may mount composec's own secret material, and a service that can reach other
// containers anyway is told that per-service isolation does not hold for it. Host paths are only
// resolved (links followed), never read.
import { isAbsolute, resolve } from "node:path";
import type { Project, Service, Volume, VolumeMount } from "../model/project.js";
import {
  bindReachesMaterial,
  describeMaterialReach,
  dockerSockets,
  ISOLATION_DOES_NOT_HOLD,
  isSecretsVolumeName,
  resolveHostPath,
} from "../materialize/isolation.js";
import { materialRoots } from "../materialize/roots.js";
import type { Diagnostics, SourceMap } from "./source-map.js";

/** The host context of the check: where material may live, where the engine listens. */
export interface HostPaths {
  /** Material roots, links resolved. */
  roots: string[];
  /** Docker sockets, links resolved. */
  sockets: string[];
}

/** The material roots and Docker sockets of this host, as `env` describes them. */
export function hostPaths(env: Record<string, string | undefined>): HostPaths {
  return { roots: materialRoots(env).map(resolveHostPath), sockets: dockerSockets(env) };
}

/** Refuses every enabled service's bind that reaches the material; warns where isolation cannot hold. */
export function checkHostMounts(
  project: Project,
  host: HostPaths,
  sources: SourceMap,
  diagnostics: Diagnostics,
): void {
  for (const key in project.volumes) {
    const volume = project.volumes[key]!;
    if (!isSecretsVolumeName(volume.name)) continue;
    diagnostics.error(
      sources.locate(volume),
      sources.pathOf(volume, [], ["volumes", key]),
      `volume "${key}": "${volume.name}" is the name of composec's engine-side secrets volume of project ` +
        `"${volume.name.slice(volume.name.indexOf(".") + 1)}", which holds its secrets and digest key; a service ` +
        `that mounts it reads them (each service already gets its own at /run/secrets): use another volume`,
    );
  }
  for (const name in project.services) {
    const service = project.services[name]!;
    service.volumes.forEach((mount) => {
      const bound = hostSource(mount, project);
      if (!bound) return;
      const found = bindReachesMaterial(bound.path, host.roots);
      if (found) {
        diagnostics.errorIn(
          mount,
          [],
          `service "${name}", ${bound.what}: ${describeMaterialReach(bound.path, found)}`,
        );
      } else if (host.sockets.includes(resolveHostPath(bound.path))) {
        diagnostics.warn(
          sources.locate(mount),
          sources.pathOf(mount, [], ["services", name, "volumes"]),
          `service "${name}", ${bound.what}: "${bound.path}" is the Docker socket, which controls every container: ${ISOLATION_DOES_NOT_HOLD}`,
        );
      }
    });
    warnReach(service, sources, diagnostics);
  }
}

/** The host path a mount binds, with how to name the mount; undefined when it binds none. */
export function hostSource(
  mount: VolumeMount,
  project: Pick<Project, "volumes" | "workingDir">,
): { path: string; what: string } | undefined {
  if (mount.type === "bind") return { path: mount.source, what: `bind mount at ${mount.target}` };
  if (mount.type !== "volume" || mount.source === undefined) return undefined;
  const device = boundDevice(project.volumes[mount.source]);
  if (device === undefined) return undefined;
  return {
    path: isAbsolute(device) ? device : resolve(project.workingDir, device),
    what: `volume "${mount.source}" at ${mount.target} (its driver_opts bind a host path)`,
  };
}

/**
 * The host path a named volume of the local driver binds (`driver_opts: {type: none, o: bind,
 * device: PATH}`): the engine mounts it with MS_BIND, whatever `type` says.
 */
function boundDevice(volume: Volume | undefined): string | undefined {
  if (!volume || volume.external) return undefined;
  if (volume.driver !== undefined && volume.driver !== "local") return undefined;
  const options = (volume.driverOpts["o"] ?? "").split(",").map((option) => option.trim());
  const device = volume.driverOpts["device"];
  if (!device || !options.some((option) => option === "bind" || option === "rbind")) return undefined;
  return device;
}

/** Warns of a service that can reach other containers' files whatever its mounts are. */
function warnReach(service: Service, sources: SourceMap, diagnostics: Diagnostics): void {
  const warn = (field: string, why: string) =>
    diagnostics.warn(
      sources.locate(service, [field]),
      sources.pathOf(service, [field], ["services", service.name, field]),
      `service "${service.name}" ${why}: ${ISOLATION_DOES_NOT_HOLD}`,
    );
  if (service.privileged)
    warn("privileged", "is privileged (it can mount the host's disks and enter any process)");
  if (service.pid === "host" && runsAsRoot(service.user)) {
    warn(
      "pid",
      "shares the host's processes (pid: host) and runs as root, so it can open /proc/<pid>/root of any container",
    );
  }
}

/** Whether `user:` leaves the container running as root (unset: the image's user, usually root). */
function runsAsRoot(user: string | undefined): boolean {
  if (user === undefined || user === "") return true;
  const name = user.split(":")[0];
  return name === "root" || name === "0";
}
