// What the project's secret material needs, decided in pure code: fresh keyed digests (of the
// resolved values, computed at the edge; never the values) against the delivered ones that observe
// read. The answer says which services get their material written and why, whose material goes,
// which containers must be made anew (typed causes the up-planner takes), and which are told by
// signal. The up-planner (up-plan.ts) turns it into plan steps; `run` takes its one service's.
import { isUnderSecretsDir } from "../model/secret-rules.js";
import { pathFor, serviceDir } from "../materialize/layout.js";
import type { Project, Service } from "../model/project.js";
import type { ObservedMaterial } from "./state.js";
import type { MaterialMounts, Operation } from "./types.js";

/** The service extension naming a signal to send after its secrets changed in place. */
export const RELOAD_SIGNAL_EXTENSION = "x-composec-reload-signal";

/** One file a service is to receive, by its keyed digest ("" when no key exists yet: all is new). */
export interface FreshFile {
  kind: "secret" | "config";
  /** The key under top-level `secrets:` / `configs:`. */
  source: string;
  target: string;
  digest: string;
}

/** The files each selected service with material is to receive. */
export type FreshMaterial = Record<string, FreshFile[]>;

/** Why a service's existing containers must be made anew, for a reason the engine cannot show. */
export type RecreateCause =
  /** Containers exist but no material is in place for them (a reboot emptied the tmpfs). */
  | { kind: "material-lost" }
  /** Files at absolute targets changed: a single-file mount keeps the old file. */
  | { kind: "absolute-changed"; files: { kind: "secret" | "config"; target: string }[] }
  /** A secret read into environment variables changed: a process's environment cannot change. */
  | { kind: "env-secret-changed"; variables: string[] };

/** A recreate cause in words, as the plan shows it. */
export function describeRecreate(cause: RecreateCause): string {
  switch (cause.kind) {
    case "material-lost":
      return "secrets delivered anew";
    case "absolute-changed": {
      const kinds = [...new Set(cause.files.map((file) => file.kind))].sort().reverse();
      return `${kinds.join(" and ")} changed at ${cause.files.map((file) => file.target).join(", ")}`;
    }
    case "env-secret-changed":
      return `secret read into ${[...cause.variables].sort().join(", ")} changed`;
  }
}

/** What one service's material needs. */
export interface ServiceMaterialPlan {
  /** Why it is written (`secret db changed`); empty when what is in place is up to date. */
  reasons: string[];
  /** Targets under /run/secrets that change in place (running containers see them at once). */
  liveTargets: string[];
  /** Absolute targets that change: recorded only once the service's containers are made anew. */
  absoluteTargets: string[];
  /** Its mounts, in the store's layout. */
  mounts: MaterialMounts;
  /** `x-composec-reload-signal`, when it asks for one. */
  reloadSignal?: string;
}

export interface SecretsPlan {
  /** Every selected service with secrets or configs. */
  services: Record<string, ServiceMaterialPlan>;
  /** Services whose material goes (gone from the project, or listing no secrets any more). */
  remove: string[];
  /** Services whose existing containers must be replaced, and why. */
  recreate: Record<string, RecreateCause>;
}

export interface SecretsPlanInput {
  project: Project;
  selected: Iterable<string>;
  fresh: FreshMaterial;
  /** What is in place; absent: nothing was looked at (nothing is delivered then). */
  observed?: ObservedMaterial | undefined;
  /**
   * Services whose material stays even though the project does not give them any (orphans whose
   * containers still run). Absent: other services' material is left alone (a one-off `run`).
   */
  keep?: Set<string> | undefined;
}

