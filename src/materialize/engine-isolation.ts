// The engine-side secrets volumes are directories on the engine's host like any other volume:
// `<DockerRootDir>/volumes/composec-secrets.<project>`. A service that binds one of them (or a
// directory holding them, or one inside them) reads a project's secrets and its digest key, so such
// a bind is refused before anything is made, whichever path delivers this project's secrets.
import type { Engine } from "../engine/client.js";
import { ProjectError, type Problem } from "../errors.js";
import { hostSource } from "../loader/check-host-mounts.js";
import type { Project, VolumeMount } from "../model/project.js";
import { bindReachesSecretsVolume, describeSecretsVolumeReach } from "./isolation.js";

/** Each bind of the services in `services` (and `extra` mounts, as `run -v` gives them) that reaches a secrets volume's directory. Pure. */
export function secretsVolumeBindProblems(
  project: Project,
  services: Iterable<string>,
  dockerRootDir: string,
  extra: { service: string; mounts: VolumeMount[] } | undefined = undefined,
): Problem[] {
  const problems: Problem[] = [];
  const check = (service: string, mount: VolumeMount, path: string, what: (bound: string) => string) => {
    const bound = hostSource(mount, project);
    if (!bound) return;
    const found = bindReachesSecretsVolume(bound.path, dockerRootDir);
    if (found)
      problems.push({
        path,
        message: `${what(bound.what)}: ${describeSecretsVolumeReach(bound.path, found)}`,
      });
  };
  for (const name of services) {
    project.services[name]?.volumes.forEach((mount, index) =>
      check(name, mount, `services.${name}.volumes[${index}]`, (bound) => `service "${name}", ${bound}`),
    );
  }
  for (const mount of extra?.mounts ?? []) {
    check(extra!.service, mount, "run --volume", (bound) => `service "${extra!.service}", --volume ${bound}`);
  }
  return problems;
}

/**
 * Refuses binds of `services` that reach an engine-side secrets volume (a ProjectError, exit 1).
 * Asks the engine for its DockerRootDir (GET /info) only when one of them binds a host path.
 */
export async function checkSecretsVolumeBinds(
  engine: Pick<Engine, "dockerRootDir">,
  project: Project,
  services: Iterable<string>,
  extra?: { service: string; mounts: VolumeMount[] },
): Promise<void> {
  const names = [...services];
  const binds =
    names.some((name) => project.services[name]?.volumes.some((mount) => hostSource(mount, project))) ||
    (extra?.mounts ?? []).some((mount) => hostSource(mount, project));
  if (!binds) return;
  const root = await engine.dockerRootDir();
  if (root === undefined) return;
  const problems = secretsVolumeBindProblems(project, names, root, extra);
  if (problems.length > 0) throw new ProjectError(problems);
}
