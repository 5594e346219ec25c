// composec as a typed library: the CLI's pipeline behind a few calls that take a project (or the
// options to load one), report progress as events, stop on an AbortSignal, print nothing and never
// exit the process. Failures are the same typed errors, with the same messages, as the CLI shows.
import { PassThrough, Writable, type Readable } from "node:stream";
import { down as composeDown, type DownResult } from "./compose/down.js";
import { exec as composeExec } from "./compose/exec.js";
import { logContainers, logs as composeLogs, type LogOutput } from "./compose/logs.js";
import { ps as composePs, type ContainerSummary } from "./compose/ps.js";
import { up as composeUp, type UpResult } from "./compose/up.js";
import { createEngine, type Engine } from "./engine/client.js";
import type { ProgressListener } from "./engine/progress.js";
import { formatProblem, InterruptedError } from "./errors.js";
import { loadProject, type LoadOptions, type LoadResult } from "./loader/index.js";
import type { Project } from "./model/project.js";
import type { PullFlag } from "./plan/pull-plan.js";
import type { ExternalSecretSource } from "./secrets/resolve.js";
import { SecretValue } from "./secrets/secret-value.js";
import { findPassphrase } from "./store/key-file.js";
import { keyFilePath, storeHome } from "./store/paths.js";
import { openStoreSource } from "./store/source.js";
import { openStore, type SecretInfo, type SecretStore } from "./store/store.js";

/** Where the engine is and which environment composec reads (default: `process.env`). */
export interface ConnectionOptions {
  /** The engine: `unix:///path`, `tcp://host:port`; default `DOCKER_HOST`, else the local socket. */
  host?: string;
  /** An engine client of your own (one per test run, say); wins over `host`. */
  engine?: Engine;
  /** The environment for `DOCKER_HOST` and the secret store (`COMPOSEC_HOME`, `COMPOSEC_KEY_FILE`, ...). */
  env?: Record<string, string | undefined>;
  /** Told of warnings (the loader's, the plan's, the store's); default: none are shown. */
  onWarning?: (message: string) => void;
}

/** A project to work on: one already loaded, or the options `loadProject` takes. */
export type ProjectSource = LoadResult | Project | LoadOptions;

export interface UpOptions extends ConnectionOptions {
  /** Only these services (and what they depend on); default all. */
  services?: string[];
  /** Wait until every container runs (healthy, when it has a healthcheck). */
  wait?: boolean;
  waitTimeoutSeconds?: number;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  noDeps?: boolean;
  scale?: Record<string, number>;
  /** Build every service with a build section (`true`), none (`false`), or what is missing (default). */
  build?: boolean;
  pull?: PullFlag;
  /** Seconds a replaced container gets to stop. */
  timeoutSeconds?: number;
  /** Each progress event (`Container demo-web-1 Started`), as the CLI renders them. */
  onProgress?: ProgressListener;
  /** Each line of build output. */
  onBuildLine?: (line: string) => void;
  /** Stops `up` between operations (and a running secret command); it then throws InterruptedError. */
  signal?: AbortSignal;
}

