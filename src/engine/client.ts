// The one way composec talks to a Docker Engine: a facade over dockerode with one method per
// Engine operation we use. Every method has the same shape: call, and on failure rethrow an
// EngineError whose message starts with the resource (`container demo-web-1: ...`). One client is
// created by the caller and passed in; nothing here is a module-level singleton.
import { readFileSync } from "node:fs";
import https from "node:https";
import { Readable, type Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type Docker from "dockerode";
import { lazyRequire } from "../lazy-require.js";

import { EngineError } from "../errors.js";
import {
  applyCallTimeouts,
  DEFAULT_HTTP_TIMEOUT_SECONDS,
  engineCallOf,
  httpTimeoutSeconds,
  stopGraceSeconds,
} from "./call-timeout.js";
import { DEFAULT_PARALLEL_LIMIT, parallelLimit } from "./parallel-limit.js";
import { projectFilter } from "../model/names.js";
import type { AuthConfig, RegistryCredentials } from "./registry-auth.js";
import { resolveEngineEndpoint } from "./contexts.js";
import { formatEndpoint, type EngineEndpoint, type ResolvedEndpoint } from "./endpoint.js";
import { SshAgent, SshEndpointError } from "./ssh-agent.js";
import { cancelBuild, openSession, postBuild } from "./build-connection.js";
import type {
  BuildQuery,
  ContainerCreateBody,
  ContainerDetails,
  ContainerListEntry,
  EndpointSettings,
  ImageDetails,
  NetworkCreateBody,
  NetworkDetails,
  VolumeCreateBody,
  VolumeDetails,
} from "./types.js";

// dist/vendor/dockerode.cjs is dockerode without its SSH and gRPC stacks, which composec never
// uses through dockerode (ssh hosts go through our own SshAgent; BuildKit sessions are served by
// src/build/):
// a third of the start-up of every engine command. See scripts/bundle.mjs.
const requireDockerode = lazyRequire<typeof Docker>("dockerode", "../vendor/dockerode.cjs");

/**
 * dockerode, loaded with its transport's debug output (`DEBUG=modem`) turned off: that output
 * prints whole requests, and a pull's `X-Registry-Auth` header carries registry credentials
 * (base64 of the password). The vendored copy's `debug` never prints (scripts/bundle.mjs); for
 * dockerode from node_modules, whose `debug` reads `DEBUG` once, when it loads, the exclusion is
 * added for that moment only.
 */
let dockerode: typeof Docker | undefined;
function loadDockerode(): typeof Docker {
  if (dockerode) return dockerode;
  const debug = process.env["DEBUG"];
  if (debug === undefined || debug === "") return (dockerode = requireDockerode());
  process.env["DEBUG"] = `${debug},-modem`;
  try {
    return (dockerode = requireDockerode());
  } finally {
    process.env["DEBUG"] = debug;
  }
}

export type { EngineEndpoint } from "./endpoint.js";
export type * from "./types.js";
export { DEFAULT_SOCKET, formatEndpoint } from "./endpoint.js";

export interface EngineVersion {
  version: string;
  apiVersion: string;
  /** The engine host's architecture as the engine names it (`x86_64`, `amd64`, `aarch64`, ...). */
  arch: string;
}

export interface LogOptions {
  follow: boolean;
  timestamps?: boolean;
  /** Number of lines from the end, or all. */
  tail?: number | "all";
  /** Unix seconds. */
  since?: number;
}

/** The Engine operations composec performs; `DockerEngine` is the one implementation. */
export interface Engine {
  readonly endpoint: EngineEndpoint;
  /** Plan steps carried out at once (COMPOSE_PARALLEL_LIMIT; execute's default when absent). */
  readonly parallelLimit?: number;
  version(): Promise<EngineVersion>;
  /** Where the engine keeps its data on its own host (`DockerRootDir` of GET /info), when it says. */
  dockerRootDir(): Promise<string | undefined>;
  listProjectContainers(projectName: string, options?: { all?: boolean }): Promise<ContainerListEntry[]>;
  listNetworks(filters?: Record<string, string[]>): Promise<NetworkDetails[]>;
  listVolumes(filters?: Record<string, string[]>): Promise<VolumeDetails[]>;
  /** The image, or `undefined` when the engine does not have it. */
  inspectImage(reference: string): Promise<ImageDetails | undefined>;
  /** The network, or `undefined` when it does not exist. */
  inspectNetwork(name: string): Promise<NetworkDetails | undefined>;
  /** The volume, or `undefined` when it does not exist. */
  inspectVolume(name: string): Promise<VolumeDetails | undefined>;
  createNetwork(options: NetworkCreateBody): Promise<string>;
  removeNetwork(name: string): Promise<void>;
  createVolume(options: VolumeCreateBody): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Creates a container named `options.name`; returns its id. */
  createContainer(options: ContainerCreateBody): Promise<string>;
  connectNetwork(
    network: string,
    container: { id: string; name: string },
    endpoint: EndpointSettings,
  ): Promise<void>;
  startContainer(container: { id: string; name: string }): Promise<void>;
  /** Stops with `timeoutSeconds` of grace before SIGKILL (when absent, the container's own: stop_grace_period or 10 s). */
  stopContainer(container: { id: string; name: string }, timeoutSeconds?: number): Promise<void>;
  removeContainer(
    container: { id: string; name: string },
    options?: { volumes?: boolean; force?: boolean },
  ): Promise<void>;
  renameContainer(container: { id: string; name: string }, newName: string): Promise<void>;
  inspectContainer(container: { id: string; name: string }): Promise<ContainerDetails>;
  /** Waits until the container is not running; returns its exit code. */
  waitContainer(container: { id: string; name: string }): Promise<number>;
  /** Raw log stream (multiplexed unless the container has a TTY: see `demuxLogs`). */
  logs(container: { id: string; name: string }, options: LogOptions): Promise<Readable>;
  /** Splits a multiplexed log stream into stdout and stderr. */
  demuxLogs(stream: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
  /** Every container whose labels match `filters.label` (all projects: `ls`). */
  listContainers(
    filters: Record<string, string[]>,
    options?: { all?: boolean },
  ): Promise<ContainerListEntry[]>;
  /** Sends `signal` (a name such as SIGTERM, or a number) to the container's main process. */
  killContainer(container: { id: string; name: string }, signal: string): Promise<void>;
  /** Restarts with `timeoutSeconds` of grace for the stop (when absent, the container's own). */
  restartContainer(container: { id: string; name: string }, timeoutSeconds?: number): Promise<void>;
  /** The container's processes, as `ps` inside it lists them. */
  topContainer(container: { id: string; name: string }): Promise<ContainerTop>;
  /** Creates an exec instance in a running container; returns its id. */
  createExec(container: { id: string; name: string }, options: ExecCreateOptions): Promise<string>;
  /** Starts an exec and returns its connection (raw when it has a TTY, multiplexed otherwise). */
  startExec(
    container: { id: string; name: string },
    execId: string,
    options: { tty: boolean },
  ): Promise<Duplex>;
  /** Starts an exec without attaching to it (`exec -d`). */
  startExecDetached(
    container: { id: string; name: string },
    execId: string,
    options: { tty: boolean },
  ): Promise<void>;
  /** The exec's exit code, once it has ended (`undefined` while it still runs). */
  execExitCode(container: { id: string; name: string }, execId: string): Promise<number | undefined>;
  resizeExec(execId: string, size: { rows: number; columns: number }): Promise<void>;
  /** Attaches to a container's stdin, stdout and stderr (before it starts, to miss nothing). */
  attachContainer(container: { id: string; name: string }, options: { stdin: boolean }): Promise<Duplex>;
  resizeContainer(
    container: { id: string; name: string },
    size: { rows: number; columns: number },
  ): Promise<void>;
  /** Pulls `reference`; `onStatus` gets the engine's progress messages. Stream errors reject. */
  pullImage(
    reference: string,
    onStatus?: (status: PullStatus) => void,
    options?: PullImageOptions,
  ): Promise<void>;
  /** What is at `path` in the container, or `undefined` when nothing is. */
  statPath(container: { id: string; name: string }, path: string): Promise<PathStat | undefined>;
  /** A tar archive of `path` in the container (a file, or a directory and its contents). */
  getArchive(container: { id: string; name: string }, path: string): Promise<Readable>;
  /**
   * Extracts the tar archive `tar` into the container's existing directory `path`. The entries'
   * owners are kept as the tar headers say unless `copyUIDGID` (then: the container's user).
   */
  putArchive(
    container: { id: string; name: string },
    path: string,
    tar: Readable,
    options?: PutArchiveOptions,
  ): Promise<void>;
  /**
   * Builds the image `options.tag` from the tar `context` with the classic builder (no BuildKit
   * session: for small internal images such as the secrets holder's). Never pulls.
   */
  buildImage(context: Readable, options: { tag: string; dockerfile?: string }): Promise<void>;
  /**
   * `POST /session` upgraded to h2c: the connection on which a BuildKit build's session (build
   * secrets) is served (src/build/session.ts).
   */
  openBuildSession(headers: Record<string, string | string[]>): Promise<Duplex>;
  /** `POST /build` (BuildKit) with the context tar as the body; resolves to the JSON message stream. */
  postBuild(context: Readable, query: BuildQuery, signal?: AbortSignal): Promise<Readable>;
  /** `POST /build/cancel`: stops a running BuildKit build. */
  cancelBuild(buildId: string): Promise<void>;
  /**
   * One JSON call of the Engine API that has no method of its own (the Swarm's: src/swarm/); a
   * 404 resolves to `undefined` when `notFound`.
   */
  request<T>(
    resource: string,
    method: "GET" | "POST" | "DELETE",
    path: string,
    options?: EngineRequestOptions,
  ): Promise<T>;
  /**
   * The project's container events with these actions (`start`, `die`, ...), from now on, in the
   * engine's order. The engine is listening once this resolves: nothing that happens later is missed.
   */
  containerEvents(projectName: string, actions: string[]): Promise<EventSubscription>;
}

export interface EngineRequestOptions {
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** A 404 means "nothing there" (resolves to undefined), not a failure. */
  notFound?: boolean;
}

/** One container event of the engine (`GET /events`). */
export interface ContainerEvent {
  /** `create`, `start`, `die`, `destroy`, ... */
  action: string;
  id: string;
  /** When it happened, by the engine's clock: Unix seconds, with fractions. */
  time: number;
  /** The container's labels, its `name`, and per action more (`exitCode` for `die`). */
  attributes: Record<string, string>;
}

/** Events as they come; the iteration ends after `close()` or when the engine ends the stream. */
export interface EventSubscription extends AsyncIterable<ContainerEvent> {
  close(): void;
}

export interface ContainerTop {
  Titles: string[];
  Processes: string[][];
}

export interface ExecCreateOptions {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  env?: string[];
  user?: string;
  workingDir?: string;
  privileged?: boolean;
}

export interface PullImageOptions {
  /** `os[/arch[/variant]]`: the engine picks that platform's image from a multi-platform one. */
  platform?: string;
  credentials?: RegistryCredentials;
}

export interface PullStatus {
  id?: string;
  status?: string;
  progress?: string;
}

/** Query options of `PUT /containers/{id}/archive`. */
export interface PutArchiveOptions {
  /** Own the extracted entries by the container's user instead of the tar headers' uid/gid. */
  copyUIDGID?: boolean;
  /** Fail rather than replace a directory with a non-directory or the reverse. */
  noOverwriteDirNonDir?: boolean;
}

/** The engine's stat of a path in a container (`X-Docker-Container-Path-Stat`). */
export interface PathStat {
  name: string;
  size: number;
  /** Modification time as the engine prints it (RFC 3339, with nanoseconds). */
  mtime?: string;
  /** Go's os.FileMode bits: 1 << 31 is a directory, 1 << 27 a symbolic link. */
  mode: number;
  linkTarget: string;
}

/** Whether a PathStat's mode says directory (Go's os.ModeDir). */
export function isDirectoryMode(mode: number): boolean {
  return (mode & 0x80000000) !== 0;
}

/** The engine the flags, DOCKER_HOST / DOCKER_CONTEXT and the docker CLI's contexts point at. */
export function resolveEngine(
  options: { host?: string; context?: string; env?: Record<string, string | undefined> } = {},
): ResolvedEndpoint {
  const flags = {
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
  };
  return resolveEngineEndpoint(flags, options.env ?? process.env);
}

/** Creates the engine client for `-H/--host`, `--context` or the environment (default: the local socket). */
export function createEngine(
  options: { host?: string; context?: string; env?: Record<string, string | undefined> } = {},
): Engine {
  const { endpoint } = resolveEngine(options);
  const env = options.env ?? process.env;
  // Read here, with COMPOSE_HTTP_TIMEOUT: a bad value is said before anything is made.
  return new DockerEngine(createDocker(endpoint, env), endpoint, parallelLimit(env), httpTimeoutSeconds(env));
}

/** The dockerode client for an endpoint: an Engine's, or that of a command that needs no Engine. */
export function createDocker(
  endpoint: EngineEndpoint,
  env: Record<string, string | undefined> = process.env,
): Docker {
  // docker-modem reads DOCKER_HOST, DOCKER_CERT_PATH and the rest itself when it is constructed,
  // merges that under our options, and throws if DOCKER_CERT_PATH names missing files even when
  // no TLS is asked for: it is made with DOCKER_HOST hidden (construction is synchronous), and
  // every connection key is still given explicitly.
  const timeoutSeconds = httpTimeoutSeconds(env);
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  let docker: Docker;
  try {
    docker = makeDocker(endpoint, env);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
  // Every request gets a deadline (COMPOSE_HTTP_TIMEOUT): a wedged engine is an error, not a hang.
  applyCallTimeouts(docker, endpoint, timeoutSeconds);
  return docker;
}

function makeDocker(endpoint: EngineEndpoint, env: Record<string, string | undefined>): Docker {
  const Dockerode = loadDockerode();
  switch (endpoint.kind) {
    case "unix":
      return new Dockerode({
        socketPath: endpoint.socketPath,
        host: undefined,
        port: undefined,
        protocol: undefined,
      });
    case "ssh":
      // Plain HTTP over `docker system dial-stdio` channels of one ssh connection (ssh-agent.ts).
      return new Dockerode({
        host: endpoint.host,
        port: endpoint.port,
        protocol: "http",
        socketPath: undefined,
        agent: new SshAgent(endpoint, env),
      } as Docker.DockerOptions);
    case "tcp": {
      if (endpoint.protocol === "http" || endpoint.tls === undefined) {
        return new Dockerode({
          host: endpoint.host,
          port: endpoint.port,
          protocol: endpoint.protocol,
          socketPath: undefined,
        });
      }
      const tls = readTlsFiles(endpoint);
      return new Dockerode({
        host: endpoint.host,
        port: endpoint.port,
        protocol: "https",
        socketPath: undefined,
        ...tls,
        // The agent carries the TLS settings to every request, the build session's upgrade too.
        agent: new https.Agent({ ...tls, rejectUnauthorized: endpoint.tls.verify }),
      } as Docker.DockerOptions);
    }
  }
}

/** The CA and client certificate of a TLS endpoint, read now: a missing file is said before any call. */
function readTlsFiles(endpoint: Extract<EngineEndpoint, { kind: "tcp" }>): {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
} {
  const files = endpoint.tls ?? { verify: false };
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new EngineError(
        `${formatEndpoint(endpoint)}: cannot read the ${what} ${file} (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
  };
  const ca = read(files.ca, "CA certificate");
  const cert = read(files.cert, "client certificate");
  const key = read(files.key, "client key");
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

type Ref = { id: string; name: string };

/** The dockerode implementation of `Engine`. */
export class DockerEngine implements Engine {
  readonly #docker: Docker;
  readonly endpoint: EngineEndpoint;
  readonly parallelLimit: number;
  /** COMPOSE_HTTP_TIMEOUT: also bounds waiting out another removal of a container. */
  readonly #timeoutSeconds: number;

  constructor(
    docker: Docker,
    endpoint: EngineEndpoint,
    limit: number = DEFAULT_PARALLEL_LIMIT,
    timeoutSeconds: number = DEFAULT_HTTP_TIMEOUT_SECONDS,
  ) {
    this.#docker = docker;
    this.endpoint = endpoint;
    this.parallelLimit = limit;
    this.#timeoutSeconds = timeoutSeconds;
  }

  /** The dockerode client behind this engine: for tests that look at the engine independently. */
  get docker(): Docker {
    return this.#docker;
  }

  version(): Promise<EngineVersion> {
    return this.#call("engine", async () => {
      const info = await this.#docker.version();
      return { version: info.Version, apiVersion: info.ApiVersion, arch: info.Arch };
    });
  }

  dockerRootDir(): Promise<string | undefined> {
    return this.#call("engine", async () => {
      const info = (await this.#docker.info()) as { DockerRootDir?: unknown };
      return typeof info.DockerRootDir === "string" && info.DockerRootDir !== ""
        ? info.DockerRootDir
        : undefined;
    });
  }

  listProjectContainers(projectName: string, options: { all?: boolean } = {}): Promise<ContainerListEntry[]> {
    return this.#call(`project ${projectName}`, () =>
      this.#docker.listContainers({
        all: options.all ?? true,
        filters: { label: [projectFilter(projectName)] },
      }),
    );
  }

  listNetworks(filters: Record<string, string[]> = {}): Promise<NetworkDetails[]> {
    return this.#call("networks", () => this.#docker.listNetworks({ filters }));
  }

  listVolumes(filters: Record<string, string[]> = {}): Promise<VolumeDetails[]> {
    return this.#call("volumes", async () => (await this.#docker.listVolumes({ filters })).Volumes ?? []);
  }

  inspectImage(reference: string): Promise<ImageDetails | undefined> {
    return this.#call(`image ${reference}`, () => this.#docker.getImage(reference).inspect(), {
      notFound: undefined,
    });
  }

  inspectNetwork(name: string): Promise<NetworkDetails | undefined> {
    return this.#call(`network ${name}`, () => this.#docker.getNetwork(name).inspect(), {
      notFound: undefined,
    });
  }

  inspectVolume(name: string): Promise<VolumeDetails | undefined> {
    return this.#call(`volume ${name}`, () => this.#docker.getVolume(name).inspect(), {
      notFound: undefined,
    });
  }

  createNetwork(options: NetworkCreateBody): Promise<string> {
    return this.#call(
      `network ${options.Name}`,
      async () => (await this.#docker.createNetwork(options as Docker.NetworkCreateOptions)).id,
    );
  }

  removeNetwork(name: string): Promise<void> {
    // Already gone (a concurrent `down` removed it first) is what was asked for.
    return this.#call(
      `network ${name}`,
      async () => {
        const network = this.#docker.getNetwork(name);
        // Engine 20.10 may still count an endpoint for a moment after the last container on the
        // network was removed (found by the crash sweep, under load): while the network lists no
        // container, that is the engine catching up, so try again for a few seconds. A container
        // that is really attached fails at once, as before.
        const deadline = Date.now() + ACTIVE_ENDPOINTS_GRACE_MS;
        const disconnected = new Set<string>();
        for (;;) {
          try {
            await network.remove();
            return;
          } catch (error) {
            if (!hasActiveEndpoints(error)) throw error;
            const { live, orphans } = splitEndpoints((await network.inspect()).Containers);
            if (live.length > 0) throw error;
            // An endpoint whose container is gone (`ep-<id>` in the list): a forced disconnect by
            // its name deletes it (moby's ForceEndpointDelete), once each.
            const fresh = orphans.filter((orphan) => !disconnected.has(orphan));
            if (fresh.length > 0) {
              for (const orphan of fresh) {
                disconnected.add(orphan);
                await network.disconnect({ Container: orphan, Force: true }).catch(() => undefined);
              }
              continue;
            }
            if (Date.now() >= deadline) {
              // Seen at 200 containers: the engine's count of endpoints on the network stays above
              // zero with no endpoint left, until dockerd restarts (it recounts them then).
              throw new EngineError(
                `network ${name}: ${engineMessage(error)}, though no container is attached to it any more: the engine kept a stale endpoint count (Docker Engine 20.10 does under load); it is cleared when dockerd restarts, then run the command again`,
                { resource: `network ${name}`, cause: error },
              );
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      { notFound: undefined },
    );
  }

  createVolume(options: VolumeCreateBody): Promise<void> {
    return this.#call(`volume ${options.Name}`, async () => {
      await this.#docker.createVolume(options);
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.#call(`volume ${name}`, () => this.#docker.getVolume(name).remove(), { notFound: undefined });
  }

  createContainer(options: ContainerCreateBody): Promise<string> {
    return this.#call(
      `container ${options.name}`,
      async () => (await this.#docker.createContainer(options as Docker.ContainerCreateOptions)).id,
    );
  }

  connectNetwork(network: string, container: Ref, endpoint: EndpointSettings): Promise<void> {
    return this.#call(`container ${container.name}`, () =>
      this.#docker
        .getNetwork(network)
        .connect({ Container: container.id, EndpointConfig: endpoint as Docker.EndpointSettings }),
    );
  }

  startContainer(container: Ref): Promise<void> {
    return this.#call(
      `container ${container.name}`,
      async () => {
        const handle = this.#docker.getContainer(container.id);
        // The engine's own start ends with the container running: look, and try again, for about
        // 5 s. A task left by a start that a dockerd restart cut short stays (tried: it outlives
        // failed starts): only a new container gets past it.
        for (let attempt = 1; ; attempt++) {
          try {
            await handle.start();
            return;
          } catch (error) {
            if (!isStartRace(error)) throw error;
            if (attempt === 6) {
              throw new StaleTaskError(
                `container ${container.name}: the engine still holds a task for it from a start that a dockerd restart cut short (${engineMessage(error)}); replace the container: \`composec up -d --force-recreate\` (its service only: add the service's name)`,
                container,
                error,
              );
            }
          }
          if ((await handle.inspect()).State.Running) return;
          await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        }
      },
      { notModified: undefined },
    );
  }

  stopContainer(container: Ref, timeoutSeconds?: number): Promise<void> {
    return this.#call(
      `container ${container.name}`,
      async () => {
        const t = timeoutSeconds ?? (await this.#stopGrace(container));
        await this.#docker.getContainer(container.id).stop({ t });
      },
      // Already stopped, or already gone (a concurrent `down` removed it): stopped, as asked.
      { notModified: undefined, notFound: undefined },
    );
  }

  /**
   * The grace the engine would give `container` without `t`, read from the container itself: sent
   * as `t` it changes nothing for the engine and gives the stop a deadline (call-timeout.ts).
   */
  async #stopGrace(container: Ref): Promise<number> {
    const info = await this.#docker.getContainer(container.id).inspect();
    // dockerode's types leave out Config.StopTimeout, which the engine returns when it is set.
    return stopGraceSeconds((info.Config as { StopTimeout?: number | null }).StopTimeout);
  }

  removeContainer(container: Ref, options: { volumes?: boolean; force?: boolean } = {}): Promise<void> {
    return this.#call(
      `container ${container.name}`,
      async () => {
        const handle = this.#docker.getContainer(container.id);
        const remove = () => handle.remove({ v: options.volumes ?? false, force: options.force ?? false });
        try {
          await remove();
        } catch (error) {
          // Another removal of it is under way (a second `down` at once, or the engine's own): it
          // is removed once that ends. Should that one fail instead, ours is tried once more.
          if (!isRemovalInProgress(error)) throw error;
          await this.#waitRemoved(container);
          await remove();
        }
      },
      // Already gone (a concurrent removal finished first) is what was asked for.
      { notFound: undefined },
    );
  }

  /**
   * Waits, for at most COMPOSE_HTTP_TIMEOUT, until the container is gone (then throws its 404)
   * or the other removal ended without removing it (then it returns). The engine shows a container
   * being removed as `removing`, or `running` while a forced removal kills it (and `dead` in its
   * inspect flag all along, so that flag says nothing); any other state means the removal failed.
   */
  async #waitRemoved(container: Ref): Promise<void> {
    const deadline = Date.now() + this.#timeoutSeconds * 1000;
    for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const info = await this.#docker.getContainer(container.id).inspect();
      if (info.State.Status !== "removing" && !info.State.Running) return;
    }
  }

  renameContainer(container: Ref, newName: string): Promise<void> {
    return this.#call(`container ${container.name}`, () =>
      this.#docker.getContainer(container.id).rename({ name: newName }),
    );
  }

  inspectContainer(container: Ref): Promise<ContainerDetails> {
    return this.#call(`container ${container.name}`, () => this.#docker.getContainer(container.id).inspect());
  }

  waitContainer(container: Ref): Promise<number> {
    return this.#call(`container ${container.name}`, async () => {
      const result = (await this.#docker.getContainer(container.id).wait({ condition: "not-running" })) as {
        StatusCode: number;
      };
      return result.StatusCode;
    });
  }

  logs(container: Ref, options: LogOptions): Promise<Readable> {
    return this.#call(`container ${container.name}`, async () => {
      // `tail` absent means all lines (the engine's default); the types do not know "all".
      const query = {
        stdout: true,
        stderr: true,
        timestamps: options.timestamps ?? false,
        ...(typeof options.tail === "number" ? { tail: options.tail } : {}),
        ...(options.since === undefined ? {} : { since: options.since }),
      };
      const handle = this.#docker.getContainer(container.id);
      // dockerode returns a stream when following and a Buffer otherwise; callers want a stream.
      if (options.follow) return (await handle.logs({ ...query, follow: true })) as unknown as Readable;
      const buffer = await handle.logs({ ...query, follow: false });
      return Readable.from([buffer]);
    });
  }

  demuxLogs(stream: Readable, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
    this.#docker.modem.demuxStream(stream, stdout, stderr);
  }

  listContainers(
    filters: Record<string, string[]>,
    options: { all?: boolean } = {},
  ): Promise<ContainerListEntry[]> {
    return this.#call("containers", () => this.#docker.listContainers({ all: options.all ?? true, filters }));
  }

  killContainer(container: Ref, signal: string): Promise<void> {
    return this.#call(`container ${container.name}`, () =>
      this.#docker.getContainer(container.id).kill({ signal }),
    );
  }

  restartContainer(container: Ref, timeoutSeconds?: number): Promise<void> {
    return this.#call(`container ${container.name}`, async () => {
      const t = timeoutSeconds ?? (await this.#stopGrace(container));
      try {
        await this.#docker.getContainer(container.id).restart({ t });
      } catch (error) {
        // The start half met a task left behind: startContainer tries again and names it (StaleTaskError).
        if (!isStartRace(error)) throw error;
        await this.startContainer(container);
      }
    });
  }

  topContainer(container: Ref): Promise<ContainerTop> {
    return this.#call(
      `container ${container.name}`,
      async () => (await this.#docker.getContainer(container.id).top()) as ContainerTop,
    );
  }

  createExec(container: Ref, options: ExecCreateOptions): Promise<string> {
    return this.#call(`container ${container.name}`, async () => {
      const body: Docker.ExecCreateOptions = {
        Cmd: options.cmd,
        Tty: options.tty,
        AttachStdin: options.stdin,
        AttachStdout: true,
        AttachStderr: true,
        Privileged: options.privileged ?? false,
      };
      if (options.env !== undefined) body.Env = options.env;
      if (options.user !== undefined) body.User = options.user;
      if (options.workingDir !== undefined) body.WorkingDir = options.workingDir;
      return (await this.#docker.getContainer(container.id).exec(body)).id;
    });
  }

  startExec(container: Ref, execId: string, options: { tty: boolean }): Promise<Duplex> {
    return this.#call(
      `container ${container.name}`,
      // hijack: one raw connection both ways, so stdin can be half-closed while output continues.
      async () =>
        (await this.#docker
          .getExec(execId)
          .start({ hijack: true, stdin: true, Tty: options.tty })) as unknown as Duplex,
    );
  }

  startExecDetached(container: Ref, execId: string, options: { tty: boolean }): Promise<void> {
    return this.#call(`container ${container.name}`, async () => {
      // The engine answers at once; its (empty) response must be read for the connection to close.
      const response = (await this.#docker
        .getExec(execId)
        .start({ Detach: true, Tty: options.tty })) as unknown;
      if (response instanceof Readable) response.resume();
    });
  }

  execExitCode(container: Ref, execId: string): Promise<number | undefined> {
    return this.#call(`container ${container.name}`, async () => {
      const info = await this.#docker.getExec(execId).inspect();
      return info.Running ? undefined : (info.ExitCode ?? undefined);
    });
  }

  resizeExec(execId: string, size: { rows: number; columns: number }): Promise<void> {
    return this.#call("exec", async () => {
      await this.#docker.getExec(execId).resize({ h: size.rows, w: size.columns });
    });
  }

  attachContainer(container: Ref, options: { stdin: boolean }): Promise<Duplex> {
    return this.#call(
      `container ${container.name}`,
      async () =>
        (await this.#docker.getContainer(container.id).attach({
          stream: true,
          stdin: options.stdin,
          stdout: true,
          stderr: true,
          hijack: true,
        })) as unknown as Duplex,
    );
  }

  resizeContainer(container: Ref, size: { rows: number; columns: number }): Promise<void> {
    return this.#call(`container ${container.name}`, async () => {
      await this.#docker.getContainer(container.id).resize({ h: size.rows, w: size.columns });
    });
  }

  pullImage(
    reference: string,
    onStatus?: (status: PullStatus) => void,
    options: PullImageOptions = {},
  ): Promise<void> {
    return this.#call(`image ${reference}`, async () => {
      const query: { platform?: string; authconfig?: AuthConfig } = {};
      if (options.platform !== undefined) query.platform = options.platform;
      // dockerode sends authconfig as the X-Registry-Auth header, never in the URL.
      if (options.credentials !== undefined) query.authconfig = options.credentials.authConfig();
      const stream = (await this.#docker.pull(reference, query)) as Readable;
      // A failure after the pull began (unknown tag, denied) arrives inside the stream.
      await followProgress(this.#docker, stream, (event: PullStatus) => onStatus?.(event));
    });
  }

  statPath(container: Ref, path: string): Promise<PathStat | undefined> {
    return this.#call(
      `container ${container.name}`,
      async () => {
        const response = (await this.#docker.getContainer(container.id).infoArchive({ path })) as unknown as {
          headers: Record<string, string | undefined>;
          resume(): void;
        };
        response.resume();
        const header = response.headers["x-docker-container-path-stat"];
        if (header === undefined) return undefined;
        return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PathStat;
      },
      { notFound: undefined },
    );
  }

  getArchive(container: Ref, path: string): Promise<Readable> {
    return this.#call(
      `container ${container.name}`,
      async () => (await this.#docker.getContainer(container.id).getArchive({ path })) as unknown as Readable,
    );
  }

  putArchive(container: Ref, path: string, tar: Readable, options: PutArchiveOptions = {}): Promise<void> {
    return this.#call(`container ${container.name}`, async () => {
      const query: Record<string, string> = { path };
      if (options.copyUIDGID) query["copyUIDGID"] = "1";
      if (options.noOverwriteDirNonDir) query["noOverwriteDirNonDir"] = "1";
      const response = (await this.#docker.getContainer(container.id).putArchive(tar, query)) as unknown;
      if (response instanceof Readable) response.resume();
    });
  }

  buildImage(context: Readable, options: { tag: string; dockerfile?: string }): Promise<void> {
    return this.#call(`image ${options.tag}`, async () => {
      const stream = await new Promise<Readable>((resolve, reject) => {
        this.#docker.modem.dial(
          {
            path: "/build?",
            method: "POST",
            // version 1: the classic builder, which needs no session and never pulls for FROM scratch.
            options: {
              t: options.tag,
              dockerfile: options.dockerfile ?? "Dockerfile",
              version: "1",
              rm: "1",
            },
            file: context,
            isStream: true,
            headers: { "Content-Type": "application/x-tar" },
            statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
          },
          (error, response) => (error ? reject(error) : resolve(response as Readable)),
        );
      });
      // A failed step arrives inside the stream.
      await followProgress(this.#docker, stream);
    });
  }

  openBuildSession(headers: Record<string, string | string[]>): Promise<Duplex> {
    return this.#call("build session", () => openSession(this.#docker, headers));
  }

  postBuild(context: Readable, query: BuildQuery, signal?: AbortSignal): Promise<Readable> {
    return this.#call("build", () => postBuild(this.#docker, context, query, signal));
  }

  cancelBuild(buildId: string): Promise<void> {
    return this.#call("build", () => cancelBuild(this.#docker, buildId));
  }

  request<T>(
    resource: string,
    method: "GET" | "POST" | "DELETE",
    path: string,
    options: EngineRequestOptions = {},
  ): Promise<T> {
    const query = options.query ?? {};
    const hasQuery = Object.keys(query).length > 0;
    return this.#call(
      resource,
      () =>
        new Promise<T>((resolve, reject) => {
          this.#docker.modem.dial(
            {
              path: hasQuery ? `${path}?` : path,
              method,
              options: { _query: query, ...(options.body !== undefined ? { _body: options.body } : {}) },
              // docker-modem words a failure without a JSON body by these.
              statusCodes: {
                200: true,
                201: true,
                204: true,
                304: true,
                400: "bad parameter",
                403: "not allowed",
                404: "not found",
                409: "conflict",
                500: "server error",
                503: "not a swarm manager",
              },
            },
            (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as T)),
          );
        }),
      options.notFound ? { notFound: undefined as T } : {},
    );
  }

  containerEvents(projectName: string, actions: string[]): Promise<EventSubscription> {
    const resource = `project ${projectName}`;
    return this.#call(resource, async () => {
      const stream = (await this.#docker.getEvents({
        filters: { type: ["container"], label: [projectFilter(projectName)], event: actions },
      })) as Readable;
      return eventSubscription(stream, (error) => toEngineError(resource, error, this.endpoint));
    });
  }

  /**
   * Runs one engine call; maps its failure to an EngineError naming `resource`. `notFound` /
   * `notModified`, when given, are the values a 404 / 304 stands for (absent, already so).
   */
  async #call<T>(
    resource: string,
    call: () => Promise<T>,
    expected: { notFound?: T; notModified?: T } = {},
  ): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 && "notFound" in expected) return expected.notFound as T;
      if (status === 304 && "notModified" in expected) return expected.notModified as T;
      throw toEngineError(resource, error, this.endpoint);
    }
  }
}

