// The local store: the project's material on a tmpfs of this host (tmpfs.ts), bind-mounted into
// its containers. Only usable when the engine shares this host's files (a local unix socket).
import { crashPoint } from "../crash-point.js";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, type Dirent } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { EngineError } from "../errors.js";
import type {
  MaterialBatch,
  MaterialStore,
  MaterialWatch,
  SecretMount,
  StoredFile,
  StoredMeta,
} from "./store.js";
import { CONFIGS_FILE, DIGESTS_FILE, KEY_FILE, STAGING_DIR, STAGING_LOST_ATTEMPTS } from "./layout.js";
import type { RuntimeLocation } from "./roots.js";

/** The material in `dir` (`<root>/<project>`), a tmpfs mounted per project or the user's own. */
export class LocalTmpfsStore implements MaterialStore {
  readonly path = "local";

  constructor(
    readonly dir: string,
    private readonly location: RuntimeLocation,
  ) {}

  get where(): string {
    return this.dir;
  }

  async readMeta(): Promise<StoredMeta> {
    const read = (name: string): Promise<Buffer | undefined> =>
      readFile(join(this.dir, name)).catch(() => undefined);
    const [key, digests, configs] = await Promise.all([
      read(KEY_FILE),
      read(DIGESTS_FILE),
      read(CONFIGS_FILE),
    ]);
    return {
      ...(key === undefined ? {} : { key }),
      ...(digests === undefined ? {} : { digests }),
      ...(configs === undefined ? {} : { configs }),
    };
  }

  async open(): Promise<string[]> {
    const { ensureTmpfs } = await import("./tmpfs.js");
    const warnings = await ensureTmpfs(this.dir, this.location);
    crashPoint("material.tmpfs-mounted");
    const staging = join(this.dir, STAGING_DIR);
    // Staging from a crashed run is garbage: nothing in it was ever renamed into place.
    // Renamed away first, then removed: another `up` writing in it at the same time gets ENOENT
    // and writes again (writeAtomically), where removing in place could fail with ENOTEMPTY.
    const trash = `${staging}-${randomBytes(6).toString("hex")}`;
    const moved = await rename(staging, trash).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return false;
        throw error;
      },
    );
    if (moved) await rm(trash, { recursive: true, force: true });
    // A run killed between that rename and that removal left its trash beside staging: garbage too.
    for (const entry of await readdir(this.dir)) {
      if (entry.startsWith(`${STAGING_DIR}-`) && entry !== basename(trash)) {
        await rm(join(this.dir, entry), { recursive: true, force: true });
      }
    }
    await mkdir(staging, { mode: 0o700, recursive: true });
    for (const sub of ["services", "files"]) await ensureDir(this.dir, join(this.dir, sub));
    return warnings;
  }

  /** Whether a tmpfs holds material here (without mounting one). */
  async exists(): Promise<boolean> {
    const { isTmpfs } = await import("./tmpfs.js");
    return isTmpfs(this.dir);
  }

  async missing(paths: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const path of paths) if (!(await exists(join(this.dir, path)))) out.add(path);
    return out;
  }

  async listServices(): Promise<string[]> {
    const names = await Promise.all(
      ["services", "files"].map((sub) => readdir(join(this.dir, sub)).catch(() => [] as string[])),
    );
    return [...new Set(names.flat())];
  }

  async apply(batch: MaterialBatch): Promise<void> {
    for (const dir of batch.dirs) await ensureDir(this.dir, join(this.dir, dir));
    for (const file of batch.writes) await writeAtomically(this.dir, file);
    for (const { dir, keep } of batch.prune) {
      await removeExcept(join(this.dir, dir), new Set(keep.map((path) => join(this.dir, path))));
    }
    for (const dir of batch.removals) await rm(join(this.dir, dir), { recursive: true, force: true });
    for (const file of batch.meta) await writeAtomically(this.dir, file);
  }

  mounts(service: string, dir: string | undefined, files: { path: string; target: string }[]): SecretMount[] {
    void service;
    return [
      ...(dir === undefined
        ? []
        : [{ type: "bind" as const, source: join(this.dir, dir), target: "/run/secrets" }]),
      ...files.map((file) => ({
        type: "bind" as const,
        source: join(this.dir, file.path),
        target: file.target,
      })),
    ];
  }

  async values(): Promise<Buffer[]> {
    return deliveredValuesSync(this.dir);
  }

  /** The values, read synchronously: the masker reads them between two lines of output. */
  valuesSync(): Buffer[] {
    return deliveredValuesSync(this.dir);
  }

  watch(): MaterialWatch {
    return new DeliveryWatch(this.dir);
  }

  async destroy(): Promise<void> {
    const { removeTmpfs } = await import("./tmpfs.js");
    await removeTmpfs(this.dir, this.location);
  }
}

