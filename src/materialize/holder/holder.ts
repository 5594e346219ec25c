// The engine-side secrets holder: one tmpfs volume per project (`composec-secrets.<project>`) kept mounted by
// a tiny container that does nothing but wait, so the material survives while service containers
// come and go. Every read and write goes through the engine's archive API on that container, and
// renames/removals run our own static executable inside it (`mv`, `rm`): nothing touches the engine
// host's disk, and the material's layout is exactly the local one (src/materialize/material.ts).
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
import { ensureHolderImage } from "./holder-image.js";
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
  /** Runs the holder executable in the holder (`mv` pairs, `rm` paths); throws an EngineError naming the op and errno. */
  run(op: "mv" | "rm", args: string[]): Promise<void>;
  /** Removes the holder container, then the volume (which unmounts the tmpfs). Idempotent. */
  remove(): Promise<void>;
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
  return new EngineMaterialHolder(engine, project, size);
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
    if (container?.State.Running === true) {
      this.#checkOurs(container);
      return { mountpoint: volume.Mountpoint, fresh: false };
    }
    // The local driver mounts the tmpfs when the first container using the volume starts and
    // unmounts it (its contents gone) when the last one stops. With no holder running, the tmpfs
    // survived only if another running container mounts the volume; else starting the holder
    // mounts it anew, empty.
    const users = await this.engine.listContainers({ volume: [this.volume], status: ["running"] });
    const fresh = users.length === 0;
    if (container !== undefined) {
      this.#checkOurs(container);
      // Stopped (an engine restart, a crash): made anew, so its settings are always today's.
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
