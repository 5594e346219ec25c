// `run` as a library function: a one-off container of a service (`<project>-<service>-run-<slug>`,
// labelled oneoff=True), with the service's settings and the caller's overrides, after the
// service's dependencies are up; attached to the caller's streams unless detached; its exit code
// returned. Nothing of the service's own containers is touched.
import { checkSecretsVolumeBinds } from "../materialize/engine-isolation.js";
import type { Readable, Writable } from "node:stream";
import { EngineError, ProjectError, type Problem } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { checkApiVersion, usesVersionedFields } from "../engine/api-version.js";
import { containerSpec } from "../engine/container-spec.js";
import { execute } from "../engine/execute.js";
import { observe } from "../engine/observe.js";
import type { ProgressListener } from "../engine/progress.js";
import { waitCompleted, waitHealthy } from "../engine/wait.js";
import { configHash } from "../model/config-hash.js";
import { LABEL, oneoffContainerName, imageName } from "../model/names.js";
import type { Project, Service, VolumeMount } from "../model/project.js";
import type { SecretMount } from "../materialize/store.js";
import { hostPaths, hostSource } from "../loader/check-host-mounts.js";
import {
  bindReachesMaterial,
  describeMaterialReach,
  ISOLATION_DOES_NOT_HOLD,
  resolveHostPath,
} from "../materialize/isolation.js";
import { selectServices } from "../plan/graph.js";
import { keepNodes } from "../plan/subset.js";
import { planUp } from "../plan/up-plan.js";
import type { ExternalSecretSource } from "../secrets/resolve.js";
import type { PullFlag } from "../plan/pull-plan.js";
import { projectContainers } from "./containers.js";
import { applyEnvShim } from "./env-shim.js";
import { ensureImages } from "./pull.js";
import { prepareMaterial, secretsDelivery } from "./secrets.js";
import type { MaterialExecutor } from "../materialize/execute-material.js";
import { oneoffDelivery, planSecrets } from "../plan/secrets-plan.js";
import type { DeliveryOverride } from "../plan/secrets-delivery.js";
import { up } from "./up.js";

export interface RunOptions {
  service: string;
  /** Replaces the service's command. */
  command?: string[];
  /** Replaces the service's entrypoint. */
  entrypoint?: string[];
  /** `KEY=VALUE` entries over the service's environment. */
  env?: string[];
  user?: string;
  workingDir?: string;
  /** Allocate a pseudo-terminal. */
  tty: boolean;
  /** Keep stdin open and attach it (Compose's `-i`, on by default). */
  interactive: boolean;
  /** Start it and return its name at once. */
  detach?: boolean;
  /** Remove the container once it exits (`--rm`). */
  remove?: boolean;
  /** Don't start the services it depends on. */
  noDeps?: boolean;
  /** Publish the service's ports (off by default, as in Compose: they would clash with the service's). */
  servicePorts?: boolean;
  /** Random hex for the name (injected so names are testable). */
  slug: string;
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Called once the container is attached, to let a terminal caller pass on its size. */
  onStarted?: (resize: (size: { rows: number; columns: number }) => Promise<void>) => void;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
  /** Aborting (Ctrl-C) stops the container; `run` then resolves with its exit code as usual. */
  signal?: AbortSignal;
  /** Called when the preparations (dependencies, networks) are done, before the container starts. */
  onPrepared?: () => void;
  variables?: Record<string, string>;
  external?: ExternalSecretSource;
  /** `--pull`: pull the service's image by this policy instead of its pull_policy. */
  pull?: PullFlag;
  /** `-v`: mounts added to the service's, replacing any at the same target. */
  volumes?: VolumeMount[];
  /** Forces the secrets' delivery path (`--secrets-delivery`). */
  secretsDelivery?: DeliveryOverride;
}

export interface RunResult {
  name: string;
  /** The command's exit code (0 when detached). */
  exitCode: number;
}

