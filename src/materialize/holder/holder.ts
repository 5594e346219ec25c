// The engine-side secrets holder: one tmpfs volume per project (`composec-secrets.<project>`) kept
// mounted by a tiny container, whose one program (holder.c) reads and writes that volume for us:
// composec attaches to the container and speaks frames over its stdin/stdout (holder-session.ts),
// so a read or a delivery costs the engine no new process (no exec, no archive call). Nothing
// touches the engine host's disk, and the material's layout is exactly the local one
// (src/materialize/material.ts).
import { performance } from "node:perf_hooks";
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
import { ENGINE_META_DIR, ENGINE_STAGING_DIR, STAGING_LOST_ATTEMPTS } from "../layout.js";
import { ensureHolderImage, holderArch, holderImageName } from "./holder-image.js";
import { ancestors, volumePath } from "./holder-tar.js";
import {
  commitBody,
  decodeRecords,
  FrameKind,
  joinRecords,
  MAX_FRAME_BODY,
  stageBody,
  type CommitOp,
} from "./frames.js";
import { HolderSession, type HolderReply } from "./holder-session.js";

/** A project's secrets volume and the container that keeps it mounted. */
export interface MaterialHolder {
  /** The volume's name. */
  readonly volume: string;
  /** Without changing anything: whether the volume exists and the holder runs, and the volume's Mountpoint on the engine host. */
  inspect(): Promise<{ volume: boolean; running: boolean; mountpoint?: string }>;
  /** Image, volume and a running holder (started again after an engine restart; an empty volume then). Returns the Mountpoint. */
  ensure(): Promise<{ mountpoint: string; fresh: boolean }>;
  /** Cheap change stamp of a path (mtime, mode, size via HEAD archive), undefined when absent. */
  stamp(path: string): Promise<string | undefined>;
  /**
   * One look: whether the holder is ready (it runs, it is ours, on today's image), the volume's
   * Mountpoint as the holder mounts it, and when ready what it holds: the bookkeeping files in
   * .meta with their bytes, and the paths present below .meta/staging, services/ and files/.
   */
  glance(): Promise<{
    ready: boolean;
    running: boolean;
    mountpoint?: string;
    files: Map<string, Buffer>;
    paths: string[];
  }>;
  /**
   * Carries out one delivery in a ready holder: `files` staged (as root, 0600, chunk by chunk),
   * then in one commit the directories `dirs` (0755 root), each staged file's owner and mode, and
   * `ops` in order. Throws an EngineError naming the errno of a failed op.
   */
  deliver(dirs: string[], files: StagedFile[], ops: HolderOp[]): Promise<void>;
  /** The config list (.meta/configs.json) and every file below services/ and files/, with their bytes, by path. Into memory only. */
  values(): Promise<Map<string, Buffer>>;
  /** Ends the attach to the holder, if one is open. */
  close(): void;
  /** Removes the holder container, then the volume (which unmounts the tmpfs). Idempotent. */
  remove(): Promise<void>;
}

/** One operation of a delivery: a rename in the volume, or a recursive removal (paths relative to the volume root). */
export type HolderOp = { op: "mv"; from: string; to: string } | { op: "rm"; path: string };

