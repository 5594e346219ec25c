// The engine-side store: the project's material on a tmpfs volume of the engine's host, kept
// mounted by a holder container (holder/holder.ts), written and read through the Engine API only
// (docs/engine-side-delivery.md), over one attach to the holder per command. Every delivery is
// batched: the changed files of all services staged, then one commit of every owner, mode, removal
// and rename: a rotation costs the same two round trips however many services change, and the
// engine starts no process for it.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import type { Engine } from "../engine/client.js";
import { olderApi } from "../engine/api-version.js";
import { type HolderOp, type MaterialHolder, type StagedFile } from "./holder/holder.js";
import { CONFIGS_FILE, DIGESTS_FILE, ENGINE_STAGING_DIR, enginePath, KEY_FILE } from "./layout.js";
import type { AsyncMaterialWatch, MaterialBatch, MaterialStore, SecretMount, StoredMeta } from "./store.js";

/** The Engine API version that mounts a sub-path of a volume (`VolumeOptions.Subpath`). */
export const SUBPATH_API = "1.45";

/**
 * The mounts of one service on the engine's side: a sub-path of the volume where the API has
 * them, else a bind of the volume's Mountpoint on the engine's host (kept mounted by the holder).
 * Pure; read-only either way.
 */
export function engineSideMounts(
  where: { volume: string; mountpoint: string; apiVersion: string },
  dir: string | undefined,
  files: { path: string; target: string }[],
): SecretMount[] {
  const wanted = [...(dir === undefined ? [] : [{ path: dir, target: "/run/secrets" }]), ...files];
  if (!olderApi(where.apiVersion, SUBPATH_API)) {
    return wanted.map((file) => ({
      type: "volume",
      volume: where.volume,
      subpath: file.path,
      target: file.target,
    }));
  }
  return wanted.map((file) => ({
    type: "bind",
    source: posix.join(where.mountpoint, file.path),
    target: file.target,
  }));
}

/** What one look at the holder found: the bookkeeping files, and staging a killed run left. */
interface Look {
  meta: StoredMeta;
  /** Paths (relative) in staging: files of a run that did not finish. */
  stale: string[];
  /** Paths (relative) of the files present below services/ and files/. */
  present: Set<string>;
  /** Set when the holder was ready: its volume's Mountpoint. */
  mountpoint?: string;
}

export class EngineSideStore implements MaterialStore {
  readonly path = "engine";
  #mountpoint: string | undefined;
  #apiVersion: string | undefined;
  /**
   * The last look, while nothing was written since and the holder was ready: `open` and the read
   * after it use it instead of asking again (a `peek` then an `open` is one read, not two).
   */
  #look: Look | undefined;

  constructor(
    private readonly holder: MaterialHolder,
    private readonly engine: Pick<Engine, "version">,
  ) {}

  get where(): string {
    return `volume ${this.holder.volume} on the engine`;
  }