/**
 * The secret bytes in place for every service, read synchronously (small files on a tmpfs): a
 * masker reads them between two lines of output, before it prints them, when values were put in
 * place. Configs are left out: they are not secret, and a log may show them.
 */
export function deliveredValuesSync(dir: string): Buffer[] {
  const out: Buffer[] = [];
  const configs = new Set(Object.values(readConfigListSync(dir)).flat());
  const walk = (path: string): void => {
    for (const entry of readEntries(path)) {
      if (entry.isDirectory()) walk(join(path, entry.name));
      else if (entry.isFile() && !configs.has(relative(dir, join(path, entry.name)))) {
        // A second `up` may remove a file between the listing and the read: it has no value now.
        try {
          out.push(readFileSync(join(path, entry.name)));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
    }
  };
  walk(join(dir, "services"));
  walk(join(dir, "files"));
  return out;
}

/**
 * Tells whether values may have been put in place since it last looked. Every value is written in
 * the staging directory and renamed out of it (writeAtomically), which changes that directory's
 * times, so one stat tells, however many services there are. Removals are not seen: a masker
 * keeps every value it has read (a container may still print a replaced one).
 */
export class DeliveryWatch implements MaterialWatch {
  #stamp: string | undefined;

  constructor(private readonly dir: string) {}

  /**
   * Whether anything changed since the last look (at the first: always), and the staging
   * directory's newest time (ns). Those times are as coarse as the kernel's clock tick, so two
   * changes within one tick share them: a caller that looked in between must read again while the
   * newest time is that recent.
   */
  look(): { changed: boolean; newestNs: bigint } {
    const stats = statSync(join(this.dir, STAGING_DIR), { bigint: true, throwIfNoEntry: false });
    const stamp = stats ? `${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}` : "none";
    const changed = stamp !== this.#stamp;
    this.#stamp = stamp;
    const newestNs = !stats ? 0n : stats.mtimeNs > stats.ctimeNs ? stats.mtimeNs : stats.ctimeNs;
    return { changed, newestNs };
  }
}

function readEntries(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch {
    return [];
  }
}

function readConfigListSync(dir: string): Record<string, string[]> {
  try {
    return JSON.parse(readFileSync(join(dir, CONFIGS_FILE), "utf8")) as Record<string, string[]>;
  } catch {
    return {};
  }
}

/**
 * writeAtomically, again when another `up` of the project removed the staging directory (as a
 * killed run's, in its open) under it: ENOENT on the file or at the rename; nothing was renamed.
 */
async function writeAtomically(dir: string, file: StoredFile): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeStaged(dir, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= STAGING_LOST_ATTEMPTS) throw error;
      await mkdir(join(dir, STAGING_DIR), { mode: 0o700, recursive: true });
    }
  }
}

/** Writes the bytes to a new file in the staging directory with its final owner and mode, then renames it into place. */
async function writeStaged(dir: string, file: StoredFile): Promise<void> {
  const staging = join(dir, STAGING_DIR, randomBytes(12).toString("hex"));
  const handle = await open(staging, "wx", 0o600);
  try {
    await handle.writeFile(file.bytes);
    if (process.getuid?.() === 0) await handle.chown(file.uid, file.gid);
    else if (file.uid !== process.getuid?.() || file.gid !== process.getgid?.()) {
      throw new EngineError(
        `giving a secret to uid ${file.uid}, gid ${file.gid} needs root; run composec as root or drop uid/gid`,
      );
    }
    await handle.chmod(file.mode);
  } catch (error) {
    await handle.close();
    await rm(staging, { force: true });
    throw error;
  }
  await handle.close();
  crashPoint("material.staged");
  await rename(staging, join(dir, file.path));
}

async function removeExcept(dir: string, keep: Set<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await removeExcept(path, keep);
      if ((await readdir(path)).length === 0) await rm(path, { recursive: true, force: true });
    } else if (!keep.has(path)) await rm(path, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates `path` (and its parents up to `root`) traversable by every uid, whatever the umask: the
 * container's user may be anyone, and the files' own modes decide who reads them.
 */
async function ensureDir(root: string, path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  for (let dir = path; dir.startsWith(root) && dir !== root; dir = dirname(dir)) await chmod(dir, 0o755);
}
