// The engine-side store: the project's material on a tmpfs volume of the engine's host, kept
// mounted by a holder container (holder/holder.ts), written and read through the Engine API only
// (docs/engine-side-delivery.md). Every delivery is batched: the changed files of all services in
// one archive upload into staging, then one rename exec for all of them, so a rotation costs the
// same few round trips however many services change.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import type { Engine } from "../engine/client.js";
import { olderApi } from "../engine/api-version.js";
import type { HolderEntry, MaterialHolder } from "./holder/holder.js";
import { CONFIGS_FILE, DIGESTS_FILE, KEY_FILE, STAGING_DIR } from "./layout.js";
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

export class EngineSideStore implements MaterialStore {
  readonly path = "engine";
  #mountpoint: string | undefined;
  #apiVersion: string | undefined;

  constructor(
    private readonly holder: MaterialHolder,
    private readonly engine: Pick<Engine, "version">,
  ) {}

  get where(): string {
    return `volume ${this.holder.volume} on the engine`;
  }

  async readMeta(): Promise<StoredMeta> {
    const read = (path: string): Promise<Buffer | undefined> =>
      this.holder.readFile(path).catch(() => undefined);
    const [state, key, digests, configs] = await Promise.all([
      this.holder.inspect(),
      read(KEY_FILE),
      read(DIGESTS_FILE),
      read(CONFIGS_FILE),
    ]);
    // A holder that does not run holds nothing: the engine restarted (its tmpfs is fresh) or a
    // crash left it stopped. What it held is to be delivered anew.
    if (!state.volume || !state.running) return {};
    return {
      ...(key === undefined ? {} : { key }),
      ...(digests === undefined ? {} : { digests }),
      ...(configs === undefined ? {} : { configs }),
    };
  }

  async open(): Promise<string[]> {
    const [ensured, version, staleStaging] = await Promise.all([
      this.holder.ensure(),
      this.engine.version(),
      // Staging is empty unless a run was killed between its upload and its rename. Looking costs
      // no round trip on the way (it runs beside ensure); emptying it always cost an exec, about a
      // third of a rotation's time. When the look fails, empty it to be safe.
      this.holder.read(STAGING_DIR).then(
        (entries) => entries.length > 0,
        () => true,
      ),
    ]);
    this.#mountpoint = ensured.mountpoint;
    this.#apiVersion = version.apiVersion;
    await Promise.all([
      // Staging from a crashed run is garbage: nothing in it was ever renamed into place.
      ensured.fresh || !staleStaging ? Promise.resolve() : this.holder.run("rm", [STAGING_DIR]),
      this.holder.mkdirs(["services", "files"]),
    ]);
    return [];
  }

  /** Files the digests say are in place are taken to be: looking would cost a round trip each. */
  async missing(): Promise<Set<string>> {
    return new Set();
  }

  /** The digests name every service with material: listing the volume would cost a round trip. */
  async listServices(): Promise<string[]> {
    return [];
  }

  async apply(batch: MaterialBatch): Promise<void> {
    const removals = [
      ...batch.removals,
      ...batch.prune.flatMap(({ keep, known }) => known.filter((path) => !keep.includes(path))),
    ];
    const unique = [...new Set(removals)];
    const staged = [...batch.writes, ...batch.meta].map((file) => ({
      file,
      name: randomBytes(12).toString("hex"),
    }));
    const entries: HolderEntry[] = staged.map(({ file, name }) => ({
      path: name,
      bytes: file.bytes,
      uid: file.uid,
      gid: file.gid,
      mode: file.mode,
    }));
    // Removals and directories go first (they never touch a path being written), beside the upload.
    await Promise.all([
      (async () => {
        if (unique.length > 0) await this.holder.run("rm", unique);
        if (batch.dirs.length > 0) await this.holder.mkdirs(batch.dirs);
      })(),
      entries.length > 0 ? this.holder.stage(STAGING_DIR, entries) : Promise.resolve(),
    ]);
    // One exec renames everything, in order: the writes, then the digests and config list that
    // describe them. A crash before it leaves only staging, which the next open empties.
    if (staged.length > 0) {
      await this.holder.run(
        "mv",
        staged.flatMap(({ file, name }) => [posix.join(STAGING_DIR, name), file.path]),
      );
    }
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
    const [services, files, configs] = await Promise.all([
      this.holder.read("services"),
      this.holder.read("files"),
      this.holder.readFile(CONFIGS_FILE),
    ]);
    let list: Record<string, string[]> = {};
    try {
      if (configs !== undefined) list = JSON.parse(configs.toString("utf8")) as Record<string, string[]>;
    } catch {
      // An unreadable list masks every file: too much, never too little.
    }
    const skip = new Set(Object.values(list).flat());
    return [...services, ...files].filter((entry) => !skip.has(entry.path)).map((entry) => entry.bytes);
  }

  /** A look at the staging directory's change stamp: one round trip. */
  watch(): AsyncMaterialWatch {
    let last: string | undefined | null = null;
    return {
      look: async () => {
        const stamp = await this.holder.stamp(STAGING_DIR);
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
