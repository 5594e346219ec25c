// `up`'s reconciler: compares the project with what exists and returns the operations that make
// them agree, each with its cause. Pure: no engine, no clock, no disk. Decisions live here so the
// executor can carry a plan out without making any.
import { configHash, networkSettingsChanged } from "../model/config-hash.js";
import { containerName, imageName } from "../model/names.js";
import type { Project, Service, ServiceHook } from "../model/project.js";
import { ProjectError } from "../errors.js";
import { dependencyOrder, selectServices } from "./graph.js";
import { probeRemovals } from "./probes.js";
import { keepNodes } from "./subset.js";
import { describeRecreate, UP_TO_DATE_FOR_NEW, type SecretsPlan } from "./secrets-plan.js";
import type { ObservedContainer, ObservedNetwork, ObservedState } from "./state.js";
import type { ContainerRef, Operation, Plan, PlanNode, Unchanged } from "./types.js";

/** How containers whose config is unchanged or changed are treated (Compose's recreate strategies). */
export type RecreateStrategy = "diverged" | "force" | "never";

export interface UpPlanOptions {
  /** Services named on the command line; their dependencies are added. Empty: every service. */
  services?: string[];
  /** `--force-recreate`: recreate the named services' containers even when unchanged. */
  forceRecreate?: boolean;
  /** `--no-recreate`: never recreate an existing container, even when its config changed. */
  noRecreate?: boolean;
  /** `--remove-orphans`: remove containers of services that are no longer in the project. */
  removeOrphans?: boolean;
  /** `-t`: seconds to wait for a container to stop before killing it (else its own setting). */
  timeoutSeconds?: number;
  /** `--no-build`: an image that a `build:` section would make must already exist. */
  noBuild?: boolean;
  /**
   * What the selected services' secret material needs (plan/secrets-plan.ts): its steps join the
   * plan, its recreate causes (a secret changed at an absolute target, ...) replace containers.
   */
  secrets?: SecretsPlan;
  /** `--no-deps`: the named services alone, not what they depend on. */
  noDeps?: boolean;
  /** `create`: make containers (and networks, volumes) but start none. */
  noStart?: boolean;
  /** `--scale service=n`: replica counts that replace the project's. */
  scale?: Record<string, number>;
  /** Images the pull step fetches first (dry run: would fetch): absent now, not an error. */
  pulling?: string[];
}

/** Plans `up` for `project` against the observed `state`. Invalid selections throw ProjectError. */
export function planUp(project: Project, state: ObservedState, options: UpPlanOptions = {}): Plan {
  const plan = new UpPlanner(withScale(project, options.scale), state, options).plan();
  if (!options.noStart) return plan;
  const creates = (node: PlanNode): boolean =>
    node.operation.type !== "StartContainer" && node.operation.type !== "WaitContainer";
  return { ...plan, nodes: keepNodes(plan.nodes, creates) };
}

/** The project with `--scale` replica counts in place of its own; an unknown service is an error. */
export function withScale(project: Project, scale: Record<string, number> | undefined): Project {
  if (scale === undefined || Object.keys(scale).length === 0) return project;
  const unknown = Object.keys(scale).filter((name) => project.services[name] === undefined);
  if (unknown.length > 0) {
    throw new ProjectError(
      unknown.map((name) => ({
        message: `--scale ${name}=${scale[name]}: no such service; the project's services are: ${Object.keys(project.services).sort().join(", ")}`,
      })),
    );
  }
  const services = { ...project.services };
  for (const [name, replicas] of Object.entries(scale)) {
    services[name] = { ...(services[name] as Service), replicas };
  }
  return { ...project, services };
}

/** A service's containers as the plan leaves them: how to reach each, and the node that starts it. */
interface PlannedContainer {
  number: number;
  ref: ContainerRef;
  /** The node after which the container runs (its start), absent when it already runs. */
  startNode?: number;
}