/** Compares fresh digests with the delivered ones; pure. */
export function planSecrets(input: SecretsPlanInput): SecretsPlan {
  const { project, fresh } = input;
  const delivered = input.observed?.delivered ?? {};
  const plan: SecretsPlan = { services: {}, remove: [], recreate: {} };
  for (const name of input.selected) {
    const service = project.services[name];
    const files = fresh[name];
    if (service === undefined || files === undefined || !hasMaterial(service)) continue;
    const before = delivered[name];
    const reasons: string[] = [];
    const liveTargets: string[] = [];
    const absolute: { kind: "secret" | "config"; target: string }[] = [];
    const gone = new Set(input.observed?.missing?.[name] ?? []);
    for (const file of files) {
      const was = before?.[file.target];
      if (file.digest !== "" && was === file.digest) {
        // Removed by hand: written again with the same bytes. A container sees the file come back
        // under /run/secrets; an absolute target's single-file mount still holds the old inode, so
        // it needs no recreate either (and a new container gets the file written now).
        if (gone.has(file.target)) {
          const where = isUnderSecretsDir(file.target) ? "" : ` at ${file.target}`;
          reasons.push(`${file.kind} ${file.source} missing${where}`);
        }
        continue;
      }
      if (isUnderSecretsDir(file.target)) liveTargets.push(file.target);
      else absolute.push({ kind: file.kind, target: file.target });
      if (before !== undefined) {
        const where = isUnderSecretsDir(file.target) ? "" : ` at ${file.target}`;
        // Without a digest it is new, or an absolute target whose container never held it (not committed).
        reasons.push(`${file.kind} ${file.source} ${was === undefined ? "not in place" : "changed"}${where}`);
      }
    }
    const targets = new Set(files.map((file) => file.target));
    for (const target of Object.keys(before ?? {}).sort()) {
      if (!targets.has(target)) reasons.push(`file at ${target} removed`);
    }
    if (before === undefined) reasons.push("not delivered yet");
    // A variable read from a changed secret is the first thing to tell: the file alone would not need it.
    const variables = Object.entries(service.envSecrets ?? {})
      .filter(([, target]) => liveTargets.includes(target))
      .map(([variable]) => variable);
    if (variables.length > 0) plan.recreate[name] = { kind: "env-secret-changed", variables };
    // Containers without material in place lost it: their mounts point at nothing until remade.
    else if (before === undefined) plan.recreate[name] = { kind: "material-lost" };
    else if (absolute.length > 0) plan.recreate[name] = { kind: "absolute-changed", files: absolute };
    const reload = service.extensions[RELOAD_SIGNAL_EXTENSION];
    plan.services[name] = {
      reasons,
      liveTargets,
      absoluteTargets: absolute.map((file) => file.target),
      mounts: materialMounts(service),
      ...(typeof reload === "string" ? { reloadSignal: reload } : {}),
    };
  }
  if (input.keep !== undefined) {
    const wanted = new Set([
      ...Object.values(project.services)
        .filter(hasMaterial)
        .map((service) => service.name),
      ...input.keep,
    ]);
    plan.remove = (input.observed?.services ?? []).filter((name) => !wanted.has(name)).sort();
  }
  return plan;
}

/** The DeliverSecrets step for a one-off container of `service` (`run`), if it has material. */
export function oneoffDelivery(
  plan: SecretsPlan,
  service: string,
): Extract<Operation, { type: "DeliverSecrets" }> | undefined {
  const material = plan.services[service];
  if (material === undefined) return undefined;
  return {
    type: "DeliverSecrets",
    service,
    reasons: material.reasons.length > 0 ? material.reasons : [UP_TO_DATE_FOR_NEW],
  };
}

/** The cause of a DeliverSecrets step whose material is in place, for containers about to be made. */
export const UP_TO_DATE_FOR_NEW = "in place; checked for new containers";

/** The service's mounts in the store's layout: its directory at /run/secrets, a file per absolute target. */
export function materialMounts(service: Service): MaterialMounts {
  const grants = [...service.secrets, ...service.configs];
  const mounts: MaterialMounts = {
    files: grants
      .filter((grant) => !isUnderSecretsDir(grant.target))
      .map((grant) => ({ path: pathFor(service.name, grant.target), target: grant.target })),
  };
  if (grants.some((grant) => isUnderSecretsDir(grant.target))) mounts.dir = serviceDir(service.name);
  return mounts;
}

/** Whether the service receives anything in its material (a secret or a config). */
export function hasMaterial(service: Service): boolean {
  return service.secrets.length > 0 || service.configs.length > 0;
}
