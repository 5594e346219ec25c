// A project's secret material on its tmpfs: one directory per service holding exactly the secrets
// that service lists (mounted read-only at /run/secrets), single files for absolute targets, and the
// keyed digests of what was delivered, so the next `up` can tell what changed without ever keeping
// a plain hash of a secret anywhere. Configs travel the same way, beside the secrets; a list says
// which files are configs, so that log masking leaves them alone (they are not secret).
//
//   <dir>/.key              32 random bytes, the HMAC key for the digests (0600)
//   <dir>/.digests.json     { "<service>": { "<target>": "<hmac>" } } of what is in place (0600)
//   <dir>/.configs.json     { "<service>": ["services/<name>/app.conf", ...] }: the configs (0600)
//   <dir>/.staging/         new files are written here, then renamed into place (0700)
//   <dir>/services/<name>/  /run/secrets of service <name> (0755, root)
//   <dir>/files/<name>/     absolute targets of service <name>, one file each
//
// Everything lives on the project's tmpfs: the key and digests vanish with the bytes they describe.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, type Dirent } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, posix, relative } from "node:path";
import { EngineError } from "../errors.js";
import { isUnderSecretsDir } from "../loader/finalize.js";
import { SECRETS_DIR, type Service, type ServiceSecret } from "../model/project.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { crashPoint } from "../crash-point.js";

/** One file a service receives: a secret or config grant, with the bytes resolved for it. */
export interface MaterialFile extends ServiceSecret {
  kind: "secret" | "config";
  value: SecretValue;
}

/** Resolved bytes by key: the service's secrets, and its configs. */
type Values = Map<string, SecretValue>;

/** The files a service receives: each secret grant, then each config grant, with its bytes. */
export function materialFiles(
  service: Service,
  secrets: Values,
  configs: Values = new Map(),
): MaterialFile[] {
  const files: MaterialFile[] = [];
  for (const [kind, grants, values] of [
    ["secret", service.secrets, secrets],
    ["config", service.configs, configs],
  ] as const) {
    for (const grant of grants) {
      const value = values.get(grant.source);
      if (!value)
        throw new EngineError(`${kind} "${grant.source}" of service ${service.name} was not resolved`);
      files.push({ ...grant, kind, value });
    }
  }
  return files;
}

/** A read-only bind mount the container needs for its secrets. */
export interface SecretMount {
  source: string;
  target: string;
}

/** What delivering a service's secrets means now, compared with what is in place. */
export interface ServiceMaterial {
  service: string;
  mounts: SecretMount[];
  /** Targets under /run/secrets whose content (or owner, mode) differs from what is in place. */
  changedLive: string[];
  /** Absolute targets that differ: a single-file bind keeps the old file, so recreate. */
  changedAbsolute: string[];
  /** Nothing was delivered for this service yet (first `up`, or after a reboot emptied the tmpfs). */
  firstDelivery: boolean;
}

type Digests = Record<string, Record<string, string>>;

const KEY_FILE = ".key";
const DIGESTS_FILE = ".digests.json";
const CONFIGS_FILE = ".configs.json";
const STAGING_DIR = ".staging";

export class ProjectMaterial {
  private constructor(
    readonly dir: string,
    /** Absent when nothing was ever delivered here: then everything counts as changed. */
    private readonly key: Buffer | undefined,
    private readonly delivered: Digests,
    /** Paths (relative to `dir`) of the files in place that are configs, per service. */
    private readonly configs: Record<string, string[]>,
  ) {}

  /** Digests of absolute targets written but not yet seen by a container (see deliver). */
  private readonly pending: Digests = {};

  /** A read-only view of the material in `dir`, which may not exist: writes nothing. */
  static async peek(dir: string): Promise<ProjectMaterial> {
    const key = await readFile(join(dir, KEY_FILE)).catch(() => undefined);
    return new ProjectMaterial(
      dir,
      key?.length === 32 ? key : undefined,
      await readDigests(dir),
      await readConfigList(dir),
    );
  }