/** Services whose containers must exist before this service's are created (not only started). */
function createTimeDependencies(service: Service): string[] {
  return [
    ...(service.links ?? []).map((link) => link.split(":")[0]!),
    ...(service.volumesFrom ?? [])
      .filter((entry) => !entry.startsWith("container:"))
      .map((entry) => entry.split(":")[0]!),
  ];
}

class UpPlanner {
  readonly #project: Project;
  readonly #state: ObservedState;
  readonly #options: UpPlanOptions;
  readonly #nodes: PlanNode[] = [];
  readonly #unchanged: Unchanged[] = [];
  readonly #warnings: string[] = [];
  readonly #errors: string[] = [];
  readonly #networkNodes = new Map<string, number>();
  readonly #volumeNodes = new Map<string, number>();
  /** Containers removed so their network can be recreated: the removal node and why, by id. */
  readonly #removedForNetwork = new Map<string, { node: number; cause: string }>();
  readonly #planned = new Map<string, PlannedContainer[]>();
  /** Wait nodes already added, by `service/condition`: several dependents share one wait. */
  readonly #waits = new Map<string, number[]>();
  /** DeliverSecrets nodes by service, added when the service's material changed or is first mounted. */
  readonly #deliveries = new Map<string, number>();
  /** StartContainer nodes of new containers that must hold new bytes at absolute targets. */
  readonly #commits = new Map<string, number[]>();

  constructor(project: Project, state: ObservedState, options: UpPlanOptions) {
    this.#project = project;
    this.#state = state;
    this.#options = options;
  }

