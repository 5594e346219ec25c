// One crash round's surroundings: a temporary directory holding the store (COMPOSEC_HOME), its key
// file and the project directory, a unique project name, and a random marker that is part of every
// secret value of the round, so one search for the marker finds any secret byte on a disk. The
// values are known here by secret and version (the suite compares digests, never prints a value).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { cliPath, removeProjectResources, uniqueProjectName } from "../integration/helpers.js";

export const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/** How one run of the CLI ended. */
export interface RunOutcome {
  /** The exit code, or 128 + the signal's number when a signal ended it (as a shell reports it). */
  code: number;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
  /** Whether our signal was sent before the process ended on its own. */
  signalled: boolean;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** Sends `signal` after `afterMs` (unless the process ended first). */
  kill?: { signal: NodeJS.Signals; afterMs: number };
  timeoutMs?: number;
}

/** Runs the built CLI with `args`; COMPOSE_* and COMPOSEC_* of the test's own shell are not passed. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunOutcome> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^COMPOSEC?_/.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? tmpdir(),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input);
    let signalled = false;
    let exited = false;
    const killer =
      options.kill &&
      setTimeout(() => {
        if (exited) return;
        signalled = true;
        child.kill(options.kill!.signal);
      }, options.kill.afterMs);
    const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("exit", () => {
      exited = true;
    });
    child.on("error", (error) => {
      clearTimeout(guard);
      if (killer) clearTimeout(killer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      if (killer) clearTimeout(killer);
      resolve({
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        signal,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString("utf8"),
        ms: performance.now() - started,
        signalled,
      });
    });
  });
}

/** A round's temporary surroundings and the secret values it knows. */
/**
 * What a failed command said, short enough for a failure message and the results file: its error
 * lines (the progress lines before them add nothing), or its last lines when it printed no error.
 */
export function stderrGist(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = lines.filter((line) => /^(error|warning):/i.test(line));
  return [...new Set(errors.length > 0 ? errors : lines.slice(-5))].join(" / ");
}

export class World {
  readonly project: string;
  readonly marker = `CRASHMARK${randomBytes(12).toString("hex")}`;
  /** Secret name -> value by version (store secrets) or by generation (file, env, build sources). */
  readonly values = new Map<string, Map<number, string>>();
  /** What a scenario remembers between the steps of one round. */
  readonly notes: Record<string, unknown> = {};
  /** Extra environment of every command (secret sources read from the environment). */
  readonly extraEnv: Record<string, string> = {};

  private constructor(
    readonly dir: string,
    /** Where file secrets' sources live: left out of the search for secret bytes (the user's files). */
    readonly sourceDir: string,
  ) {
    this.project = uniqueProjectName(`crash-${path.basename(dir).slice(-4)}`);
  }

  static async create(): Promise<World> {
    const dir = await mkdtemp(path.join(tmpdir(), "composec-crash-"));
    const sourceDir = path.join(dir, "project", `sources-${randomBytes(6).toString("hex")}`);
    await mkdir(sourceDir, { recursive: true });
    return new World(dir, sourceDir);
  }

  get home(): string {
    return path.join(this.dir, "home");
  }
  get keyFile(): string {
    return path.join(this.dir, "config", "master.key");
  }
  get projectDir(): string {
    return path.join(this.dir, "project");
  }

  /** The environment of every command of this round. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      COMPOSEC_HOME: this.home,
      COMPOSEC_KEY_FILE: this.keyFile,
      COMPOSEC_CHECK_HINT: "0",
      // A machine loaded by parallel test runs can take over a minute to start a container; the
      // suite is about kills, not about an engine's slowness (tested in engine-stall.test.ts).
      COMPOSE_HTTP_TIMEOUT: "600",
      ...this.extraEnv,
      ...extra,
    };
  }

  /** A fresh value for `name` at `version`, holding the marker. */
  newValue(name: string, version: number): string {
    const value = `${this.marker}:${name}:v${version}:${randomBytes(12).toString("hex")}`;
    let versions = this.values.get(name);
    if (!versions) this.values.set(name, (versions = new Map()));
    versions.set(version, value);
    return value;
  }

  value(name: string, version: number): string {
    const value = this.values.get(name)?.get(version);
    if (value === undefined) throw new Error(`no value of ${name} version ${version} in this round`);
    return value;
  }

  /** Every digest of every value of the round: what a delivered file may hold. */
  knownDigests(): Map<string, string> {
    const digests = new Map<string, string>();
    for (const [name, versions] of this.values) {
      for (const [version, value] of versions) digests.set(sha256(value), `${name} v${version}`);
    }
    return digests;
  }

  async writeProjectFile(relative: string, content: string): Promise<void> {
    const file = path.join(this.projectDir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  async writeSource(name: string, value: string): Promise<string> {
    const file = path.join(this.sourceDir, name);
    await writeFile(file, value);
    return file;
  }

  /** Removes the round's engine objects (by the project's label) and its directory. */
  async dispose(): Promise<void> {
    await removeProjectResources(this.project).catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs `fn` on at most `limit` items at a time, in order of the list. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export { prng, subSeed } from "../sampling.js";