  /** Opens the material in `dir` (a tmpfs), creating the key on first use. */
  static async open(dir: string): Promise<ProjectMaterial> {
    const uid = process.getuid?.() ?? 0;
    await mkdir(join(dir, STAGING_DIR), { recursive: true, mode: 0o700 });
    // Staging from a crashed run is garbage: nothing in it was ever renamed into place.
    await rm(join(dir, STAGING_DIR), { recursive: true, force: true });
    await mkdir(join(dir, STAGING_DIR), { mode: 0o700 });
    for (const sub of ["services", "files"]) await ensureDir(dir, join(dir, sub));
    let key: Buffer;
    try {
      key = await readFile(join(dir, KEY_FILE));
      if (key.length !== 32) throw new Error("wrong length");
    } catch {
      key = randomBytes(32);
      await writeAtomically(dir, join(dir, KEY_FILE), key, {
        uid,
        gid: process.getgid?.() ?? 0,
        mode: 0o600,
      });
    }
    return new ProjectMaterial(dir, key, await readDigests(dir), await readConfigList(dir));
  }

  /** The service's mounts and what differs from the material in place. Reads nothing from disk. */
  compare(service: Service, secrets: Values, configs?: Values): ServiceMaterial {
    return this.compareFiles(service.name, materialFiles(service, secrets, configs));
  }

  private compareFiles(service: string, files: MaterialFile[]): ServiceMaterial {
    const before = this.delivered[service];
    const changedLive: string[] = [];
    const changedAbsolute: string[] = [];
    for (const file of files) {
      const digest = this.digest(file, file.value);
      if (digest !== "" && before?.[file.target] === digest) continue;
      (isUnderSecretsDir(file.target) ? changedLive : changedAbsolute).push(file.target);
    }
    return {
      service,
      mounts: this.mountsFor(service, files),
      changedLive,
      changedAbsolute,
      firstDelivery: !before,
    };
  }

  /** Bind mounts for the service: its directory at /run/secrets, and one per absolute target. */
  mounts(service: Service): SecretMount[] {
    return this.mountsFor(service.name, [...service.secrets, ...service.configs]);
  }

  private mountsFor(service: string, files: ServiceSecret[]): SecretMount[] {
    const mounts: SecretMount[] = [];
    if (files.some((file) => isUnderSecretsDir(file.target))) {
      mounts.push({ source: this.serviceDir(service), target: SECRETS_DIR });
    }
    for (const file of files) {
      if (!isUnderSecretsDir(file.target))
        mounts.push({ source: this.absoluteFile(service, file.target), target: file.target });
    }
    return mounts;
  }

  /**
   * Puts the service's secrets in place: changed files are written in staging with their final
   * owner and mode, then renamed over the old ones, so a running container sees either the old or
   * the new bytes, never a partial file. Files of secrets the service no longer lists are removed.
   *
   * A running container keeps the old file of an absolute target until it is replaced, so a new
   * digest for such a target is only pending here; `commitReplaced` records it once the service's
   * containers were made again. Until then (`--no-recreate`, a crash) the next `up` still sees the
   * change.
   */
  async deliver(service: Service, secrets: Values, configs?: Values): Promise<void> {
    await this.deliverFiles(service.name, materialFiles(service, secrets, configs));
  }

  private async deliverFiles(service: string, files: MaterialFile[]): Promise<void> {
    const before = this.delivered[service] ?? {};
    const after: Record<string, string> = {};
    const serviceDir = this.serviceDir(service);
    await ensureDir(this.dir, serviceDir);
    await ensureDir(this.dir, join(this.dir, "files", service));
    // A file listed as a config is not masked in logs. A path that stops being a config leaves the
    // list before its new bytes arrive, and one that becomes a config joins it only after: a
    // masker reading in between masks too much, never too little.
    const configs = files
      .filter((file) => file.kind === "config")
      .map((file) => relative(this.dir, this.pathFor(service, file.target)));
    const kept = (this.configs[service] ?? []).filter((path) => configs.includes(path));
    await this.saveConfigList(service, kept);
    const wanted = new Set<string>();
    for (const file of files) {
      const digest = this.digest(file, file.value);
      const path = this.pathFor(service, file.target);
      wanted.add(path);
      const absolute = !isUnderSecretsDir(file.target);
      if (absolute && before[file.target] !== digest) {
        (this.pending[service] ??= {})[file.target] = digest;
        if (before[file.target] !== undefined) after[file.target] = before[file.target]!;
      } else after[file.target] = digest;
      if (before[file.target] === digest && (await exists(path))) continue;
      await ensureDir(this.dir, dirname(path));
      await writeAtomically(this.dir, path, file.value.bytes(), file);
    }
    await removeExcept(serviceDir, wanted);
    await removeExcept(join(this.dir, "files", service), wanted);
    this.delivered[service] = after;
    await this.saveDigests();
    await this.saveConfigList(service, configs);
    crashPoint("material.service-delivered");
  }