  plan(): Plan {
    const named = this.#options.services ?? [];
    const selected = selectServices(this.#project, named, { noDeps: this.#options.noDeps ?? false });
    const targeted = new Set(named.length > 0 ? named : selected);
    const services = [...selected].map((name) => this.#project.services[name] as Service);

    this.#checkServices(services);
    this.#planMaterialRemovals();
    this.#planNetworks(services, selected);
    this.#planVolumes(services);
    const ordered = dependencyOrder(Object.fromEntries(services.map((service) => [service.name, service])));
    for (const name of ordered) {
      const service = this.#project.services[name] as Service;
      this.#planService(service, this.#strategy(targeted.has(name)));
    }
    this.#planOrphans();
    this.#planMaterialAfter();
    for (const removal of probeRemovals(this.#state))
      this.#add(removal.resource, removal.operation, removal.cause);
    return { nodes: this.#nodes, unchanged: this.#unchanged, warnings: this.#warnings, errors: this.#errors };
  }

  #strategy(targeted: boolean): RecreateStrategy {
    if (this.#options.noRecreate) return "never";
    if (this.#options.forceRecreate && targeted) return "force";
    return "diverged";
  }

  #add(
    resource: string,
    operation: Operation,
    cause: string,
    dependsOn: number[] = [],
    group?: string,
  ): number {
    const id = this.#nodes.length + 1;
    const node: PlanNode = {
      id,
      resource,
      operation,
      cause,
      dependsOn: [...new Set(dependsOn)].sort((a, b) => a - b),
    };
    if (group !== undefined) node.group = group;
    this.#nodes.push(node);
    return id;
  }

  /** What the engine cannot tell us but the project can: unsupported or contradictory settings. */
  #checkServices(services: Service[]): void {
    for (const service of services) {
      if (service.containerName !== undefined && service.replicas > 1) {
        this.#errors.push(
          `service "${service.name}": container_name "${service.containerName}" names one container, but ${service.replicas} replicas are asked for; remove container_name or use one replica`,
        );
      }
      for (const mode of [service.networkMode, service.pid, service.ipc]) {
        if (mode?.startsWith("service:")) {
          this.#errors.push(
            `service "${service.name}": "${mode}" (sharing another service's namespace) is not supported yet; use "container:<name>" or a network`,
          );
        }
      }
      if (service.image === undefined && service.build === undefined) {
        this.#errors.push(`service "${service.name}": has neither image nor build; set image:`);
      }
    }
  }

  #planNetworks(services: Service[], selected: Set<string>): void {
    const keys = new Set(services.flatMap((service) => Object.keys(service.networks)));
    for (const key of [...keys].sort()) {
      const network = this.#project.networks[key];
      if (network === undefined) {
        this.#errors.push(`network "${key}" is used by a service but not declared under networks:`);
        continue;
      }
      const observed = this.#state.networks[network.name];
      if (network.external) {
        if (observed === undefined) {
          this.#errors.push(
            `network "${network.name}" is declared external but does not exist; create it (docker network create ${network.name}) or remove external: true`,
          );
        }
        continue;
      }
      if (observed === undefined) {
        const id = this.#add(
          `network:${key}`,
          { type: "CreateNetwork", key, name: network.name, network },
          "not found",
        );
        this.#networkNodes.set(key, id);
      } else if (observed.project === this.#project.name) {
        // Without a recorded hash (made before composec set it) a network is left as it is, rather
        // than taking down every container of a project on upgrade.
        if (networkSettingsChanged(network, observed, this.#project.name)) {
          this.#recreateNetwork(key, observed, selected);
        }
      } else {
        this.#warnings.push(
          observed.project === undefined
            ? `a network named ${network.name} exists but was not created by Compose; set external: true to use an existing network`
            : `a network named ${network.name} exists but was created for project "${observed.project}"; set external: true to use an existing network`,
        );
      }
    }
  }

  /**
   * A project network whose settings changed: the engine cannot change a network in place, and
   * refuses to remove one with containers on it, so the project's containers on it are stopped and
   * removed, the network removed and made anew, and those containers made again on the new one (by
   * #planService, which sees them gone). Another project's container on it would be cut off: then
   * nothing is done.
   */
  #recreateNetwork(key: string, observed: ObservedNetwork, selected: Set<string>): void {
    const network = this.#project.networks[key]!;
    if (this.#options.noRecreate) {
      this.#warnings.push(
        `network ${network.name}: config changed, kept as it is (--no-recreate, or a one-off run); \`composec up\` recreates it`,
      );
      return;
    }
    const ours = new Map(this.#state.containers.map((container) => [container.id, container]));
    const attached = observed.attached ?? [];
    const foreign = attached.filter(
      (entry) => entry.project !== this.#project.name || entry.oneoff || !ours.has(entry.id),
    );
    if (foreign.length > 0) {
      const names = foreign.map((entry) =>
        entry.project !== undefined && entry.project !== this.#project.name
          ? `${entry.name} (project ${entry.project})`
          : entry.oneoff
            ? `${entry.name} (a one-off run container)`
            : `${entry.name} (not of a compose project)`,
      );
      this.#errors.push(
        `network ${network.name}: config changed and it must be recreated, but other containers are on it: ${names.sort().join(", ")}; stop and remove them or disconnect them (docker network disconnect ${network.name} <container>), then run up again`,
      );
      return;
    }
    const cause = `network ${key} config changed`;
    const mine = attached.map((entry) => ours.get(entry.id)!).sort((a, b) => a.name.localeCompare(b.name));
    const left = mine.filter((container) => !container.oneoff && !selected.has(container.service));
    if (left.length > 0) {
      const others = [...new Set(left.map((container) => container.service))].sort();
      this.#errors.push(
        `network ${network.name}: config changed and it must be recreated, but containers of services this up does not start are on it: ${left.map((container) => container.name).join(", ")}; run up for ${others.join(", ")} as well (or for every service)`,
      );
      return;
    }
    const removals = mine.map((container) => {
      // On two changed networks, a container is removed once, for the first.
      const known = this.#removedForNetwork.get(container.id);
      if (known !== undefined) return known.node;
      const node = this.#stopAndRemove(`service:${container.service}:${container.number}`, container, cause);
      this.#removedForNetwork.set(container.id, { node, cause });
      return node;
    });
    const remove = this.#add(
      `network:${key}`,
      { type: "RemoveNetwork", name: observed.name },
      "config changed",
      removals,
    );
    const create = this.#add(
      `network:${key}`,
      { type: "CreateNetwork", key, name: network.name, network },
      "config changed, recreated",
      [remove],
    );
    this.#networkNodes.set(key, create);
  }

  #planVolumes(services: Service[]): void {
    const keys = new Set<string>();
    for (const service of services) {
      for (const mount of service.volumes) {
        if (mount.type === "volume" && mount.source !== undefined) keys.add(mount.source);
      }
    }
    for (const key of [...keys].sort()) {
      const volume = this.#project.volumes[key];
      if (volume === undefined) {
        this.#errors.push(`volume "${key}" is used by a service but not declared under volumes:`);
        continue;
      }
      const observed = this.#state.volumes[volume.name];
      if (volume.external) {
        if (observed === undefined) {
          this.#errors.push(
            `volume "${volume.name}" is declared external but does not exist; create it (docker volume create ${volume.name}) or remove external: true`,
          );
        }
        continue;
      }
      if (observed === undefined) {
        const id = this.#add(
          `volume:${key}`,
          { type: "CreateVolume", key, name: volume.name, volume },
          "not found",
        );
        this.#volumeNodes.set(key, id);
      } else if (observed.project !== this.#project.name) {
        this.#warnings.push(
          observed.project === undefined
            ? `volume "${volume.name}" already exists but was not created by Compose; use external: true to use an existing volume`
            : `volume "${volume.name}" already exists but was created for project "${observed.project}"; use external: true to use an existing volume`,
        );
      }
    }
  }

  /** Nodes that create what the service's containers attach to. */
  #infrastructureDeps(service: Service): number[] {
    const deps: number[] = [];
    for (const key of Object.keys(service.networks).sort()) {
      const node = this.#networkNodes.get(key);
      if (node !== undefined) deps.push(node);
    }
    for (const mount of service.volumes) {
      if (mount.type !== "volume" || mount.source === undefined) continue;
      const node = this.#volumeNodes.get(mount.source);
      if (node !== undefined) deps.push(node);
    }
    // `links` and `volumes_from` name containers the engine looks up when this one is created.
    for (const dependency of createTimeDependencies(service)) {
      for (const planned of this.#planned.get(dependency) ?? []) {
        if ("createdBy" in planned.ref) deps.push(planned.ref.createdBy);
      }
    }
    return deps;
  }

  #planService(service: Service, strategy: RecreateStrategy): void {
    const name = service.name;
    const hash = configHash(this.#project, service);
    // A service with `build:` runs the image `up` built just before (its `image:`, or <project>-<service>).
    const imageId = this.#state.images[imageName(this.#project.name, service)];
    let infra = this.#infrastructureDeps(service);
    const planned: PlannedContainer[] = [];
    let creates = 0;
    // Dependencies' readiness is computed once, and only if something of this service starts.
    let readiness: number[] | undefined;
    const ready = (): number[] => (readiness ??= this.#readinessDeps(service));

    const material = this.#options.secrets?.services[name];
    // Changed material is delivered whether or not containers are made; unchanged, only for new ones.
    if (material !== undefined && material.reasons.length > 0) this.#deliverFor(name);
    const mounted = (deps: number[]): number[] =>
      material === undefined ? deps : [...deps, this.#deliverFor(name)];

    // Containers removed with their network are made again below, once it is back.
    const gone = new Map<number, { node: number; cause: string }>();
    for (const container of this.#state.containers) {
      const removed = this.#removedForNetwork.get(container.id);
      if (removed !== undefined && container.service === name) gone.set(container.number, removed);
    }
    const existing = this.#state.containers
      .filter((container) => !container.oneoff && container.service === name)
      .filter((container) => !this.#removedForNetwork.has(container.id))
      .sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
    // One container per number: the one with the canonical name wins (others are left-overs of an
    // interrupted recreate); numbers beyond the replica count are scaled down.
    const kept = new Map<number, ObservedContainer>();
    for (const container of existing) {
      if (container.number < 1 || container.number > service.replicas) continue;
      const canonical = container.name === containerName(this.#project.name, service, container.number);
      if (!kept.has(container.number) || canonical) kept.set(container.number, container);
    }
    const cleared: number[] = [];
    for (const container of existing) {
      if (kept.get(container.number) === container) continue;
      const cause =
        container.number > service.replicas
          ? "scale down"
          : container.number < 1
            ? "no container number"
            : "duplicate container number";
      cleared.push(this.#stopAndRemove(`service:${name}:${container.number}`, container, cause));
    }
    // A left-over of an interrupted recreate holds the temporary name the next recreate uses:
    // the service's new containers are made only once the left-overs are gone.
    infra = [...infra, ...cleared];
    for (const container of [...kept.values()].sort((a, b) => a.number - b.number)) {
      const resource = `service:${name}:${container.number}`;
      const finalName = containerName(this.#project.name, service, container.number);
      const recreate = recreateCause(container, {
        hash,
        imageId,
        finalName,
        strategy,
        required: this.#recreateCause(name),
      });
      if (recreate !== undefined) {
        creates++;
        planned.push(
          this.#recreate(service, container, finalName, hash, imageId ?? "", mounted(infra), ready, recreate),
        );
      } else if (
        container.state === "running" ||
        container.state === "restarting" ||
        container.state === "paused"
      ) {
        this.#unchanged.push({ resource, name: container.name, state: container.state });
        this.#updatedInPlace(name, container);
        planned.push({ number: container.number, ref: { id: container.id, name: container.name } });
      } else {
        const ref = { id: container.id, name: container.name };
        const delivered = this.#deliveries.get(name);
        const start = this.#add(
          resource,
          { type: "StartContainer", service: name, container: ref, ...postStartOf(service) },
          "not running",
          [...infra, ...ready(), ...(delivered === undefined ? [] : [delivered])],
        );
        planned.push({ number: container.number, ref, startNode: start });
      }
    }

    for (let number = 1; number <= service.replicas; number++) {
      if (kept.has(number)) continue;
      creates++;
      const finalName = containerName(this.#project.name, service, number);
      const resource = `service:${name}:${number}`;
      const create = this.#add(
        resource,
        {
          type: "CreateContainer",
          service: name,
          number,
          name: finalName,
          createAs: finalName,
          configHash: hash,
          imageId: imageId ?? "",
          ...(material === undefined ? {} : { secretMounts: material.mounts }),
        },
        gone.get(number)?.cause ?? "no existing container",
        // The old container of that number held the name until its removal.
        mounted([...infra, ...(gone.has(number) ? [gone.get(number)!.node] : [])]),
      );
      const ref = { createdBy: create, name: finalName };
      const start = this.#add(
        resource,
        { type: "StartContainer", service: name, container: ref, ...postStartOf(service) },
        "created",
        [create, ...ready()],
      );
      this.#toCommit(name, start);
      planned.push({ number, ref, startNode: start });
    }

    if (creates > 0 && (imageId === null || imageId === undefined)) {
      const image = imageName(this.#project.name, service);
      // A service with `build:` gets its image built by `up` first, unless --no-build said not to;
      // one with only `image:` gets it pulled first (src/compose/pull.ts), as `pulling` lists.
      if (service.build === undefined && !this.#options.pulling?.includes(image)) {
        this.#errors.push(
          `service "${name}": image "${image}" is not present on the engine; pull it first (composec pull ${name}), or load or build it (docker load, docker build)`,
        );
      } else if (service.build !== undefined && this.#options.noBuild) {
        this.#errors.push(
          `service "${name}": image "${image}" has not been built, and --no-build was given; run \`composec build ${name}\` first`,
        );
      }
    }
    this.#planned.set(name, planned);
  }

  /**
   * Create the replacement under a temporary name first, so a failed create (bad config) leaves
   * the old container running; then stop and remove the old one, take its name, and start.
   */
  #recreate(
    service: Service,
    old: ObservedContainer,
    finalName: string,
    hash: string,
    imageId: string,
    infra: number[],
    ready: () => number[],
    cause: string,
  ): PlannedContainer {
    const resource = `service:${service.name}:${old.number}`;
    const group = `recreate:${service.name}:${old.number}`;
    const material = this.#options.secrets?.services[service.name];
    const oldRef = { id: old.id, name: old.name };
    const create = this.#add(
      resource,
      {
        type: "CreateContainer",
        service: service.name,
        number: old.number,
        name: finalName,
        createAs: `${old.id.slice(0, 12)}_${finalName}`,
        configHash: hash,
        imageId,
        replaces: oldRef,
        ...(material === undefined ? {} : { secretMounts: material.mounts }),
      },
      cause,
      infra,
      group,
    );
    const replaced = `replaced by #${create}`;
    const stop = this.#add(resource, this.#stopOperation(oldRef), replaced, [create], group);
    const removal = { type: "RemoveContainer", container: oldRef, volumes: false } as const;
    const remove = this.#add(resource, removal, replaced, [stop], group);
    const ref = { createdBy: create, name: finalName };
    const renaming = { type: "RenameContainer", container: ref, to: finalName } as const;
    const rename = this.#add(resource, renaming, "take the old name", [remove], group);
    const start = this.#add(
      resource,
      { type: "StartContainer", service: service.name, container: ref, ...postStartOf(service) },
      "recreated",
      [rename, ...ready()],
    );
    this.#toCommit(service.name, start);
    return { number: old.number, ref, startNode: start };
  }

  /** The secrets plan's reason to replace the service's containers, in words. */
  #recreateCause(service: string): string | undefined {
    const cause = this.#options.secrets?.recreate[service];
    return cause === undefined ? undefined : describeRecreate(cause);
  }

  /** The service's DeliverSecrets node, added on first need. */
  #deliverFor(service: string): number {
    const known = this.#deliveries.get(service);
    if (known !== undefined) return known;
    const reasons = this.#options.secrets?.services[service]?.reasons ?? [];
    const operation: Operation = {
      type: "DeliverSecrets",
      service,
      reasons: reasons.length > 0 ? reasons : [UP_TO_DATE_FOR_NEW],
    };
    const id = this.#add(`service:${service}`, operation, operation.reasons.join("; "));
    this.#deliveries.set(service, id);
    return id;
  }

  /**
   * A container the plan leaves running sees its service's changed files under /run/secrets at
   * once: the DeliverSecrets step says so, and the service's reload signal follows it.
   */
  #updatedInPlace(service: string, container: ObservedContainer): void {
    const material = this.#options.secrets?.services[service];
    if (material === undefined || material.liveTargets.length === 0) return;
    const deliver = this.#deliverFor(service);
    const op = this.#nodes[deliver - 1]!.operation;
    if (op.type === "DeliverSecrets") {
      op.updatedIn = [...(op.updatedIn ?? []), container.name];
      op.liveTargets = material.liveTargets;
    }
    if (material.reloadSignal === undefined || container.state !== "running") return;
    this.#add(
      `service:${service}:${container.number}`,
      {
        type: "SignalContainer",
        service,
        container: { id: container.id, name: container.name },
        signal: material.reloadSignal,
      },
      `secrets changed in place (${material.reloadSignal})`,
      [deliver],
    );
  }

  /**
   * A new container of a service whose absolute targets change: the change is recorded once it has
   * taken its name and started (`create` drops the start: then after what the start came after).
   * Recorded earlier, a kill before the old container is gone would leave it with the old bytes and
   * nothing to tell the next `up`.
   */
  #toCommit(service: string, start: number): void {
    if ((this.#options.secrets?.services[service]?.absoluteTargets.length ?? 0) === 0) return;
    this.#commits.set(service, [...(this.#commits.get(service) ?? []), start]);
  }

  /** Material of services gone goes, in the same batch as the deliveries. */
  #planMaterialRemovals(): void {
    for (const service of this.#options.secrets?.remove ?? []) {
      this.#add(`service:${service}`, { type: "RemoveMaterial", service }, "no secrets for it any more");
    }
  }

  /** Once the new containers exist, they hold the new bytes at their absolute targets: record it. */
  #planMaterialAfter(): void {
    if (this.#commits.size === 0) return;
    const services = [...this.#commits.keys()].sort();
    this.#add(
      "secrets",
      { type: "CommitMaterial", services },
      `new containers hold the new files of ${services.join(", ")}`,
      [...this.#commits.values()].flat(),
    );
  }

  #stopOperation(container: { id: string; name: string }): Operation {
    const timeout = this.#options.timeoutSeconds;
    return timeout === undefined
      ? { type: "StopContainer", container }
      : { type: "StopContainer", container, timeoutSeconds: timeout };
  }

  #stopAndRemove(resource: string, container: ObservedContainer, cause: string): number {
    const ref = { id: container.id, name: container.name };
    const deps: number[] = [];
    if (container.state !== "exited" && container.state !== "created" && container.state !== "dead") {
      deps.push(this.#add(resource, this.#stopOperation(ref), cause));
    }
    return this.#add(resource, { type: "RemoveContainer", container: ref, volumes: false }, cause, deps);
  }

  /** Nodes a service's containers must wait for before starting: its dependencies' conditions. */
  #readinessDeps(service: Service): number[] {
    const deps: number[] = [];
    for (const dependency of Object.keys(service.dependsOn).sort()) {
      const condition = (service.dependsOn[dependency] as Service["dependsOn"][string]).condition;
      const containers = this.#planned.get(dependency) ?? [];
      if (condition === "service_started") {
        for (const container of containers)
          if (container.startNode !== undefined) deps.push(container.startNode);
        continue;
      }
      const key = `${dependency}/${condition}`;
      let waits = this.#waits.get(key);
      if (waits === undefined) {
        waits = containers.map((container) =>
          this.#add(
            `service:${dependency}:${container.number}`,
            {
              type: "WaitContainer",
              service: dependency,
              container: container.ref,
              condition,
              dependent: service.name,
            },
            condition === "service_healthy"
              ? `${service.name} needs it healthy`
              : `${service.name} needs it completed`,
            container.startNode === undefined ? [] : [container.startNode],
          ),
        );
        this.#waits.set(key, waits);
      }
      deps.push(...waits);
    }
    return deps;
  }

  #planOrphans(): void {
    const orphans = this.#state.containers.filter(
      (container) =>
        !container.oneoff &&
        this.#project.services[container.service] === undefined &&
        this.#project.disabledServices[container.service] === undefined,
    );
    if (orphans.length === 0) return;
    if (!this.#options.removeOrphans) {
      const names = orphans.map((container) => container.name).sort();
      this.#warnings.push(
        `Found orphan containers (${names.join(", ")}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
      );
      return;
    }
    for (const container of [...orphans].sort((a, b) => a.name.localeCompare(b.name))) {
      this.#stopAndRemove(`orphan:${container.name}`, container, "orphaned container");
    }
  }
}

/** Why `container` must be replaced, or `undefined` when it may stay. */
function recreateCause(
  container: ObservedContainer,
  expected: {
    hash: string;
    imageId: string | null | undefined;
    finalName: string;
    strategy: RecreateStrategy;
    /** A reason from outside the engine's view (a changed secret) that applies to this service. */
    required?: string | undefined;
  },
): string | undefined {
  if (expected.strategy === "never") return undefined;
  if (expected.strategy === "force") return "forced (--force-recreate)";
  if (expected.required !== undefined) return expected.required;
  if (container.configHash !== expected.hash) return "config changed";
  if (
    typeof expected.imageId === "string" &&
    container.imageId !== "" &&
    container.imageId !== expected.imageId
  ) {
    return "image changed";
  }
  if (container.state === "dead") return "dead";
  if (container.name !== expected.finalName) return "left over from an interrupted recreate";
  return undefined;
}

/** The service's `post_start` hooks for its StartContainer operations (none: nothing added). */
export function postStartOf(service: Service | undefined): { postStart?: ServiceHook[] } {
  return service?.postStart?.length ? { postStart: service.postStart } : {};
}
