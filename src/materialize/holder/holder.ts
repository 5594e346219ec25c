// The engine-side secrets holder: one tmpfs volume per project (`composec-secrets.<project>`) kept mounted by
// a tiny container that does nothing but wait, so the material survives while service containers
// come and go. Every read and write goes through the engine's archive API on that container, and
// renames/removals run our own static executable inside it (`mv`, `rm`): nothing touches the engine
// host's disk, and the material's layout is exactly the local one (src/materialize/material.ts).
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { Readable } from "node:stream";
import type { ContainerDetails, Engine, VolumeDetails } from "../../engine/client.js";
import { EngineError } from "../../errors.js";
import {
  LABEL,
  SECRETS_HOLDER_LABEL,
  SECRETS_MATERIAL_LABEL,
  secretsHolderLabels,
  secretsHolderName,
  secretsVolumeLabels,
  secretsVolumeName,
} from "../../model/names.js";
import { ENGINE_STAGING_DIR } from "../layout.js";
import { ensureHolderImage, holderArch, holderImageName } from "./holder-image.js";
import { ancestors, packTar, unpackFiles, volumePath, type TarEntry } from "./holder-tar.js";

/** One regular file in the holder's volume; `path` is relative to the volume root. */
export interface HolderEntry {
  path: string;
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

/** A project's secrets volume and the container that keeps it mounted. */
export interface MaterialHolder {
  /** The volume's name. */
  readonly volume: string;
  /** Without changing anything: whether the volume exists and the holder runs, and the volume's Mountpoint on the engine host. */
  inspect(): Promise<{ volume: boolean; running: boolean; mountpoint?: string }>;
  /** Image, volume and a running holder (started again after an engine restart; an empty volume then). Returns the Mountpoint. */
  ensure(): Promise<{ mountpoint: string; fresh: boolean }>;
  /** Regular files under `dir` (relative to the volume root), recursively, with bytes, owner and mode; [] when absent. Into memory only. */
  read(dir: string): Promise<HolderEntry[]>;
  /** One file's bytes, or undefined when absent. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Cheap change stamp of a path (mtime+ctime via HEAD archive), undefined when absent. */
  stamp(path: string): Promise<string | undefined>;
  /** Writes the files into `stagingDir` (tar built in memory with owner and mode in the headers; directories 0700 root), one PUT. */
  stage(stagingDir: string, files: HolderEntry[]): Promise<void>;
  /** Creates directories (mode 0755, root) if missing, one PUT of directory entries. */
  mkdirs(dirs: string[]): Promise<void>;
  /**
   * One look, in parallel: whether the holder is ready (it runs, it is ours, on today's image), the
   * volume's Mountpoint as the holder mounts it, and the regular files under `dir` (into memory).
   */
  glance(
    dir: string,
  ): Promise<{ ready: boolean; running: boolean; mountpoint?: string; files: HolderEntry[] }>;
  /**
   * Carries out `ops` in a ready holder without an exec: one upload of `dirs` (0755 root), `files`
   * (into `stagingDir`, 0700 root) and a request file naming the ops, then a signal, then a stat
   * until the holder says it is done. Throws an EngineError naming the errno of a failed op.
   */
  request(stagingDir: string, dirs: string[], files: HolderEntry[], ops: HolderOp[]): Promise<void>;
  /** Signals the holder to carry out requests already uploaded, and waits for the one named `name` (in `stagingDir`). */
  finish(stagingDir: string, name: string): Promise<void>;
  /** Runs the holder executable in the holder (`mv` pairs, `rm` paths); throws an EngineError naming the op and errno. */
  run(op: "mv" | "rm", args: string[]): Promise<void>;
  /** Removes the holder container, then the volume (which unmounts the tmpfs). Idempotent. */
  remove(): Promise<void>;
}

/** One operation of a request: a rename in the volume, or a recursive removal (paths relative to the volume root). */
export type HolderOp = { op: "mv"; from: string; to: string } | { op: "rm"; path: string };

/** The first word of a request file, and its last (holder.c reads a request only once it ends). */
const REQUEST_MAGIC = "composec-request-1";
const REQUEST_END = "end";
/** A request the holder will not read (its buffer's size in holder.c). */
const REQUEST_LIMIT = 1 << 20;
/** How long a request may take before the holder is given up on. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The bytes of a request file for `ops` (container paths): NUL-terminated words, "end" last. Pure. */
export function requestBytes(ops: { op: "mv" | "rm"; paths: string[] }[]): Buffer {
  const words = [REQUEST_MAGIC, ...ops.flatMap((op) => [op.op, ...op.paths]), REQUEST_END];
  return Buffer.from(words.map((word) => `${word}\0`).join(""), "utf8");
}

/** Whether a request file's bytes are whole (its upload finished): holder.c carries out only those. */
export function requestComplete(bytes: Buffer): boolean {
  return bytes.subarray(bytes.length - REQUEST_END.length - 2).equals(Buffer.from(`\0${REQUEST_END}\0`));
}

export interface MaterialHolderOptions {
  /** The tmpfs's size limit, as the `size=` mount option takes it (`64m`, `512k`, `1g`). Default 64m. */
  size?: string;
}

/** Where the holder mounts the volume. */
export const HOLDER_MOUNT = "/material";
const DEFAULT_SIZE = "64m";

/** The holder of `project`'s secret material on `engine` (nothing happens until a method is called). */
export function materialHolder(
  engine: Engine,
  project: string,
  options: MaterialHolderOptions = {},
): MaterialHolder {
  const size = options.size ?? DEFAULT_SIZE;
  if (!/^[1-9][0-9]*[kmg]?$/.test(size)) {
    throw new EngineError(
      `project ${project}: "${size}" is not a size for the secrets tmpfs; use a number of bytes with k, m or g, such as 64m`,
    );
  }
  return new EngineMaterialHolder(timed(engine), project, size);
}

/**
 * With COMPOSEC_TRACE_HOLDER=1, every engine call the holder makes is timed on stderr (the method's
 * name and milliseconds only, never an argument): how a delivery's time splits between round trips.
 */
function timed(engine: Engine): Engine {
  if (process.env["COMPOSEC_TRACE_HOLDER"] !== "1") return engine;
  const origin = performance.now();
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const start = performance.now();
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.finally(() => {
          const end = performance.now();
          process.stderr.write(
            `holder: ${String(property)} +${(start - origin).toFixed(0)} ms, took ${(end - start).toFixed(0)} ms\n`,
          );
        });
      };
    },
  });
}