/** Runs a one-off container of `options.service`; resolves when it exits (or at once, detached). */
export async function run(project: Project, engine: Engine, options: RunOptions): Promise<RunResult> {
  selectServices(project, [options.service]);
  const service = project.services[options.service] as Service;
  // As `up`: a field the engine's API is too old for is refused before anything is made.
  if (usesVersionedFields(project, [service.name]))
    checkApiVersion(project, [service.name], (await engine.version()).apiVersion);
  checkExtraVolumes(project, service.name, options);
  await checkSecretsVolumeBinds(engine, project, [service.name], {
    service: service.name,
    mounts: options.volumes ?? [],
  });
  // The one-off's own image first: a failed pull must leave nothing made, dependencies included.
  await ensureImages(project, engine, [service.name], {
    ...(options.pull === undefined ? {} : { pull: options.pull }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  // With x-composec-env-secrets the one-off runs through the wrapper too; checked before anything is made.
  const oneoff = await applyEnvShim(project, engine, oneoffService(service, options));
  const dependencies = Object.keys(service.dependsOn).filter((name) => project.services[name] !== undefined);
  if (!options.noDeps && dependencies.length > 0) {
    await up(project, engine, {
      services: dependencies,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
      ...(options.variables === undefined ? {} : { variables: options.variables }),
      ...(options.external === undefined ? {} : { external: options.external }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.secretsDelivery === undefined ? {} : { secretsDelivery: options.secretsDelivery }),
    });
    await waitForDependencies(project, engine, service);
  }

  // The service's secrets are read before its networks and volumes are made.
  const material = await prepareMaterial(project, new Set([service.name]), {
    variables: options.variables ?? {},
    ...(options.external === undefined ? {} : { external: options.external }),
    delivery: await secretsDelivery(engine, project, options.secretsDelivery),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
  let id: string;
  const name = oneoffContainerName(project.name, service.name, options.slug);
  try {
    const { imageId, mounts } = await prepareInfrastructure(
      project,
      engine,
      service,
      material,
      options.onProgress,
    );
    const spec = containerSpec({
      project,
      service: oneoff,
      number: 1,
      name,
      createAs: name,
      configHash: configHash(project, service),
      imageId,
      secretMounts: mounts,
    });
    const labels = spec.create.Labels as Record<string, string>;
    labels[LABEL.oneoff] = "True";
    labels[LABEL.slug] = options.slug;
    delete labels[LABEL.containerNumber];
    // A one-off container is not the service: it answers to its own name only (Compose's default).
    for (const endpoint of Object.values(spec.create.NetworkingConfig?.EndpointsConfig ?? {}))
      endpoint.Aliases = [name];
    for (const extra of spec.connect) extra.endpoint.Aliases = [name];
    const attachStdin = options.interactive && !options.detach && options.stdin !== undefined;
    Object.assign(spec.create, {
      OpenStdin: options.interactive,
      StdinOnce: attachStdin,
      AttachStdin: attachStdin,
      Tty: options.tty,
    });
    id = await engine.createContainer(spec.create);
    for (const extra of spec.connect)
      await engine.connectNetwork(extra.network, { id, name }, extra.endpoint);
  } finally {
    material.wipe();
  }
  const container = { id, name };
  options.onPrepared?.();

  if (options.detach) {
    await engine.startContainer(container);
    return { name, exitCode: 0 };
  }
  try {
    return { name, exitCode: await attachAndRun(engine, container, options) };
  } finally {
    if (options.remove) await engine.removeContainer(container, { force: true, volumes: true });
  }
}

/**
 * `-v` mounts get the loader's check of the service's own (check-host-mounts.ts): none may reach
 * composec's material; the Docker socket is warned of. Before anything is made.
 */
function checkExtraVolumes(project: Project, service: string, options: RunOptions): void {
  if (!options.volumes?.length) return;
  const host = hostPaths(process.env);
  const problems: Problem[] = [];
  for (const mount of options.volumes) {
    const bound = hostSource(mount, project);
    if (!bound) continue;
    const found = bindReachesMaterial(bound.path, host.roots);
    const what = `service "${service}", --volume ${bound.what}`;
    if (found)
      problems.push({
        path: "run --volume",
        message: `${what}: ${describeMaterialReach(bound.path, found)}`,
      });
    else if (host.sockets.includes(resolveHostPath(bound.path))) {
      options.onWarning?.(
        `${what}: "${bound.path}" is the Docker socket, which controls every container: ${ISOLATION_DOES_NOT_HOLD}`,
      );
    }
  }
  if (problems.length > 0) throw new ProjectError(problems);
}

/** The service as the one-off container runs it: the caller's overrides, no restart policy, no name. */
function oneoffService(service: Service, options: RunOptions): Service {
  const environment = { ...service.environment };
  for (const entry of options.env ?? []) {
    const at = entry.indexOf("=");
    environment[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const copy: Service = {
    ...service,
    environment,
    tty: options.tty,
    stdinOpen: options.interactive,
    ports: options.servicePorts ? service.ports : [],
  };
  if (options.volumes?.length) {
    const targets = new Set(options.volumes.map((mount) => mount.target));
    copy.volumes = [...service.volumes.filter((mount) => !targets.has(mount.target)), ...options.volumes];
  }
  delete copy.restart;
  delete copy.containerName;
  if (options.command !== undefined) copy.command = options.command;
  if (options.entrypoint !== undefined) copy.entrypoint = options.entrypoint;
  if (options.user !== undefined) copy.user = options.user;
  if (options.workingDir !== undefined) copy.workingDir = options.workingDir;
  return copy;
}

/**
 * Creates what the service's containers attach to (networks, volumes) and delivers its secrets, as
 * one plan; returns its image id and the mounts of its material.
 */
async function prepareInfrastructure(
  project: Project,
  engine: Engine,
  service: Service,
  material: MaterialExecutor,
  onProgress: ProgressListener | undefined,
): Promise<{ imageId: string; mounts: SecretMount[] }> {
  const state = await observe(engine, project.name, { project, services: [service.name], material });
  // A service with `build:` runs the image built for it (its `image:`, or <project>-<service>).
  const image = imageName(project.name, service);
  const imageId = state.images[image] ?? null;
  if (imageId === null) {
    throw new EngineError(
      service.build !== undefined
        ? `service "${service.name}": image "${image}" has not been built; run \`composec build ${service.name}\` or \`composec up\` first`
        : `service "${service.name}": image "${image}" is not present on the engine; pull or build it first (\`composec pull\`, \`composec build\`)`,
    );
  }
  // noRecreate: a one-off joins a network whose settings changed as it is; only `up` recreates one
  // (it would take the service's containers down with it).
  const plan = planUp(project, state, { services: [service.name], noDeps: true, noRecreate: true });
  const infrastructure = (type: string): boolean => type === "CreateNetwork" || type === "CreateVolume";
  const errors = plan.errors.filter((error) => !error.includes("is not present on the engine"));
  if (errors.length > 0) throw new EngineError(errors.join("\n"));
  const nodes = keepNodes(plan.nodes, (node) => infrastructure(node.operation.type));
  // The one-off mounts the service's material: delivered as `up` would, other services' left alone.
  const secrets = planSecrets({
    project,
    selected: [service.name],
    fresh: material.fresh(),
    observed: state.material,
  });
  const deliver = oneoffDelivery(secrets, service.name);
  if (deliver !== undefined) {
    nodes.push({
      id: nodes.length + 1,
      resource: `service:${service.name}`,
      operation: deliver,
      cause: deliver.reasons.join("; "),
      dependsOn: [],
    });
  }
  if (nodes.length > 0) {
    await execute({ ...plan, nodes }, engine, {
      project,
      material,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
  }
  const mounts = secrets.services[service.name]?.mounts;
  return { imageId, mounts: mounts === undefined ? [] : material.mounts(service.name, mounts) };
}

/** Waits for the conditions the service's `depends_on` names (healthy, completed). */
async function waitForDependencies(project: Project, engine: Engine, service: Service): Promise<void> {
  for (const [dependency, spec] of Object.entries(service.dependsOn)) {
    if (spec.condition === "service_started" || project.services[dependency] === undefined) continue;
    const containers = await projectContainers(project.name, engine, { services: [dependency] });
    await Promise.all(
      containers.map((container) =>
        spec.condition === "service_healthy"
          ? waitHealthy(engine, container)
          : waitCompleted(engine, container, dependency),
      ),
    );
  }
}

/** Attaches (before the start, so no output is missed), starts, pipes, waits; the exit code. */
async function attachAndRun(
  engine: Engine,
  container: { id: string; name: string },
  options: RunOptions,
): Promise<number> {
  const stdin = options.interactive ? options.stdin : undefined;
  const connection = await engine.attachContainer(container, { stdin: stdin !== undefined });
  const ended = new Promise<void>((resolve) => {
    connection.on("end", resolve);
    connection.on("close", resolve);
    connection.on("error", resolve);
  });
  if (options.tty) connection.pipe(options.stdout, { end: false });
  else engine.demuxLogs(connection, options.stdout, options.stderr);
  await engine.startContainer(container);
  options.onStarted?.((size) => engine.resizeContainer(container, size));
  // The end of our input half-closes the connection: the command sees EOF, its output goes on.
  if (stdin !== undefined) stdin.pipe(connection);
  // Without a TTY, Ctrl-C reaches us, not the command: stop the container (SIGTERM, then SIGKILL).
  const stop = (): void => void engine.stopContainer(container).catch(() => undefined);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    // "not-running" also answers at once for a container that already exited.
    const code = await engine.waitContainer(container);
    await ended;
    return code;
  } finally {
    options.signal?.removeEventListener("abort", stop);
    stdin?.unpipe(connection);
  }
}