/** The engine's event stream (one JSON object per line) as ContainerEvents. */
function eventSubscription(stream: Readable, toError: (error: unknown) => Error): EventSubscription {
  let closed = false;
  return {
    close() {
      closed = true;
      stream.destroy();
    },
    async *[Symbol.asyncIterator]() {
      const decoder = new StringDecoder("utf8");
      let pending = "";
      try {
        for await (const chunk of stream) {
          pending += decoder.write(chunk as Buffer);
          let end: number;
          while ((end = pending.indexOf("\n")) !== -1) {
            const line = pending.slice(0, end).trim();
            pending = pending.slice(end + 1);
            if (line !== "") yield toContainerEvent(JSON.parse(line) as RawEvent);
          }
        }
      } catch (error) {
        // Our own close() ends the stream early; that is the end, not a failure.
        if (!closed) throw toError(error);
      }
    },
  };
}

interface RawEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

function toContainerEvent(raw: RawEvent): ContainerEvent {
  return {
    action: raw.Action ?? "",
    id: raw.Actor?.ID ?? "",
    time: raw.timeNano !== undefined ? raw.timeNano / 1e9 : (raw.time ?? 0),
    attributes: raw.Actor?.Attributes ?? {},
  };
}

/** A pull stream's `{"error": ...}`, shaped like an engine error response so its words are kept. */
/**
 * Reads a progress stream (pull, build) to its end. A failure after the call began arrives inside
 * the stream as `{"error": ...}`, which dockerode passes on as an ordinary event: the first one
 * fails the whole stream, once it has ended. Other events go to `onEvent`.
 */
