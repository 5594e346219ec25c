// Shared tools for the runtime-secrets integration tests (secrets-*.test.ts). They look at secrets
// the way a reviewer must: by sha256 digest, by owner and mode, by where they are mounted, and by
// searching for their bytes; a secret value is never printed, not even in a failed assertion.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { afterEach, expect } from "vitest";
import {
  cleanupTempProjects,
  cli,
  cliDefaults,
  docker,
  PROJECT_LABEL,
  cliPath,
  demux,
  removeProjectResources,
  uniqueProjectName,
  type CliOptions,
  type CliResult,
} from "./helpers.js";

/** Where composec keeps a project's material when run as root (CLARIFICATIONS 11). */
export const RUNTIME_ROOT = "/run/composec";

export const materialDir = (project: string): string => path.join(RUNTIME_ROOT, project);

/** A service command that idles, stops at once on SIGTERM (sh as PID 1 ignores it otherwise). */
export const IDLE = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]`;

/** Returns project(prefix): a fresh project name, taken down with the temp directories after each test. */
export function trackProjects(): (prefix: string) => Promise<string> {
  const projects: string[] = [];
  afterEach(async () => {
    for (const name of projects.splice(0)) {
      await cli(["-p", name, "down", "-t", "0"]);
      await removeProjectResources(name);
    }
    await cleanupTempProjects();
  });
  return async (prefix) => {
    const name = uniqueProjectName(prefix);
    projects.push(name);
    await removeProjectResources(name);
    return name;
  };
}

export const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/** A recognisable random value: easy to search for, never a substring of anything else. */
export const randomValue = (tag: string): string => `${tag}-${randomBytes(16).toString("hex")}`;

/** Replaces each value by **** so a text can go into an assertion message. */
export function scrub(text: string, values: (string | Buffer)[]): string {
  let out = text;
  for (const value of values) {
    const needle = value.toString();
    if (needle.length > 0) out = out.split(needle).join("****");
  }
  return out;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in a running container through the Engine API (as `docker exec`). */
export async function execIn(
  container: string,
  cmd: string[],
  user?: string,
  on: Docker = docker,
): Promise<ExecResult> {
  const exec = await on.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    ...(user === undefined ? {} : { User: user }),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, ...demux(Buffer.concat(chunks)) };
}

/** The sha256 of a file as a process in the container reads it; undefined when it cannot. */
export async function digestIn(
  container: string,
  file: string,
  user?: string,
  on: Docker = docker,
): Promise<string | undefined> {
  const result = await execIn(container, ["sha256sum", file], user, on);
  if (result.code !== 0) return undefined;
  return result.stdout.split(/\s+/)[0];
}

/** `uid gid mode` (octal, no leading zero) of a path inside the container. */
export async function statIn(container: string, file: string): Promise<string> {
  const result = await execIn(container, ["stat", "-L", "-c", "%u %g %a", file]);
  if (result.code !== 0) throw new Error(`stat ${file} in ${container} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Names listed in a directory of the container, sorted; undefined when `ls` fails. */
export async function lsIn(container: string, dir: string): Promise<string[] | undefined> {
  const result = await execIn(container, ["ls", "-A", dir]);
  if (result.code !== 0) return undefined;
  return result.stdout.split("\n").filter(Boolean).sort();
}

/**
 * Runs the CLI and fails the test when it does not exit 0; the failure message has the given
 * values masked, so a leak into stderr is never printed.
 */
export async function cliOk(
  args: string[],
  opts: CliOptions & { hide?: (string | Buffer)[] } = {},
): Promise<CliResult> {
  const result = await cli(args, opts);
  if (result.code !== 0) {
    throw new Error(
      `composec ${args.join(" ")} exited ${result.code}:\n${scrub(result.stderr, opts.hide ?? [])}`,
    );
  }
  return result;
}

/** Containers, networks and volumes labelled with the project. */
export async function engineResources(
  project: string,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.length,
    networks: networks.length,
    volumes: (volumes.Volumes ?? []).length,
  };
}

/** Mount points in the host's mount table at or under `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .map((point) => point.replace(/\\040/g, " "))
    .filter((point) => point === dir || point.startsWith(dir + "/"));
}

/** Whether the project's material is completely gone: no directory, no tmpfs. */
export function materialGone(project: string): boolean {
  return !existsSync(materialDir(project)) && mountsUnder(materialDir(project)).length === 0;
}