export interface DownOptions extends ConnectionOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeoutSeconds?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** What `up` started: its project and plan, and the calls that work on it. `await using` downs it. */
export interface RunningProject extends AsyncDisposable {
  readonly project: Project;
  readonly engine: Engine;
  readonly result: UpResult;
  ps(options?: { all?: boolean; services?: string[] }): Promise<ContainerSummary[]>;
  logs(options?: LogsOptions): Promise<LogOutput[]>;
  exec(service: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Removes the containers and networks (and volumes with `volumes`), and the secret material. */
  down(options?: Omit<DownOptions, keyof ConnectionOptions>): Promise<DownResult>;
}

export interface LogsOptions {
  services?: string[];
  tail?: number | "all";
  since?: number;
  timestamps?: boolean;
}

export interface ExecOptions {
  index?: number;
  user?: string;
  /** `KEY=VALUE` entries added to the command's environment. */
  environment?: string[];
  workingDir?: string;
  /** Input for the command; absent: none. */
  stdin?: Buffer | string | Readable;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Loads the compose project `options` describe; throws ProjectError with every problem found. */
export { loadProject };

/** Brings the project up; resolves with a handle whose `[Symbol.asyncDispose]` takes it down. */
export async function up(source: ProjectSource, options: UpOptions = {}): Promise<RunningProject> {
  const engine = engineOf(options);
  const { project, variables } = await loaded(source, options);
  const warn = options.onWarning ?? (() => undefined);
  let result: UpResult;
  try {
    result = await composeUp(project, engine, {
      ...pick(options, [
        "services",
        "wait",
        "waitTimeoutSeconds",
        "forceRecreate",
        "noRecreate",
        "removeOrphans",
        "noDeps",
        "scale",
        "pull",
        "timeoutSeconds",
        "onProgress",
        "signal",
      ]),
      ...(options.build === true ? { build: true } : {}),
      ...(options.build === false ? { noBuild: true } : {}),
      ...(options.onBuildLine ? { onBuildLine: options.onBuildLine } : {}),
      onWarning: warn,
      variables,
      shell: options.env ?? process.env,
      external: storeSource(options, project.name),
    });
  } catch (error) {
    throw interrupted(error, options.signal, "up");
  }
  return runningProject(project, engine, result);
}

/** Stops and removes a project (or everything labelled with a project name), and its secret material. */
export async function down(source: ProjectSource | string, options: DownOptions = {}): Promise<DownResult> {
  const engine = engineOf(options);
  const target = typeof source === "string" ? source : (await loaded(source, options, false)).project;
  try {
    return await composeDown(target, engine, {
      ...pick(options, ["volumes", "removeOrphans", "timeoutSeconds", "onProgress", "signal"]),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  } catch (error) {
    throw interrupted(error, options.signal, "down");
  }
}

/** The project's containers, as `composec ps --format json` describes them. */
export async function ps(
  source: ProjectSource | string,
  options: ConnectionOptions & { all?: boolean; services?: string[] } = {},
): Promise<ContainerSummary[]> {
  return composePs(await nameOf(source, options), engineOf(options), pick(options, ["all", "services"]));
}

/**
 * The containers' output so far, one entry per line. Lines are as the containers wrote them:
 * unlike the CLI, which masks delivered secret values, the library hands them to you unchanged.
 */
export async function logs(
  source: ProjectSource | string,
  options: ConnectionOptions & LogsOptions = {},
): Promise<LogOutput[]> {
  const engine = engineOf(options);
  const containers = await logContainers(await nameOf(source, options), engine, options.services ?? []);
  const lines: LogOutput[] = [];
  await composeLogs(containers, engine, pick(options, ["tail", "since", "timestamps"]), (line) =>
    lines.push(line),
  );
  return lines;
}

/** Runs a command in a service's running container (no TTY); resolves with its exit code and output. */
export async function exec(
  source: ProjectSource | string,
  service: string,
  command: string[],
  options: ConnectionOptions & ExecOptions = {},
): Promise<ExecResult> {
  const stdout = collect();
  const stderr = collect();
  let stdin: Readable | undefined;
  if (options.stdin !== undefined) {
    stdin =
      typeof options.stdin === "string" || Buffer.isBuffer(options.stdin)
        ? readableOf(options.stdin)
        : options.stdin;
  }
  const exitCode = await composeExec(await nameOf(source, options), engineOf(options), {
    service,
    command,
    tty: false,
    ...pick(options, ["index", "user", "workingDir"]),
    ...(options.environment ? { env: options.environment } : {}),
    ...(stdin ? { stdin } : {}),
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { exitCode, stdout: stdout.bytes(), stderr: stderr.bytes() };
}

/** The local secret store (`composec secret`), as `external: true` secrets read it. */
export interface SecretStoreClient {
  create(name: string, value: Buffer | string, options?: { labels?: Record<string, string> }): Promise<void>;
  /** Adds a new version; resolves with its number. */
  rotate(name: string, value: Buffer | string): Promise<number>;
  list(): Promise<SecretInfo[]>;
  inspect(name: string): Promise<SecretInfo | undefined>;
  remove(...names: string[]): Promise<void>;
}

/** Opens the store `COMPOSEC_HOME` and `COMPOSEC_KEY_FILE` (or `COMPOSEC_PASSPHRASE`) name in `env`. */
export function secretStore(options: Pick<ConnectionOptions, "env" | "onWarning"> = {}): SecretStoreClient {
  const env = options.env ?? process.env;
  let store: Promise<SecretStore> | undefined;
  const opened = () =>
    (store ??= findPassphrase(env, undefined).then((passphrase) =>
      openStore({
        home: storeHome(env),
        keyFile: keyFilePath(env),
        ...(passphrase ? { passphrase } : {}),
        warn: options.onWarning ?? (() => undefined),
      }),
    ));
  // The caller's buffer is copied: the store wipes what it is given once sealed.
  const value = (input: Buffer | string) => new SecretValue(Buffer.from(input));
  return {
    async create(name, input, createOptions = {}) {
      await (await opened()).create([{ name, value: value(input), ...createOptions }]);
    },
    async rotate(name, input) {
      return (await opened()).rotate(name, value(input));
    },
    async list() {
      return (await opened()).list();
    },
    async inspect(name) {
      return (await opened()).inspect(name);
    },
    async remove(...names) {
      await (await opened()).remove(names);
    },
  };
}

function runningProject(project: Project, engine: Engine, result: UpResult): RunningProject {
  let downed: Promise<DownResult> | undefined;
  const handle: RunningProject = {
    project,
    engine,
    result,
    ps: (options = {}) => ps(project, { engine, ...options }),
    logs: (options = {}) => logs(project, { engine, ...options }),
    exec: (service, command, options = {}) => exec(project, service, command, { engine, ...options }),
    down: (options = {}) => (downed ??= down(project, { engine, ...options })),
    async [Symbol.asyncDispose]() {
      await handle.down({ volumes: true, timeoutSeconds: 0 });
    },
  };
  return handle;
}

async function loaded(
  source: ProjectSource,
  options: ConnectionOptions,
  checkSecretSources = true,
): Promise<{ project: Project; variables: Record<string, string> }> {
  if ("project" in source && "variables" in source) return source;
  if ("services" in source && "secrets" in source && "composeFiles" in source) {
    return { project: source, variables: {} };
  }
  const result = await loadProject({
    checkSecretSources,
    ...(options.env ? { env: options.env } : {}),
    ...(source as LoadOptions),
  });
  for (const warning of result.warnings) options.onWarning?.(formatProblem(warning));
  return result;
}

async function nameOf(source: ProjectSource | string, options: ConnectionOptions): Promise<string> {
  return typeof source === "string" ? source : (await loaded(source, options, false)).project.name;
}

function engineOf(options: ConnectionOptions): Engine {
  return (
    options.engine ??
    createEngine({
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.env === undefined ? {} : { env: options.env }),
    })
  );
}

function storeSource(options: ConnectionOptions, project: string): ExternalSecretSource {
  return openStoreSource(options.env ?? process.env, {
    project,
    warn: options.onWarning ?? (() => undefined),
  });
}

/** After an abort, whatever failed is an interruption, as the CLI reports it. */
function interrupted(error: unknown, signal: AbortSignal | undefined, command: string): unknown {
  if (!signal?.aborted) return error;
  return new InterruptedError(
    `interrupted: run \`composec ${command}\` again to finish, or \`composec down\` to remove`,
    { cause: error },
  );
}

/** A stream that keeps what is written to it, synchronously: nothing is pending once exec resolves. */
function collect(): { stream: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

function readableOf(input: Buffer | string): Readable {
  const stream = new PassThrough();
  stream.end(input);
  return stream;
}

function pick<T extends object, K extends keyof T>(object: T, keys: K[]): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key] as NonNullable<T[K]>;
  return out;
}