  async readMeta(): Promise<StoredMeta> {
    return (this.#look ?? (await this.#lookAgain())).meta;
  }

  /**
   * One META request to the holder beside an inspect of it. A holder that does not run (or runs an
   * older image, replaced on open) holds nothing: the engine restarted (its tmpfs is fresh) or a
   * crash left it stopped; what it held is to be delivered anew.
   */
  async #lookAgain(): Promise<Look> {
    const glance = await this.holder.glance();
    if (!glance.ready) {
      this.#look = { meta: {}, stale: [], present: new Set() };
      return this.#look;
    }
    const meta: StoredMeta = {};
    for (const [name, path] of [
      ["key", KEY_FILE],
      ["digests", DIGESTS_FILE],
      ["configs", CONFIGS_FILE],
    ] as const) {
      const bytes = glance.files.get(enginePath(path));
      if (bytes !== undefined) meta[name] = bytes;
    }
    this.#look = {
      meta,
      stale: glance.paths.filter((path) => path.startsWith(`${ENGINE_STAGING_DIR}/`)),
      present: new Set(glance.paths.filter((path) => !path.startsWith(`${ENGINE_STAGING_DIR}/`))),
      ...(glance.mountpoint === undefined ? {} : { mountpoint: glance.mountpoint }),
    };
    return this.#look;
  }

  async open(): Promise<string[]> {
    const [look, version] = await Promise.all([this.#look ?? this.#lookAgain(), this.engine.version()]);
    this.#apiVersion = version.apiVersion;
    if (look.mountpoint !== undefined) {
      // Seen ready just now: no ensure (an image, a volume and a container inspect) needed.
      this.#mountpoint = look.mountpoint;
      return [];
    }
    const ensured = await this.holder.ensure();
    this.#mountpoint = ensured.mountpoint;
    // A fresh tmpfs holds nothing; one that survived (another container mounts the volume) is read.
    if (ensured.fresh)
      this.#look = { meta: {}, stale: [], present: new Set(), mountpoint: ensured.mountpoint };
    else await this.#lookAgain();
    return [];
  }

  /** From the META listing of the last look (the holder lists every file present). */
  async missing(paths: string[]): Promise<Set<string>> {
    const look = this.#look ?? (await this.#lookAgain());
    return new Set(paths.filter((path) => !look.present.has(path)));
  }

  /** Services with a file below services/ or files/, from the same listing. */
  async listServices(): Promise<string[]> {
    const look = this.#look ?? (await this.#lookAgain());
    return [...new Set([...look.present].map((path) => path.split("/")[1] ?? ""))].filter(
      (name) => name !== "",
    );
  }

  /**
   * One delivery: the files staged, then one commit: removals first (what a killed run left in
   * staging, services and files no longer wanted), then the renames in order, the digests and
   * config list last.
   */
  async apply(batch: MaterialBatch): Promise<void> {
    const removals = [
      ...(this.#look?.stale ?? []),
      ...batch.removals,
      ...batch.prune.flatMap(({ keep, known }) => known.filter((path) => !keep.includes(path))),
    ];
    const staged = [...batch.writes, ...batch.meta].map(({ path, bytes, uid, gid, mode }) => ({
      target: path,
      file: { name: randomBytes(12).toString("hex"), bytes, uid, gid, mode } satisfies StagedFile,
    }));
    const ops: HolderOp[] = [
      ...[...new Set(removals)].map((path) => ({ op: "rm" as const, path: enginePath(path) })),
      ...staged.map(({ target, file }) => ({
        op: "mv" as const,
        from: posix.join(ENGINE_STAGING_DIR, file.name),
        to: enginePath(target),
      })),
    ];
    // Written: the next read asks the holder again.
    this.#look = undefined;
    if (ops.length === 0 && batch.dirs.length === 0) return;
    await this.holder.deliver(
      ["services", "files", ...batch.dirs],
      staged.map(({ file }) => file),
      ops,
    );
  }

  mounts(service: string, dir: string | undefined, files: { path: string; target: string }[]): SecretMount[] {
    if (this.#mountpoint === undefined || this.#apiVersion === undefined) {
      throw new Error(`the secrets of service ${service} have no mounts before the holder is running`);
    }
    return engineSideMounts(
      { volume: this.holder.volume, mountpoint: this.#mountpoint, apiVersion: this.#apiVersion },
      dir,
      files,
    );
  }

  async values(): Promise<Buffer[]> {
    const files = await this.holder.values();
    const configs = files.get(enginePath(CONFIGS_FILE));
    files.delete(enginePath(CONFIGS_FILE));
    let list: Record<string, string[]> = {};
    try {
      if (configs !== undefined) list = JSON.parse(configs.toString("utf8")) as Record<string, string[]>;
    } catch {
      // An unreadable list masks every file: too much, never too little.
    }
    const skip = new Set(Object.values(list).flat());
    return [...files].filter(([path]) => !skip.has(path)).map(([, bytes]) => bytes);
  }

  /** A look at the staging directory's change stamp (every delivery renames out of it): one round trip. */
  watch(): AsyncMaterialWatch {
    let last: string | undefined | null = null;
    return {
      look: async () => {
        const stamp = await this.holder.stamp(ENGINE_STAGING_DIR);
        const changed = stamp !== last;
        last = stamp;
        return { changed, newestNs: stampNs(stamp) };
      },
    };
  }

  async destroy(): Promise<void> {
    await this.holder.remove();
  }
}

/** The time a stamp starts with (the staging directory's mtime), in ns since the epoch; now when it has none. */
function stampNs(stamp: string | undefined): bigint {
  if (stamp === undefined) return 0n;
  const ms = Date.parse(stamp.split(" ")[0] ?? "");
  return BigInt(Number.isFinite(ms) ? ms : Date.now()) * 1_000_000n;
}
