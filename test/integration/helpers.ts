// Shared tools for the integration tests: drive the built CLI as a user would (a spawned process,
// its exit code and output), make throwaway project directories, and remove by label whatever a
// test left on the engine, so tests stay independent even when one fails halfway.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "dist/cli/bin.js");
export const socketPath = process.env.COMPOSEC_DOCKER_SOCKET ?? "/var/run/docker.sock";
export const docker = new Docker({ socketPath });

/** The images scripts/images.sh builds from this machine's files (no registry is reachable). */
export const images = {
  busybox: "composec-test/busybox:1",
  node: "composec-test/node:1",
  redis: "composec-test/redis:1",
} as const;

export const PROJECT_LABEL = "com.docker.compose.project";
/** Marks containers the helpers start directly (not through composec), to find leaks. */
export const TEST_LABEL = "com.composec.test";

export interface CliResult {
  /** The exit code; 128 + the signal's number when the process was killed by a signal. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /**
   * Added to the inherited environment; `undefined` removes a variable. COMPOSE_* and COMPOSEC_*
   * variables are not inherited (a developer's shell must not change what a test sees).
   */
  env?: Record<string, string | undefined>;
  /** Written to the CLI's stdin, which is then closed (it is closed at once without input). */
  input?: string | Buffer;
  /** Kills the CLI (SIGKILL) after this long; default 120 s, the integration test timeout. */
  timeoutMs?: number;
}

/**
 * Variables every cli() call gets unless its own `env` says otherwise: the runtime-secret tests run
 * once per delivery path by setting COMPOSEC_SECRETS_DELIVERY here (see delivery-paths.ts).
 */
export const cliDefaults: { env: Record<string, string> } = { env: {} };

/** Runs `node dist/cli/bin.js ...args` and resolves when it exits; never rejects on a failure code. */
export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(cliPath)) {
    return Promise.reject(new Error(`${cliPath} is missing: run \`npm run build\` first`));
  }
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^COMPOSEC?_/.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries({ ...cliDefaults.env, ...opts.env })) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // The CLI may exit before reading its input; that is its business, not a test failure.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

export type FileSpec = string | Buffer | { content: string | Buffer; mode: number };

const tempDirs = new Set<string>();

/**
 * Makes a temporary directory holding `files` (relative paths; parents are created) and returns
 * its path. Remove it with removeTempProject, or all of them with cleanupTempProjects.
 */
export async function tempProject(files: Record<string, FileSpec>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "composec-test-"));
  tempDirs.add(dir);
  for (const [name, spec] of Object.entries(files)) {
    const file = path.resolve(dir, name);
    if (!file.startsWith(dir + path.sep)) throw new Error(`tempProject: ${name} leaves the directory`);
    await mkdir(path.dirname(file), { recursive: true });
    const { content, mode } =
      typeof spec === "string" || Buffer.isBuffer(spec) ? { content: spec, mode: undefined } : spec;
    await writeFile(file, content);
    if (mode !== undefined) await chmod(file, mode);
  }
  return dir;
}

export async function removeTempProject(dir: string): Promise<void> {
  tempDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

export async function cleanupTempProjects(): Promise<void> {
  await Promise.all([...tempDirs].map((dir) => removeTempProject(dir)));
}

/**
 * A project name no other test (or concurrent run) uses, valid as `-p` (lower case letters, digits,
 * `-` and `_`, starting with a letter or digit).
 */
export function uniqueProjectName(prefix = "t"): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 30);
  return `${clean || "t"}-${process.pid.toString(36)}-${randomBytes(4).toString("hex")}`;
}

function isNotFound(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404;
}

/**
 * Removes the containers (forced, with their anonymous volumes), networks and volumes labelled
 * com.docker.compose.project=<project>, and the project's secret material if a crash left it.
 * Missing resources are not errors: cleanup runs after both passing and failing tests.
 */
export async function removeProjectResources(project: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        }),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        }),
    ),
  );
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        }),
    ),
  );
  removeSecretMaterial(project);
}

// Where composec keeps a project's secret material (CLARIFICATIONS 11): a tmpfs as root, a
// directory on the user's tmpfs otherwise. `down` removes it; a test that failed before `down`
// would leave a mount behind, one per run, so remove it here too.
function removeSecretMaterial(project: string): void {
  const root =
    process.getuid?.() === 0
      ? "/run/composec"
      : process.env.XDG_RUNTIME_DIR && path.join(process.env.XDG_RUNTIME_DIR, "composec");
  if (!root) return;
  const dir = path.join(root, project);
  if (!existsSync(dir)) return;
  if (process.getuid?.() === 0) spawnSync("umount", ["-l", dir], { stdio: "ignore" });
  spawnSync("rm", ["-rf", "--one-file-system", dir], { stdio: "ignore" });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a new container of `image` straight through the Engine API (no composec) and
 * removes the container: create, start, wait, logs, remove.
 */
export async function runInImage(
  image: string,
  cmd: string[],
  opts: { user?: string; env?: string[]; binds?: string[] } = {},
): Promise<RunResult> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    User: opts.user ?? "",
    Env: opts.env ?? [],
    Labels: { [TEST_LABEL]: "1" },
    ...(opts.binds === undefined ? {} : { HostConfig: { Binds: opts.binds } }),
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, ...demux(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Splits a non-TTY log stream: frames of [stream, 0, 0, 0, size (u32 BE)] then `size` bytes. */
export function demux(raw: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    const size = raw.readUInt32BE(offset + 4);
    const payload = raw.subarray(offset + 8, offset + 8 + size);
    (stream === 2 ? err : out).push(payload);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
