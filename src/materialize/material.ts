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
// This file decides what to write; a MaterialStore (store.ts) does the reading and writing, on this
// host's tmpfs (local-store.ts) or on the engine's (engine-store.ts), with the same layout.
import { createHmac, randomBytes } from "node:crypto";
import { posix } from "node:path";
import { isUnderSecretsDir } from "../model/secret-rules.js";
import type { Service, ServiceSecret } from "../model/project.js";
import type { FreshMaterial } from "../plan/secrets-plan.js";
import type { ObservedMaterial } from "../plan/state.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { EngineError } from "../errors.js";
import { CONFIGS_FILE, DIGESTS_FILE, filesDir, KEY_FILE, pathFor, serviceDir } from "./layout.js";
import type { MaterialBatch, MaterialStore, SecretMount, StoredFile, StoredMeta } from "./store.js";

export type { SecretMount } from "./store.js";

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

/** What delivering a service's secrets means now, compared with what is in place. */
export interface ServiceMaterial {
  service: string;
  /** Targets under /run/secrets whose content (or owner, mode) differs from what is in place. */
  changedLive: string[];
  /** Absolute targets that differ: a single-file mount keeps the old file, so recreate. */
  changedAbsolute: string[];
  /** Nothing was delivered for this service yet (first `up`, or after a reboot emptied the tmpfs). */
  firstDelivery: boolean;
}

type Digests = Record<string, Record<string, string>>;

/** The bookkeeping files belong to whoever runs composec locally; root on the engine's side. */
const metaOwner = (store: MaterialStore): { uid: number; gid: number; mode: number } =>
  store.path === "local"
    ? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mode: 0o600 }
    : { uid: 0, gid: 0, mode: 0o600 };

export class ProjectMaterial {
  private constructor(
    readonly store: MaterialStore,
    /** Absent when nothing was ever delivered here: then everything counts as changed. */
    private readonly key: Buffer | undefined,
    private readonly delivered: Digests,
    /** Paths (relative to the root) of the files in place that are configs, per service. */
    private readonly configs: Record<string, string[]>,
    /** Warnings from making the place writable (swap), to show. */
    readonly warnings: string[] = [],
  ) {}

  /** Digests of absolute targets written but not yet seen by a container (see deliver). */
  private readonly pending: Digests = {};

  /** A read-only view of the material in the store, which may hold nothing: writes nothing. */
  static async peek(store: MaterialStore): Promise<ProjectMaterial> {
    const meta = await store.readMeta();
    return new ProjectMaterial(
      store,
      meta.key?.length === 32 ? meta.key : undefined,
      parse<Digests>(meta.digests),
      parse<Record<string, string[]>>(meta.configs),
    );
  }

  /** Opens the material for writing (mounting or starting its place), creating the key on first use. */
  static async open(store: MaterialStore): Promise<ProjectMaterial> {
    const warnings = await store.open();
    const meta: StoredMeta = await store.readMeta();
    let key = meta.key;
    if (key?.length !== 32) {
      key = randomBytes(32);
      await store.apply({
        dirs: [],
        writes: [],
        prune: [],
        removals: [],
        meta: [{ path: KEY_FILE, bytes: key, ...metaOwner(store) }],
      });
    }
    return new ProjectMaterial(
      store,
      key,
      parse<Digests>(meta.digests),
      parse<Record<string, string[]>>(meta.configs),
      warnings,
    );
  }

  /** What differs from the material in place for the service. Reads nothing. */
  compare(service: Service, secrets: Values, configs?: Values): ServiceMaterial {
    const files = materialFiles(service, secrets, configs);
    const before = this.delivered[service.name];
    const changedLive: string[] = [];
    const changedAbsolute: string[] = [];
    for (const file of files) {
      const digest = this.digest(file, file.value);
      if (digest !== "" && before?.[file.target] === digest) continue;
      (isUnderSecretsDir(file.target) ? changedLive : changedAbsolute).push(file.target);
    }
    return { service: service.name, changedLive, changedAbsolute, firstDelivery: !before };
  }

