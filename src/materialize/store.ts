// Where a project's secret material is kept, behind one interface: ProjectMaterial (material.ts)
// decides what to write, a MaterialStore does the I/O. Two stores share the layout described in
// material.ts: the local tmpfs on this host (local-store.ts) and a tmpfs volume on the engine's
// host held mounted by a holder container (engine-store.ts). compose/ never asks which one it has.

/** A read-only mount of the service's material, as the container's create body needs it. */
export type SecretMount =
  /** A path on the engine's host (the local tmpfs, or the holder's volume's Mountpoint before API 1.45). */
  | { type: "bind"; source: string; target: string }
  /** A sub-path of a volume (`VolumeOptions.Subpath`, Engine API 1.45+). */
  | { type: "volume"; volume: string; subpath: string; target: string };

/** One file written into the material, relative to its root (`services/web/db`, `.digests.json`). */
export interface StoredFile {
  path: string;
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

/** The bookkeeping files in place, as bytes, each absent when missing. */
export interface StoredMeta {
  key?: Buffer;
  digests?: Buffer;
  configs?: Buffer;
}

/**
 * One delivery: `writes` put in place in this order, each atomically (staged, then renamed); then
 * what is no longer wanted removed; then `meta` (digests, config list) put in place the same way.
 */
export interface MaterialBatch {
  /** Directories (relative) to hold the writes, made traversable by every uid. */
  dirs: string[];
  writes: StoredFile[];
  /** Per directory (relative): the files it keeps, and those the digests say were put there; the rest goes. */
  prune: { dir: string; keep: string[]; known: string[] }[];
  /** Directories (relative) removed whole: services whose material goes. */
  removals: string[];
  meta: StoredFile[];
}

/** A cheap look at whether values may have been put in place since the last look. */
export interface MaterialWatch {
  look(): { changed: boolean; newestNs: bigint };
}

/** The same look, when it needs a round trip (the engine-side store). */
export interface AsyncMaterialWatch {
  look(): Promise<{ changed: boolean; newestNs: bigint }>;
}

/** Where the project's material lives, and every read and write of it. */
export interface MaterialStore {
  /** Which delivery path this is: `local` (this host's tmpfs) or `engine` (the engine's host). */
  readonly path: "local" | "engine";
  /** Where the material is, for messages (a directory, or a volume on the engine). */
  readonly where: string;
  /** The key, digests and config list in place; reads only, writes nothing, makes nothing. */
  readMeta(): Promise<StoredMeta>;
  /**
   * Makes the place writable (a tmpfs mounted, a holder running), empties staging a crashed run
   * left, and makes the base directories. Returns warnings to show.
   */
  open(): Promise<string[]>;
  /** Paths (relative) among `paths` that are missing although the digests say they are in place. */
  missing(paths: string[]): Promise<Set<string>>;
  /** Services with a directory of material that a cheap listing finds (none where listing costs a round trip). */
  listServices(): Promise<string[]>;
  /** Carries out one delivery: every write staged and renamed into place, then the removals. */
  apply(batch: MaterialBatch): Promise<void>;
  /**
   * The mounts a service needs: its directory at /run/secrets (`dir`, when it has one) and one
   * single file per absolute target. Valid after `open`.
   */
  mounts(service: string, dir: string | undefined, files: { path: string; target: string }[]): SecretMount[];
  /** The secret bytes in place (every file below services/ and files/ but the configs), into memory. */
  values(): Promise<Buffer[]>;
  /** Removes everything: the material and its place (`down`). */
  destroy(): Promise<void>;
}