/** A file to stage: `name` is its name in the staging directory (.meta/staging). */
export interface StagedFile {
  name: string;
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

/** The bytes of a file per STAGE frame: whole secrets (MAX_SECRET_BYTES) in one, with room for the header. */
const STAGE_CHUNK = 1 << 20;
/** The holder's errno for a staged file that is not there (another `up` removed it). */
const ENOENT = 2;

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
  #session: HolderSession | undefined;
  #opening: Promise<HolderSession> | undefined;

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
    // HEAD archive reports no ctime: the mtime (nanoseconds; every delivery renames out of
    // staging, which moves the directory's), the mode and the size.
    return `${stat.mtime ?? ""} ${stat.mode} ${stat.size}`;
  }

  async glance(): Promise<{
    ready: boolean;
    running: boolean;
    mountpoint?: string;
    files: Map<string, Buffer>;
    paths: string[];
  }> {
    const [container, image] = await Promise.all([
      this.#inspectContainer(),
      this.engine.version().then((version) => holderImageName(holderArch(version.arch))),
    ]);
    const running = container?.State.Running === true;
    const nothing = { files: new Map<string, Buffer>(), paths: [] };
    if (container === undefined || !running) return { ready: false, running, ...nothing };
    this.#checkOurs(container);
    // The Mountpoint as the holder has it: the volume cannot change under a running container.
    const mount = (container.Mounts ?? []).find(
      (m) => m.Type === "volume" && m.Name === this.volume && m.Destination === HOLDER_MOUNT,
    );
    const where = mount ? { mountpoint: mount.Source } : {};
    // An older holder speaks no frames: it is replaced on open, and holds nothing to read.
    if (container.Config.Image !== image || mount === undefined)
      return { ready: false, running, ...where, ...nothing };
    const reply = await this.#ask(FrameKind.meta, Buffer.alloc(0), "reading the bookkeeping files");
    const records = reply.bodies.flatMap(decodeRecords);
    const files = joinRecords(
      records.filter(
        (record) =>
          record.path.startsWith(`${ENGINE_META_DIR}/`) && !record.path.startsWith(`${ENGINE_STAGING_DIR}/`),
      ),
    );
    const paths = [...new Set(records.map((record) => record.path))].filter((path) => !files.has(path));
    return { ready: true, running, ...where, files, paths };
  }

  async deliver(dirs: string[], files: StagedFile[], ops: HolderOp[]): Promise<void> {
    const wanted = new Set<string>();
    for (const dir of dirs) for (const path of ancestors(this.#path(dir, "deliver"))) wanted.add(path);
    const commit: CommitOp[] = [
      // Sorted, a parent comes before its children.
      ...[...wanted].sort().map((path) => ({ op: "dir" as const, path })),
    ];
    for (const file of files) {
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(file.name)) {
        throw new EngineError(`${this.#what()}: "${file.name}" is not a file name in the staging directory`);
      }
      commit.push({
        op: "own",
        path: `${ENGINE_STAGING_DIR}/${file.name}`,
        uid: file.uid,
        gid: file.gid,
        mode: file.mode,
      });
    }
    for (const op of ops) {
      if (op.op === "mv")
        commit.push({ op: "mv", from: this.#nonRoot(op.from, "mv"), to: this.#nonRoot(op.to, "mv") });
      else commit.push({ op: "rm", path: this.#nonRoot(op.path, "rm") });
    }
    const body = commitBody(commit);
    if (body.length > MAX_FRAME_BODY) {
      throw new EngineError(
        `${this.#what()}: one delivery of ${commit.length} file operations is more than the holder takes at once (${MAX_FRAME_BODY} bytes of paths)`,
      );
    }
    // Another `up` of the project may remove our staged files as a killed run's (it cannot tell
    // them apart) between our staging and our commit: the commit then fails at its first "own",
    // before any removal or rename, and staging again and committing again is safe.
    for (let attempt = 1; ; attempt++) {
      await this.#stage(files);
      if (commit.length === 0) return;
      const reply = await this.#ask(FrameKind.commit, body, "a delivery");
      if (reply.status === ENOENT && attempt < STAGING_LOST_ATTEMPTS) continue;
      this.#check(reply.status, "a delivery's file operations");
      return;
    }
  }

  /** Every chunk of every file staged and acknowledged: a commit never runs on a file half there. */
  async #stage(files: StagedFile[]): Promise<void> {
    await Promise.all(
      files.flatMap((file) => {
        const chunks: Promise<void>[] = [];
        for (let offset = 0; offset === 0 || offset < file.bytes.length; offset += STAGE_CHUNK) {
          const chunk = file.bytes.subarray(offset, offset + STAGE_CHUNK);
          chunks.push(
            this.#ask(
              FrameKind.stage,
              stageBody(file.name, file.bytes.length, offset, chunk),
              "staging a file",
            ).then((reply) => this.#check(reply.status, "staging a file")),
          );
        }
        return chunks;
      }),
    );
  }

  async values(): Promise<Map<string, Buffer>> {
    let reply: HolderReply;
    try {
      reply = await this.#ask(FrameKind.values, Buffer.alloc(0), "reading the values to mask");
    } catch (error) {
      // No holder running (never started, `down`, an engine restart): it holds nothing to mask.
      const container = await this.#inspectContainer();
      if (container?.State.Running !== true) return new Map();
      throw error;
    }
    this.#check(reply.status, "reading the values to mask");
    return joinRecords(reply.bodies.flatMap(decodeRecords));
  }

  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  /** One request over the attach, opened on first use and again after it ended. */
  async #ask(kind: FrameKind, body: Buffer, what: string): Promise<HolderReply> {
    if (this.#session === undefined || !this.#session.open) {
      this.#session = undefined;
      this.#opening ??= this.engine
        .attachContainer(this.#container, { stdin: true })
        .then((connection) => new HolderSession(connection, this.#what()))
        .finally(() => {
          this.#opening = undefined;
        });
      this.#session = await this.#opening;
    }
    const reply = await this.#session.request(kind, body);
    if (kind === FrameKind.meta) this.#check(reply.status, what);
    return reply;
  }

  #check(status: number, what: string): void {
    if (status !== 0) {
      throw new EngineError(`${this.#what()}: ${what} failed: ${errnoText(status)}`, {
        resource: `container ${this.#container.name}`,
      });
    }
  }

  #nonRoot(path: string, op: string): string {
    const relative = this.#path(path, op);
    if (relative === "") throw new EngineError(`${this.#what()}: ${op} of the volume root itself`);
    return relative;
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
        // Requests come as frames on its stdin (holder.c): kept open across attaches.
        Cmd: ["serve", HOLDER_MOUNT],
        OpenStdin: true,
        StdinOnce: false,
        Labels: secretsHolderLabels(this.project),
        NetworkDisabled: true,
        HostConfig: {
          Mounts: [{ Type: "volume", Source: this.volume, Target: HOLDER_MOUNT }],
          NetworkMode: "none",
          ReadonlyRootfs: true,
          // Two capabilities only: CHOWN to give a staged file its owner, DAC_READ_SEARCH to read
          // a file of any owner and mode back for masking. The holder runs as root and root owns
          // every directory it writes in, renames in or removes from, so owner permissions
          // suffice for the rest (tested: test/integration/holder.test.ts).
          CapDrop: ["ALL"],
          CapAdd: ["CHOWN", "DAC_READ_SEARCH"],
          SecurityOpt: ["no-new-privileges"],
          RestartPolicy: { Name: "no" },
          // The holder alone: nothing runs in it by exec.
          PidsLimit: 4,
          // Its stdout carries the key, the digests and, for masking, the values: no log file on
          // the engine's disk may receive them (the json-file default writes under the data root).
          LogConfig: { Type: "none", Config: {} },
        },
      });
    } catch (error) {
      // Another composec made it at the same moment: start that one (starting twice is harmless).
      if (!conflict(error)) throw error;
    }
    await this.engine.startContainer(this.#container);
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