  /** The service's mounts: its directory at /run/secrets, and one per absolute target (after `open`). */
  mounts(service: Service): SecretMount[] {
    const grants = [...service.secrets, ...service.configs];
    return this.store.mounts(
      service.name,
      grants.some((grant) => isUnderSecretsDir(grant.target)) ? serviceDir(service.name) : undefined,
      grants
        .filter((grant) => !isUnderSecretsDir(grant.target))
        .map((grant) => ({ path: pathFor(service.name, grant.target), target: grant.target })),
    );
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
    await this.deliverAll([service], secrets, configs);
  }

  /**
   * Delivers every one of `services` in one batch of the store (one staging and one rename for all
   * of them on the engine's side); with `keep`, the material of every other service not in it goes.
   */
  async deliverAll(
    services: Service[],
    secrets: Values,
    configs?: Values,
    keep?: Set<string>,
  ): Promise<void> {
    const batch: MaterialBatch = { dirs: [], writes: [], prune: [], removals: [], meta: [] };
    const owner = metaOwner(this.store);
    const configsBefore = JSON.stringify(this.configs);
    const planned = services.map((service) => ({
      service: service.name,
      files: materialFiles(service, secrets, configs).map((file) => ({
        ...file,
        path: pathFor(service.name, file.target),
      })),
    }));
    const missing = await this.store.missing(
      planned.flatMap(({ service, files }) =>
        files
          .filter((file) => this.delivered[service]?.[file.target] === this.digest(file, file.value))
          .map((file) => file.path),
      ),
    );
    // A file listed as a config is not masked in logs. A path that stops being a config leaves the
    // list before its new bytes arrive, and one that becomes a config joins it only after: a
    // masker reading in between masks too much, never too little.
    const finalConfigs: Record<string, string[]> = {};
    for (const { service, files } of planned) {
      const configPaths = files.filter((file) => file.kind === "config").map((file) => file.path);
      finalConfigs[service] = configPaths;
      const kept = (this.configs[service] ?? []).filter((path) => configPaths.includes(path));
      setList(this.configs, service, kept);
    }
    if (JSON.stringify(this.configs) !== configsBefore) {
      batch.writes.push({ path: CONFIGS_FILE, bytes: Buffer.from(JSON.stringify(this.configs)), ...owner });
    }
    for (const { service, files } of planned) {
      const before = this.delivered[service] ?? {};
      const after: Record<string, string> = {};
      batch.dirs.push(serviceDir(service), filesDir(service));
      for (const file of files) {
        const digest = this.digest(file, file.value);
        if (!isUnderSecretsDir(file.target) && before[file.target] !== digest) {
          (this.pending[service] ??= {})[file.target] = digest;
          if (before[file.target] !== undefined) after[file.target] = before[file.target]!;
        } else after[file.target] = digest;
        if (before[file.target] === digest && !missing.has(file.path)) continue;
        batch.dirs.push(posix.dirname(file.path));
        batch.writes.push({
          path: file.path,
          bytes: file.value.bytes(),
          uid: file.uid,
          gid: file.gid,
          mode: file.mode,
        });
      }
      const keepPaths = files.map((file) => file.path);
      const known = Object.keys(before).map((target) => pathFor(service, target));
      batch.prune.push(
        { dir: serviceDir(service), keep: keepPaths, known },
        { dir: filesDir(service), keep: keepPaths, known },
      );
      this.delivered[service] = after;
    }
    if (keep) {
      const delivering = new Set(services.map((service) => service.name));
      for (const name of await this.serviceNames()) {
        if (keep.has(name) || delivering.has(name)) continue;
        batch.removals.push(serviceDir(name), filesDir(name));
        delete this.delivered[name];
        delete finalConfigs[name];
        delete this.configs[name];
      }
    }
    batch.dirs = [...new Set(batch.dirs)];
    batch.meta.push({ path: DIGESTS_FILE, bytes: Buffer.from(JSON.stringify(this.delivered)), ...owner });
    const configsAfter: Record<string, string[]> = { ...this.configs };
    for (const [service, paths] of Object.entries(finalConfigs)) setList(configsAfter, service, paths);
    if (JSON.stringify(configsAfter) !== JSON.stringify(this.configs)) {
      batch.meta.push({ path: CONFIGS_FILE, bytes: Buffer.from(JSON.stringify(configsAfter)), ...owner });
    }
    Object.assign(this.configs, configsAfter);
    for (const name of Object.keys(this.configs)) if (!configsAfter[name]) delete this.configs[name];
    await this.store.apply(batch);
  }

