// The materialize executor: carries out a plan's material steps (DeliverSecrets, RemoveMaterial,
// CommitMaterial) against the project's MaterialStore, and answers the mounts a CreateContainer
// step carries. It holds the resolved values for one command and observes what is in place for the
// planner (keyed digests only). The engine executor (engine/execute.ts) hands it its steps in the
// plan's order; every DeliverSecrets and RemoveMaterial of a plan is one batch of the store (one
// upload and one rename on the engine's side), carried out when the first of them runs.
import { InternalError } from "../errors.js";
import { crashPoint } from "../crash-point.js";
import type { Service } from "../model/project.js";
import type { FreshMaterial } from "../plan/secrets-plan.js";
import type { ObservedMaterial } from "../plan/state.js";
import type { MaterialMounts, MaterialOperation } from "../plan/types.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { ProjectMaterial } from "./material.js";
import type { MaterialStore, SecretMount } from "./store.js";

type Values = Map<string, SecretValue>;

export class MaterialExecutor {
  #peeked: ProjectMaterial | undefined;
  #writable: ProjectMaterial | undefined;
  #batch: Promise<void> | undefined;

  constructor(
    readonly store: MaterialStore,
    /** The selected services with secrets or configs, whose values were resolved. */
    private readonly services: Service[],
    private readonly secrets: Values,
    private readonly configs: Values,
    /** Told warnings from making the store writable (a swap in use). */
    private readonly onWarning?: (message: string) => void,
  ) {}

  /**
   * Reads what is in place (keyed digests, services with material) and which delivered files of
   * the selected services are missing (one look of the store for all); writes nothing.
   */
  async observe(): Promise<ObservedMaterial> {
    this.#peeked = await ProjectMaterial.peek(this.store);
    const observed = await this.#peeked.observed();
    const missing = await this.#peeked.missing(this.services.map((service) => service.name));
    return Object.keys(missing).length === 0 ? observed : { ...observed, missing };
  }

  /** The keyed digests of the resolved values, under the key in place (after `observe`). */
  fresh(): FreshMaterial {
    if (this.#peeked === undefined) throw new InternalError("material digests asked for before observing it");
    return this.#peeked.fresh(this.services, this.secrets, this.configs);
  }

  /** Carries out one material step; `all` are every material step of the plan (batched together). */
  async perform(op: MaterialOperation, all: MaterialOperation[]): Promise<void> {
    switch (op.type) {
      case "DeliverSecrets":
      case "RemoveMaterial":
        await (this.#batch ??= this.#deliver(all));
        return;
      case "CommitMaterial":
        if (this.#writable === undefined)
          throw new InternalError("material committed before it was delivered");
        await this.#writable.commitReplaced(op.services);
        return;
    }
  }

  /** The mounts of a CreateContainer step, on this store (after its DeliverSecrets step). */
  mounts(service: string, mounts: MaterialMounts): SecretMount[] {
    return this.store.mounts(service, mounts.dir, mounts.files);
  }

  /** Overwrites the resolved bytes in memory. */
  wipe(): void {
    for (const value of [...this.secrets.values(), ...this.configs.values()]) value.wipe();
  }

  async #deliver(all: MaterialOperation[]): Promise<void> {
    const deliver = new Set(all.flatMap((op) => (op.type === "DeliverSecrets" ? [op.service] : [])));
    const remove = all.flatMap((op) => (op.type === "RemoveMaterial" ? [op.service] : []));
    const services = [...deliver].map((name) => {
      const service = this.services.find((entry) => entry.name === name);
      if (service === undefined) throw new InternalError(`secrets of service ${name} were not resolved`);
      return service;
    });
    this.#writable = await ProjectMaterial.open(this.store);
    for (const warning of this.#writable.warnings) this.onWarning?.(warning);
    await this.#writable.deliverAndRemove(services, this.secrets, this.configs, remove);
    crashPoint("up.delivered");
  }
}