type Ref = { id: string; name: string };

class EngineMaterialHolder implements MaterialHolder {
  readonly volume: string;
  readonly #container: Ref;

  constructor(
    private readonly engine: Engine,
    private readonly project: string,
    private readonly size: string,
  ) {
    this.volume = secretsVolumeName(project);
    const name = secretsHolderName(project);
    // The engine takes a container's name wherever it takes its id.
    this.#container = { id: name, name };
  }

  async inspect(): Promise<{ volume: boolean; running: boolean; mountpoint?: string }> {
    const [volume, container] = await Promise.all([
      this.engine.inspectVolume(this.volume),
      this.#inspectContainer(),
    ]);
    return {
      volume: volume !== undefined,
      running: container?.State.Running === true,
      ...(volume?.Mountpoint ? { mountpoint: volume.Mountpoint } : {}),
    };
  }

  async ensure(): Promise<{ mountpoint: string; fresh: boolean }> {
    const [image, volume, container] = await Promise.all([
      ensureHolderImage(this.engine),
      this.#ensureVolume(),
      this.#inspectContainer(),
    ]);
    if (container !== undefined) this.#checkOurs(container);
    if (container?.State.Running === true && container.Config.Image === image) {
      return { mountpoint: volume.Mountpoint, fresh: false };
    }
    // The local driver mounts the tmpfs when the first container using the volume starts and
    // unmounts it (its contents gone) when the last one stops. Without the holder, the tmpfs
    // survives only if another running container mounts the volume; else starting the holder
    // mounts it anew, empty. A holder on an older image is replaced (it knows no requests).
    const users = await this.engine.listContainers({ volume: [this.volume], status: ["running"] });
    const fresh = users.filter((user) => !user.Names.includes(`/${this.#container.name}`)).length === 0;
    if (container !== undefined) {
      // Stopped (an engine restart, a crash) or outdated: made anew, so its settings are always today's.
      await this.engine.removeContainer(this.#container, { force: true });
    }
    await this.#createAndStart(image);
    return { mountpoint: volume.Mountpoint, fresh };
  }

  async read(dir: string): Promise<HolderEntry[]> {
    const path = this.#path(dir, "read");
    const files = await this.#get(path);
    if (files === undefined) return [];
    // The archive names entries from the last component of `dir` on: put them under `dir` again.
    return files
      .map((file) => ({ ...file, name: file.name.split("/").slice(1).join("/") }))
      .filter((file) => file.name !== "")
      .map((file) => ({
        path: path === "" ? file.name : `${path}/${file.name}`,
        bytes: file.bytes,
        uid: file.uid,
        gid: file.gid,
        mode: file.mode,
      }));
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    const files = await this.#get(this.#path(path, "readFile"));
    // A directory at that path is not a file: one entry named as the path, and nothing else.
    return files?.length === 1 && !files[0]!.name.includes("/") ? files[0]!.bytes : undefined;
  }

  async stamp(path: string): Promise<string | undefined> {
    const relative = this.#path(path, "stamp");
    let stat;
    try {
      stat = await this.engine.statPath(this.#container, containerPath(relative));
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
    if (stat === undefined) return undefined;
    // HEAD archive reports no ctime: the mtime (nanoseconds; every write of ours sets it, and a
    // rename in or out of a directory moves the directory's), the mode and the size.
    return `${stat.mtime ?? ""} ${stat.mode} ${stat.size}`;
  }

  async stage(stagingDir: string, files: HolderEntry[]): Promise<void> {
    const staging = this.#path(stagingDir, "stage");
    if (staging === "")
      throw new EngineError(`${this.#what()}: stage needs a directory below the volume root`);
    const root = { uid: 0, gid: 0, mode: 0o700 };
    const entries: TarEntry[] = ancestors(staging).map((path) => ({ type: "directory", path, ...root }));
    const dirs = new Set<string>();
    for (const file of files) {
      const relative = volumePath(file.path);
      if (relative === undefined || relative === "") {
        throw new EngineError(`${this.#what()}: "${file.path}" is not a path inside the staging directory`);
      }
      const parts = ancestors(relative);
      for (const dir of parts.slice(0, -1)) {
        if (dirs.has(dir)) continue;
        dirs.add(dir);
        entries.push({ type: "directory", path: `${staging}/${dir}`, ...root });
      }
      entries.push({
        type: "file",
        path: `${staging}/${relative}`,
        uid: file.uid,
        gid: file.gid,
        mode: file.mode,
        bytes: file.bytes,
      });
    }
    await this.#put(entries);
  }

  async mkdirs(dirs: string[]): Promise<void> {
    const wanted = new Set<string>();
    for (const dir of dirs) {
      const relative = this.#path(dir, "mkdirs");
      for (const path of ancestors(relative)) wanted.add(path);
    }
    if (wanted.size === 0) return;
    // Sorted, a parent comes before its children.
    await this.#put(
      [...wanted].sort().map((path) => ({ type: "directory", path, uid: 0, gid: 0, mode: 0o755 })),
    );
  }

  async glance(
    dir: string,
  ): Promise<{ ready: boolean; running: boolean; mountpoint?: string; files: HolderEntry[] }> {
    const [container, image, files] = await Promise.all([
      this.#inspectContainer(),
      this.engine.version().then((version) => holderImageName(holderArch(version.arch))),
      this.read(dir).catch(() => []),
    ]);
    const running = container?.State.Running === true;
    if (container === undefined || !running) return { ready: false, running, files };
    this.#checkOurs(container);
    // The Mountpoint as the holder has it: the volume cannot change under a running container.
    const mount = (container.Mounts ?? []).find(
      (m) => m.Type === "volume" && m.Name === this.volume && m.Destination === HOLDER_MOUNT,
    );
    const ready = container.Config.Image === image && mount !== undefined;
    return { ready, running, ...(mount ? { mountpoint: mount.Source } : {}), files };
  }

  async request(stagingDir: string, dirs: string[], files: HolderEntry[], ops: HolderOp[]): Promise<void> {
    const staging = this.#path(stagingDir, "request");
    if (staging === "")
      throw new EngineError(`${this.#what()}: a request needs a directory below the volume root`);
    const root = { uid: 0, gid: 0 };
    const entries: TarEntry[] = [];
    const seen = new Set<string>();
    const dir = (path: string, mode: number) => {
      if (seen.has(path)) return;
      seen.add(path);
      entries.push({ type: "directory", path, mode, ...root });
    };
    for (const path of ancestors(staging)) dir(path, 0o700);
    for (const wanted of [...dirs].sort()) {
      for (const path of ancestors(this.#path(wanted, "request"))) dir(path, 0o755);
    }
    for (const file of files) {
      const name = volumePath(file.path);
      if (name === undefined || name === "" || name.includes("/")) {
        throw new EngineError(`${this.#what()}: "${file.path}" is not a file name in the staging directory`);
      }
      entries.push({
        type: "file",
        path: `${staging}/${name}`,
        uid: file.uid,
        gid: file.gid,
        mode: file.mode,
        bytes: file.bytes,
      });
    }
    const request = requestBytes(
      ops.map((op) => {
        const paths = op.op === "mv" ? [op.from, op.to] : [op.path];
        return {
          op: op.op,
          paths: paths.map((path) => {
            const relative = this.#path(path, op.op);
            if (relative === "") throw new EngineError(`${this.#what()}: ${op.op} of the volume root itself`);
            return containerPath(relative);
          }),
        };
      }),
    );
    if (request.length > REQUEST_LIMIT) {
      throw new EngineError(
        `${this.#what()}: one delivery of ${ops.length} file operations is more than the holder reads at once (${REQUEST_LIMIT} bytes of paths)`,
      );
    }
    const name = randomBytes(12).toString("hex");
    // Last in the archive: when its bytes are whole, so are those of every file it names.
    entries.push({ type: "file", path: `${staging}/${name}.req`, mode: 0o600, ...root, bytes: request });
    await this.#putEntries(entries);
    await this.finish(stagingDir, name);
  }

  async finish(stagingDir: string, name: string): Promise<void> {
    const staging = this.#path(stagingDir, "request");
    const stat = (suffix: string) =>
      this.engine
        .statPath(this.#container, containerPath(`${staging}/${name}${suffix}`))
        .catch((error: unknown) => {
          if (notFound(error)) return undefined;
          throw error;
        });
    const started = Date.now();
    let signalled = 0;
    for (let attempt = 0; ; attempt++) {
      const waited = Date.now() - started;
      // The signal again after 1, 2, 4... s: harmless (the holder carries out what it finds), and
      // a holder that was starting when the first came finds the request anyway.
      if (attempt === 0 || waited >= 1000 * 2 ** (signalled - 1)) {
        await this.engine.killContainer(this.#container, "SIGUSR1");
        signalled++;
      }
      if ((await stat(".req")) === undefined) break;
      if (waited > REQUEST_TIMEOUT_MS) {
        throw new EngineError(
          `${this.#what()}: the holder did not carry out a delivery within ${REQUEST_TIMEOUT_MS / 1000} s; run \`up\` again (it starts the holder anew when it does not run)`,
          { resource: `container ${this.#container.name}` },
        );
      }
      await delay(attempt < 5 ? 1 : attempt < 20 ? 5 : 20);
    }
    // Gone: carried out. holder.c renames a failed one (atomically) to .failed, cut to its errno's length.
    const failed = await stat(".failed");
    if (failed !== undefined) {
      throw new EngineError(
        `${this.#what()}: a delivery's file operations failed: ${errnoText(failed.size)}`,
        {
          resource: `container ${this.#container.name}`,
        },
      );
    }
  }

  async run(op: "mv" | "rm", args: string[]): Promise<void> {
    if (args.length === 0) return;
    if (op === "mv" && args.length % 2 !== 0) {
      throw new EngineError(`${this.#what()}: mv takes pairs of paths, got ${args.length} paths`);
    }
    const paths = args.map((arg) => {
      const relative = this.#path(arg, op);
      if (relative === "") throw new EngineError(`${this.#what()}: ${op} of the volume root itself`);
      return containerPath(relative);
    });
    const exec = await this.engine.createExec(this.#container, {
      cmd: ["/holder", op, ...paths],
      tty: false,
      stdin: false,
    });
    const connection = await this.engine.startExec(this.#container, exec, { tty: false });
    await new Promise<void>((resolve) => {
      connection.on("end", resolve);
      connection.on("close", resolve);
      connection.on("error", () => resolve());
      // The holder prints nothing; read anyway, so the connection can end.
      connection.resume();
    });
    const code = await this.#exitCode(exec);
    if (code !== 0) {
      throw new EngineError(
        `${this.#what()}: ${op} ${args.length === 1 ? args[0] : `of ${args.length} paths`} failed: ${errnoText(code)}`,
        { resource: `container ${this.#container.name}` },
      );
    }
  }

  async remove(): Promise<void> {
    // Force: a running holder is killed (it keeps nothing worth a grace period), and a missing one is fine.
    try {
      await this.engine.removeContainer(this.#container, { force: true });
    } catch (error) {
      if (!notFound(error)) throw error;
    }
    try {
      await this.engine.removeVolume(this.volume);
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }

  #what(): string {
    return `secrets holder of project ${this.project}`;
  }

  /** `path` relative to the volume root, or an error naming the operation. */
  #path(path: string, op: string): string {
    const relative = volumePath(path);
    if (relative === undefined) {
      throw new EngineError(`${this.#what()}: ${op}: "${path}" is not a path inside the secrets volume`);
    }
    return relative;
  }

  async #inspectContainer(): Promise<ContainerDetails | undefined> {
    try {
      return await this.engine.inspectContainer(this.#container);
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  /** A container of that name that is not our holder is never used (nor removed). */
  #checkOurs(container: ContainerDetails): void {
    const labels = container.Config.Labels ?? {};
    if (labels[SECRETS_HOLDER_LABEL] !== "true" || labels[LABEL.project] !== this.project) {
      throw new EngineError(
        `container ${this.#container.name} exists and is not the secrets holder of project ${this.project}; remove or rename it`,
        { resource: `container ${this.#container.name}` },
      );
    }
  }

  async #ensureVolume(): Promise<VolumeDetails> {
    let volume = await this.engine.inspectVolume(this.volume);
    if (volume === undefined) {
      try {
        await this.engine.createVolume({
          Name: this.volume,
          Driver: "local",
          DriverOpts: {
            type: "tmpfs",
            device: "tmpfs",
            // noexec, nosuid, nodev: the material is data, never a program or a device.
            o: `size=${this.size},mode=0755,nosuid,nodev,noexec`,
          },
          Labels: secretsVolumeLabels(this.project),
        });
      } catch (error) {
        // Another composec made it at the same moment: checked below like any existing volume.
        if (!conflict(error)) throw error;
      }
      volume = await this.engine.inspectVolume(this.volume);
      if (volume === undefined) throw new EngineError(`volume ${this.volume}: created, then not found`);
    }
    // Secrets go onto this volume: it must be ours and a tmpfs, never a disk.
    const labels = volume.Labels ?? {};
    const options = volume.Options ?? {};
    if (
      labels[SECRETS_MATERIAL_LABEL] !== "true" ||
      labels[LABEL.project] !== this.project ||
      volume.Driver !== "local" ||
      options["type"] !== "tmpfs"
    ) {
      throw new EngineError(
        `volume ${this.volume} exists and is not the secrets tmpfs of project ${this.project} (local driver, type tmpfs, label ${SECRETS_MATERIAL_LABEL}=true); remove it, or rename the project`,
        { resource: `volume ${this.volume}` },
      );
    }
    return volume;
  }

  async #createAndStart(image: string): Promise<void> {
    try {
      await this.engine.createContainer({
        name: this.#container.name,
        Image: image,
        // Requests are uploaded to the staging directory (see request and holder.c).
        Cmd: ["serve", containerPath(ENGINE_STAGING_DIR)],
        Labels: secretsHolderLabels(this.project),
        NetworkDisabled: true,
        HostConfig: {
          Mounts: [{ Type: "volume", Source: this.volume, Target: HOLDER_MOUNT }],
          NetworkMode: "none",
          ReadonlyRootfs: true,
          // No capability at all: the holder runs as root, and root owns every directory it renames
          // in or removes from (stage and mkdirs make them root's), so owner permissions suffice,
          // whoever owns the files (tested: test/integration/holder.test.ts).
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          RestartPolicy: { Name: "no" },
          // The holder itself, plus a few `mv`/`rm` execs at a time.
          PidsLimit: 32,
          // It prints nothing; and should anything in it ever write, no log file on the engine's
          // disk may receive it (the json-file default writes under the data root).
          LogConfig: { Type: "none", Config: {} },
        },
      });
    } catch (error) {
      // Another composec made it at the same moment: start that one (starting twice is harmless).
      if (!conflict(error)) throw error;
    }
    await this.engine.startContainer(this.#container);
  }

  /** The engine may report the exec as running for a moment after its output ended. */
  async #exitCode(exec: string): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const code = await this.engine.execExitCode(this.#container, exec);
      if (code !== undefined) return code;
      await delay(attempt < 10 ? 2 : 20);
    }
    throw new EngineError(`${this.#what()}: an exec's output ended but it did not exit`);
  }

  /** The regular files of the archive at `path` (relative), or undefined when nothing is there. */
  async #get(
    path: string,
  ): Promise<{ name: string; bytes: Buffer; uid: number; gid: number; mode: number }[] | undefined> {
    let stream: Readable;
    try {
      stream = await this.engine.getArchive(this.#container, containerPath(path));
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
    return unpackFiles(stream);
  }

  /** One PUT of `entries` at the volume root, owners kept as the headers say. */
  async #put(entries: TarEntry[]): Promise<void> {
    await this.#putEntries(entries);
  }

  async #putEntries(entries: TarEntry[]): Promise<void> {
    const now = process.hrtime.bigint() % 1_000_000_000n;
    const seconds = Math.floor(Date.now() / 1000);
    const tar = await packTar(entries, { seconds, nanos: Number(now) });
    // copyUIDGID left off: Engine 20.10 then keeps each header's uid and gid (with it on, entries
    // would belong to the container's user; the holder's is root, so the owner would be lost too
    // for any other image user). Verified in test/integration/holder.test.ts.
    await this.engine.putArchive(this.#container, HOLDER_MOUNT, Readable.from([tar]), {
      noOverwriteDirNonDir: true,
    });
  }
}

function containerPath(relative: string): string {
  return relative === "" ? HOLDER_MOUNT : `${HOLDER_MOUNT}/${relative}`;
}

/** The HTTP status behind an EngineError, when the engine answered with one. */
function statusOf(error: unknown): number | undefined {
  const cause =
    error instanceof EngineError ? (error.cause as { statusCode?: unknown } | undefined) : undefined;
  return typeof cause?.statusCode === "number" ? cause.statusCode : undefined;
}

function notFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

function conflict(error: unknown): boolean {
  return statusOf(error) === 409;
}

/** Errno values the holder can exit with, by name (Linux numbers, the same on amd64 and arm64). */
const ERRNO: Record<number, string> = {
  1: "EPERM (operation not permitted)",
  2: "ENOENT (no such file or directory)",
  5: "EIO (input/output error)",
  12: "ENOMEM (out of memory)",
  13: "EACCES (permission denied)",
  16: "EBUSY (device or resource busy)",
  17: "EEXIST (file exists)",
  18: "EXDEV (cross-device link)",
  20: "ENOTDIR (not a directory)",
  21: "EISDIR (is a directory)",
  22: "EINVAL (invalid argument)",
  28: "ENOSPC (no space left on the secrets tmpfs)",
  30: "EROFS (read-only file system)",
  36: "ENAMETOOLONG (file name too long)",
  39: "ENOTEMPTY (directory not empty)",
  40: "ELOOP (too many symbolic links)",
};

/** How an exit status of the holder reads: the errno's name, or the number. */
export function errnoText(code: number): string {
  const known = ERRNO[code];
  if (known !== undefined) return `${known}, errno ${code}`;
  // 126/127: the exec could not run the holder at all; 128+n: it died of signal n.
  if (code > 128) return `the holder died of signal ${code - 128}`;
  return `exit status ${code}`;
}