  /** What is in place, as the planner sees it: keyed digests and the services with material. */
  async observed(): Promise<ObservedMaterial> {
    return { delivered: structuredClone(this.delivered), services: (await this.serviceNames()).sort() };
  }

  /**
   * Per service among `services`, the targets the digests say are in place whose file the store
   * does not find (removed by hand under a running container). One call of the store for all.
   */
  async missing(services: string[]): Promise<Record<string, string[]>> {
    const byPath = new Map<string, { service: string; target: string }>();
    for (const service of services) {
      for (const target of Object.keys(this.delivered[service] ?? {})) {
        byPath.set(pathFor(service, target), { service, target });
      }
    }
    if (byPath.size === 0) return {};
    const out: Record<string, string[]> = {};
    for (const path of await this.store.missing([...byPath.keys()])) {
      const file = byPath.get(path);
      if (file !== undefined) (out[file.service] ??= []).push(file.target);
    }
    for (const targets of Object.values(out)) targets.sort();
    return out;
  }

  /** The keyed digests of what `services` are to receive ("" for all while no key exists). Reads nothing. */
  fresh(services: Service[], secrets: Values, configs?: Values): FreshMaterial {
    return Object.fromEntries(
      services.map((service) => [
        service.name,
        materialFiles(service, secrets, configs).map((file) => ({
          kind: file.kind,
          source: file.source,
          target: file.target,
          digest: this.digest(file, file.value),
        })),
      ]),
    );
  }

  /** Delivers `services` and removes the material of `remove`, in one batch of the store. */
  async deliverAndRemove(
    services: Service[],
    secrets: Values,
    configs: Values,
    remove: string[],
  ): Promise<void> {
    const gone = new Set(remove);
    const keep = new Set((await this.serviceNames()).filter((name) => !gone.has(name)));
    await this.deliverAll(services, secrets, configs, keep);
  }

  /** Whether the store holds material at all (a key was made there). */
  holdsAnything(): boolean {
    return this.key !== undefined;
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
    if (changed) await this.saveMeta([]);
  }

  /** Removes the material of services not in `keep` (services gone, with no container left). */
  async removeServicesExcept(keep: Set<string>): Promise<void> {
    await this.deliverAll([], new Map(), new Map(), keep);
  }

  /** Services with material: those the digests name, and those with a directory the digests may have lost. */
  private async serviceNames(): Promise<string[]> {
    return [
      ...new Set([
        ...Object.keys(this.delivered),
        ...Object.keys(this.configs),
        ...(await this.store.listServices()),
      ]),
    ];
  }

  private digest(grant: ServiceSecret, value: SecretValue): string {
    if (!this.key) return "";
    return createHmac("sha256", this.key)
      .update(`${grant.uid}:${grant.gid}:${grant.mode}\0`)
      .update(value.bytes())
      .digest("hex");
  }

  private async saveMeta(removals: string[]): Promise<void> {
    const meta: StoredFile[] = [
      { path: DIGESTS_FILE, bytes: Buffer.from(JSON.stringify(this.delivered)), ...metaOwner(this.store) },
    ];
    await this.store.apply({ dirs: [], writes: [], prune: [], removals, meta });
  }
}

function setList(lists: Record<string, string[]>, service: string, paths: string[]): void {
  if (paths.length > 0) lists[service] = paths;
  else delete lists[service];
}

function parse<T extends object>(bytes: Buffer | undefined): T {
  if (bytes === undefined) return {} as T;
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch {
    return {} as T;
  }
}