/**
 * The names of files under `roots` holding `value`'s bytes. The value reaches grep on its stdin,
 * never in argv; only file names come back, never the matching content.
 */
export function filesContaining(
  value: string | Buffer,
  roots: string[],
  excludeDirs: string[] = [],
): string[] {
  const existing = roots.filter((root) => existsSync(root));
  if (existing.length === 0) return [];
  const result = spawnSync(
    "grep",
    [
      "-r",
      "-l",
      "-F",
      "-a",
      "-s",
      "-f",
      "-",
      ...excludeDirs.map((d) => `--exclude-dir=${d}`),
      "--",
      ...existing,
    ],
    { input: Buffer.concat([Buffer.from(value), Buffer.from("\n")]), maxBuffer: 64 * 1024 * 1024 },
  );
  // 0: matches, 1: none, 2: some file could not be read (sockets, vanished files): names still count.
  return result.stdout.toString("utf8").split("\n").filter(Boolean);
}

/** Every file (relative path and kind) under `dir`, sorted: what the project directory holds. */
export async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => {
      const kind = entry.isDirectory() ? "d" : entry.isSymbolicLink() ? "l" : entry.isFile() ? "f" : "o";
      return `${kind} ${path.relative(dir, path.join(entry.parentPath, entry.name))}`;
    })
    .sort();
}

/** The container's id and start time, to tell a restart or recreation from a live update. */
export async function identity(container: string): Promise<{ id: string; startedAt: string }> {
  const info = await docker.getContainer(container).inspect();
  return { id: info.Id, startedAt: info.State.StartedAt };
}

/** Spawns the CLI without waiting, for tests that kill it part way. */
export function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^COMPOSEC?_/.test(key)) childEnv[key] = value;
  }
  return spawn(process.execPath, [cliPath, ...args], {
    cwd,
    env: { ...childEnv, ...cliDefaults.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Disk-backed places a delivered value must never reach: the engine's, the temp dirs, our data dir. */
export const DISK_ROOTS = [
  "/var/lib/docker",
  "/tmp",
  "/var/tmp",
  path.join(process.env.HOME ?? "/root", ".local/share"),
];

/**
 * Asserts that no container's writable layer (nor `docker diff` under `dirs`) and no file under
 * DISK_ROOTS holds any of `values` (by kind, for the messages); `projectDir`, the user's own
 * source files, is left out. Shared by the secret and config tests: both travel on tmpfs only.
 */
export async function expectNoDiskCopies(
  containers: string[],
  values: Record<string, string>,
  projectDir: string,
  dirs: string[] = ["/run/secrets/"],
  /** Directories on tmpfs mounts under DISK_ROOTS (the engine-side path's volume): memory, not disk. */
  tmpfsDirs: string[] = [],
): Promise<void> {
  for (const container of containers) {
    const info = await docker.getContainer(container).inspect();
    const raw: unknown = await docker.getContainer(container).changes();
    // dockerode hands the body back as a Buffer here (and `null` when nothing changed).
    const parsed: unknown = Buffer.isBuffer(raw) ? JSON.parse(raw.toString("utf8")) : raw;
    const changes = (parsed ?? []) as { Path: string; Kind: number }[];
    const under = changes.filter((change) => dirs.some((dir) => change.Path.startsWith(dir)));
    expect(under, `${container}: docker diff under ${dirs.join(", ")}`).toEqual([]);
    const upper = (info.GraphDriver.Data as Record<string, string> | undefined)?.UpperDir;
    expect(upper, `${container} has an overlay upper dir`).toBeTruthy();
    expectNoFilesHolding(values, [upper!], [], `in ${container}'s writable layer`);
  }
  expectNoFilesHolding(values, DISK_ROOTS, [path.basename(projectDir), ...tmpfsDirs], "on disk");
}

/**
 * Asserts that no file under `roots` holds any of `values` (single-line texts). One pass over the
 * disk for all of them (grep takes one pattern a line); only on a match is each looked for alone,
 * to name it in the failure.
 */
export function expectNoFilesHolding(
  values: Record<string, string>,
  roots: string[],
  excludeDirs: string[],
  where: string,
): void {
  if (filesContaining(Object.values(values).join("\n"), roots, excludeDirs).length === 0) return;
  for (const [kind, value] of Object.entries(values)) {
    expect(filesContaining(value, roots, excludeDirs), `files holding the ${kind} value ${where}`).toEqual(
      [],
    );
  }
}