function followProgress<Event>(
  docker: Docker,
  stream: Readable,
  onEvent?: (event: Event) => void,
): Promise<void> {
  let failure: string | undefined;
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        if (error) reject(error);
        else if (failure !== undefined) reject(streamError(failure));
        else resolve();
      },
      (event: Event & { error?: string }) => {
        if (event.error !== undefined) failure ??= event.error;
        else onEvent?.(event);
      },
    );
  });
}

function streamError(message: string): Error {
  return Object.assign(new Error(message), { json: { message } });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** TLS failures that mean the engine's certificate is not one the CA vouches for. */
const UNTRUSTED_CERTIFICATE = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Whether a start failed on a containerd task that already exists (Engine 20.10: `task <id>: already
 * exists`). Two causes, both after a dockerd restart: the engine is starting the container itself
 * (restart policy) at the same moment, or a dockerd killed in the middle of a start left the task
 * behind in containerd while the container stays `created` (found by engine-restart.test.ts).
 */
export function isStartRace(error: unknown): boolean {
  return statusOf(error) === 500 && /\btask [0-9a-f]{64}: already exists\b/.test(engineMessage(error));
}

/** How long a network removal refused for "active endpoints" is tried again while no container is attached. */
const ACTIVE_ENDPOINTS_GRACE_MS = 10_000;

/**
 * A network's endpoints as GET /networks/{id} lists them (`Containers`): `live` are keyed by a
 * container id, `orphans` (the names of) those the engine keys `ep-<endpoint id>` because their
 * container is gone (an endpoint left behind by a removal).
 */
export function splitEndpoints(containers: Record<string, { Name?: string }> | undefined): {
  live: string[];
  orphans: string[];
} {
  const live: string[] = [];
  const orphans: string[] = [];
  for (const [key, endpoint] of Object.entries(containers ?? {})) {
    if (key.startsWith("ep-") && endpoint.Name) orphans.push(endpoint.Name);
    else live.push(key);
  }
  return { live, orphans };
}

/** Whether a network removal was refused because the engine still counts an endpoint on it. */
export function hasActiveEndpoints(error: unknown): boolean {
  return /\bhas active endpoints\b/.test(engineMessage(error));
}

/**
 * Whether a remove failed because another removal of the same container is under way (Engine:
 * 409 `removal of container <name> is already in progress`): a second `down` of the project at
 * once, or the engine still removing it.
 */
export function isRemovalInProgress(error: unknown): boolean {
  return (
    statusOf(error) === 409 &&
    /\bremoval of container \S+ is already in progress\b/.test(engineMessage(error))
  );
}

/** A start refused on a task a dockerd restart left behind (isStartRace, past its retries): only a new container gets past it. */
export class StaleTaskError extends EngineError {
  /** The container whose start met it. */
  readonly container: Ref;
  constructor(message: string, container: Ref, cause: unknown) {
    super(message, { resource: `container ${container.name}`, cause });
    this.container = { id: container.id, name: container.name };
  }
}

/** Turns a dockerode / socket failure into an EngineError that says what failed and what to do. */
export function toEngineError(resource: string, error: unknown, endpoint: EngineEndpoint): EngineError {
  const code = (error as { code?: unknown } | null)?.code;
  const where = formatEndpoint(endpoint);
  const unreachable = (why: string): EngineError =>
    new EngineError(`cannot reach the Docker Engine at ${where}: ${why}`, { resource, cause: error });
  if (error instanceof EngineError) return error;
  if (error instanceof SshEndpointError) return unreachable(error.message);
  const howToStart =
    endpoint.kind === "unix"
      ? "start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`), or point DOCKER_HOST or -H at a running engine"
      : endpoint.kind === "ssh"
        ? "check that sshd runs on that host and port"
        : "check that the engine runs on that host and listens on that port";
  if (code === "ENOENT" && endpoint.kind === "unix") {
    return new EngineError(
      `cannot reach the Docker Engine: no socket at ${endpoint.socketPath}; ${howToStart}`,
      {
        resource,
        cause: error,
      },
    );
  }
  // The engine went away in the middle of a call (a dockerd restart): say which call it cut.
  const call = engineCallOf(error);
  if (call !== undefined) {
    return new EngineError(
      `the Docker Engine at ${where} closed the connection during ${call} (${String(code)}): it stopped or restarted; once it answers again (\`docker info\`), run the command again`,
      { resource, cause: error },
    );
  }
  if (code === "EACCES" || code === "EPERM") {
    return unreachable("permission denied; run as root or as a member of the docker group");
  }
  if (code === "ECONNREFUSED") {
    return unreachable(
      `connection refused (${endpoint.kind === "ssh" ? "no ssh server there?" : "no engine running?"}); ${howToStart}`,
    );
  }
  if (endpoint.kind === "tcp" && typeof code === "string" && UNTRUSTED_CERTIFICATE.has(code)) {
    const ca = endpoint.tls?.ca;
    return unreachable(
      `its TLS certificate is not trusted (${code}: ${(error as Error).message})${ca ? `; it must be signed by the CA in ${ca}` : ""}, and name the host ${endpoint.host}`,
    );
  }
  const text = error instanceof Error ? error.message : "";
  if (
    endpoint.kind === "tcp" &&
    /alert|certificate|handshake/i.test(text) &&
    typeof code === "string" &&
    /SSL|TLS|EPROTO/.test(code)
  ) {
    const cert = endpoint.tls?.cert;
    return unreachable(
      `the engine refused the TLS handshake (${text.trim()}): ${cert ? `it does not accept the client certificate ${cert}` : "it asks for a client certificate and none was given (cert.pem and key.pem beside ca.pem in DOCKER_CERT_PATH)"}`,
    );
  }
  if (
    code === "ENOTFOUND" ||
    code === "EHOSTUNREACH" ||
    code === "ETIMEDOUT" ||
    code === "ECONNRESET" ||
    code === "EAI_AGAIN"
  ) {
    return unreachable(String(code));
  }
  const message = engineMessage(error);
  if (
    endpoint.kind === "tcp" &&
    endpoint.protocol === "http" &&
    /HTTP request to an HTTPS server/i.test(message)
  ) {
    return unreachable(
      "the engine speaks TLS there; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory with its ca.pem, cert.pem and key.pem",
    );
  }
  return new EngineError(`${resource}: ${message}`, { resource, cause: error });
}

/** The engine's own words (`json.message`), without dockerode's "(HTTP code 404) ..." wrapping. */
function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (
    json !== null &&
    typeof json === "object" &&
    typeof (json as { message?: unknown }).message === "string"
  ) {
    return (json as { message: string }).message.trim();
  }
  if (typeof json === "string" && json.trim() !== "") return json.trim();
  // dockerode's own wording: "(HTTP code 500) server error - <the engine's words> ".
  if (error instanceof Error)
    return error.message.replace(/^\(HTTP code \d+\)\s*(?:[a-z /]+ - )?/, "").trim();
  return String(error);
}