  /** Whether anything was delivered for `service` (false after a reboot emptied the tmpfs). */
  hasDelivered(service: string): boolean {
    return this.delivered[service] !== undefined;
  }

  /** Records the pending digests of absolute targets for services whose containers were made anew. */
  async commitReplaced(services: Iterable<string>): Promise<void> {
    let changed = false;
    for (const service of services) {
      const pending = this.pending[service];
      if (!pending) continue;
      this.delivered[service] = { ...this.delivered[service], ...pending };
      delete this.pending[service];
      changed = true;
    }
    if (changed) await this.saveDigests();
  }

  /** Removes the material of services not in `keep` (services gone, with no container left). */
  async removeServicesExcept(keep: Set<string>): Promise<void> {
    for (const sub of ["services", "files"]) {
      for (const name of await readdir(join(this.dir, sub)).catch(() => [] as string[])) {
        if (!keep.has(name)) await rm(join(this.dir, sub, name), { recursive: true, force: true });
      }
    }
    for (const name of Object.keys(this.delivered)) if (!keep.has(name)) delete this.delivered[name];
    await this.saveDigests();
    for (const name of Object.keys(this.configs)) if (!keep.has(name)) await this.saveConfigList(name, []);
  }

  private digest(grant: ServiceSecret, value: SecretValue): string {
    if (!this.key) return "";
    return createHmac("sha256", this.key)
      .update(`${grant.uid}:${grant.gid}:${grant.mode}\0`)
      .update(value.bytes())
      .digest("hex");
  }

  private serviceDir(service: string): string {
    return join(this.dir, "services", service);
  }

  private absoluteFile(service: string, target: string): string {
    // The file's name only has to be unique per target; the target itself is not secret.
    return join(this.dir, "files", service, createHash("sha256").update(target).digest("hex").slice(0, 24));
  }

  private pathFor(service: string, target: string): string {
    return isUnderSecretsDir(target)
      ? join(this.serviceDir(service), posix.relative(SECRETS_DIR, target))
      : this.absoluteFile(service, target);
  }

  /** Records the service's config files; writes only when the list changes. */
  private async saveConfigList(service: string, paths: string[]): Promise<void> {
    const before = this.configs[service] ?? [];
    if (before.length === paths.length && before.every((path, index) => path === paths[index])) return;
    if (paths.length > 0) this.configs[service] = paths;
    else delete this.configs[service];
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o600 };
    await writeAtomically(
      this.dir,
      join(this.dir, CONFIGS_FILE),
      Buffer.from(JSON.stringify(this.configs)),
      owner,
    );
  }

  private async saveDigests(): Promise<void> {
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o600 };
    await writeAtomically(
      this.dir,
      join(this.dir, DIGESTS_FILE),
      Buffer.from(JSON.stringify(this.delivered)),
      owner,
    );
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
export class DeliveryWatch {
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

async function readConfigList(dir: string): Promise<Record<string, string[]>> {
  try {
    return JSON.parse(await readFile(join(dir, CONFIGS_FILE), "utf8")) as Record<string, string[]>;
  } catch {
    return {};
  }
}

function readConfigListSync(dir: string): Record<string, string[]> {
  try {
    return JSON.parse(readFileSync(join(dir, CONFIGS_FILE), "utf8")) as Record<string, string[]>;
  } catch {
    return {};
  }
}

async function readDigests(dir: string): Promise<Digests> {
  try {
    return JSON.parse(await readFile(join(dir, DIGESTS_FILE), "utf8")) as Digests;
  } catch {
    return {};
  }
}

/** Writes `bytes` to a new file in the staging directory with its final owner and mode, then renames it to `path`. */
async function writeAtomically(
  dir: string,
  path: string,
  bytes: Buffer,
  owner: { uid: number; gid: number; mode: number },
): Promise<void> {
  const staging = join(dir, STAGING_DIR, randomBytes(12).toString("hex"));
  const handle = await open(staging, "wx", 0o600);
  try {
    await handle.writeFile(bytes);
    if (process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
    else if (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.()) {
      throw new EngineError(
        `giving a secret to uid ${owner.uid}, gid ${owner.gid} needs root; run composec as root or drop uid/gid`,
      );
    }
    await handle.chmod(owner.mode);
  } catch (error) {
    await handle.close();
    await rm(staging, { force: true });
    throw error;
  }
  await handle.close();
  crashPoint("material.staged");
  await rename(staging, path);
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
