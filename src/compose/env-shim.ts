// The env-var shim at the engine's edge: read each wrapped service's image command, check that the
// image has the shell the wrapper needs, and hand `up` the project with those services wrapped.
// Nothing is left on the engine: the check uses a container that is created, never started, and
// removed at once, under a label of its own (SHIM_PROBE_LABEL: `down` and the next `up` remove one
// left behind when composec is killed in between).
import { randomBytes } from "node:crypto";
import { ProjectError, type Problem } from "../errors.js";
import type { Engine, PathStat } from "../engine/client.js";
import { ENV_SECRETS_EXTENSION } from "../loader/env-secrets.js";
import { SHIM_PROBE_LABEL, imageName } from "../model/names.js";
import type { Project, Service } from "../model/project.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { ShimError, SHIM_SHELL, shimmedService } from "../plan/env-shim.js";

export interface EnvShimOptions {
  /** Plan only: a service whose image is not there yet is left as it is. */
  dryRun?: boolean;
}

/** `project` with every selected service that has `x-composec-env-secrets` run through the wrapper. */
export async function applyEnvShims(
  project: Project,
  engine: Engine,
  selected: Set<string>,
  options: EnvShimOptions = {},
): Promise<Project> {
  const wrapped = [...selected].filter((name) => project.services[name]?.envSecrets);
  if (wrapped.length === 0) return project;
  const services = { ...project.services };
  const problems: Problem[] = [];
  const shells = new Map<string, Promise<string | undefined>>();
  for (const name of wrapped) {
    const outcome = await wrap(project, engine, services[name] as Service, shells, options);
    if ("problem" in outcome) problems.push(outcome.problem);
    else services[name] = outcome.service;
  }
  if (problems.length > 0) throw new ProjectError(problems);
  return { ...project, services };
}

/** `service` (a one-off's, with its overrides) run through the wrapper when it has env secrets. */
export async function applyEnvShim(project: Project, engine: Engine, service: Service): Promise<Service> {
  if (!service.envSecrets) return service;
  const outcome = await wrap(project, engine, service, new Map());
  if ("problem" in outcome) throw new ProjectError([outcome.problem]);
  return outcome.service;
}

async function wrap(
  project: Project,
  engine: Engine,
  service: Service,
  shells: Map<string, Promise<string | undefined>>,
  options: EnvShimOptions = {},
): Promise<{ service: Service } | { problem: Problem }> {
  const name = service.name;
  const reference = imageName(project.name, service);
  const image = await engine.inspectImage(reference);
  if (!image) {
    if (options.dryRun) return { service };
    return {
      problem: { path: `services.${name}.image`, message: `image ${reference} is not on the engine` },
    };
  }
  let shell = shells.get(image.Id);
  if (!shell) shells.set(image.Id, (shell = shellProblem(engine, project.name, image.Id)));
  const problem = await shell;
  if (problem) {
    return {
      problem: {
        path: `services.${name}.${ENV_SECRETS_EXTENSION}`,
        message: `image ${reference} ${problem}; the wrapper that sets these variables needs a POSIX shell at ${SHIM_SHELL}. Use an image with one, or have the application read the files under /run/secrets`,
      },
    };
  }
  try {
    return {
      service: shimmedService(service, {
        entrypoint: image.Config?.Entrypoint as string[] | null | undefined,
        cmd: image.Config?.Cmd as string[] | null | undefined,
      }),
    };
  } catch (error) {
    if (!(error instanceof ShimError)) throw error;
    return { problem: { path: `services.${name}.${ENV_SECRETS_EXTENSION}`, message: error.message } };
  }
}

/**
 * Refuses values no environment variable can carry: a NUL byte would end the variable early (the
 * shell drops it), so the application would see a different secret than the file holds.
 */
export function checkEnvSecretValues(
  project: Project,
  selected: Set<string>,
  values: Map<string, SecretValue>,
): void {
  const problems: Problem[] = [];
  for (const name of selected) {
    const service = project.services[name];
    for (const [variable, target] of Object.entries(service?.envSecrets ?? {})) {
      const grant = service!.secrets.find((entry) => entry.target === target);
      const value = grant && values.get(grant.source);
      if (value && value.bytes().includes(0)) {
        problems.push({
          path: `services.${name}.${ENV_SECRETS_EXTENSION}.${variable}`,
          message: `secret "${grant.source}" holds a NUL byte, which an environment variable cannot; read it from ${target} instead`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ProjectError(problems);
}

/** Why `image` cannot run the wrapper, or undefined when it has an executable at SHIM_SHELL. */
async function shellProblem(engine: Engine, projectName: string, image: string): Promise<string | undefined> {
  const name = `${projectName}-shim-probe-${randomBytes(4).toString("hex")}`;
  const id = await engine.createContainer({
    name,
    Image: image,
    // Never started: the entrypoint only has to be something the engine accepts.
    Entrypoint: [SHIM_SHELL],
    Cmd: [],
    Labels: { [SHIM_PROBE_LABEL]: projectName },
    NetworkDisabled: true,
  });
  const container = { id, name };
  try {
    let path = SHIM_SHELL;
    // /bin/sh is often a link (to dash, to busybox, through a merged /usr); follow a few.
    for (let hops = 0; hops < 8; hops++) {
      const stat: PathStat | undefined = await engine.statPath(container, path);
      if (!stat)
        return hops === 0
          ? `has no ${SHIM_SHELL}`
          : `has ${SHIM_SHELL} linking to ${path}, which does not exist`;
      if ((stat.mode & 0x08000000) !== 0 && stat.linkTarget) {
        path = stat.linkTarget.startsWith("/")
          ? stat.linkTarget
          : `${path.replace(/[^/]*$/, "")}${stat.linkTarget}`;
        continue;
      }
      if ((stat.mode & 0x80000000) !== 0) return `has a directory at ${path}`;
      if ((stat.mode & 0o111) === 0) return `has ${path}, which is not executable`;
      return undefined;
    }
    return `has ${SHIM_SHELL} behind too many links`;
  } finally {
    // With its anonymous volumes: an image that declares VOLUME gives even a never-started container some.
    await engine.removeContainer(container, { force: true, volumes: true });
  }
}
