// Carries out a plan with no decisions of its own: each node runs as soon as the nodes it depends
// on are done, so independent services proceed in parallel. The first failure stops new nodes
// from starting (those already running finish), and the result says what was done and what failed.
// At most COMPOSE_PARALLEL_LIMIT steps talk to the engine at once (four times as many stops and
// removes of containers; engine/parallel-limit.ts): all of 200 services at once would keep the
// last answers waiting past their deadline.
import pLimit, { type LimitFunction } from "p-limit";
import type { SecretMount } from "../materialize/store.js";
import { EngineError, InternalError, InterruptedError } from "../errors.js";
import { resourceTitle, volumeLabels } from "../model/names.js";
import type { Project, Service } from "../model/project.js";
import type { ContainerRef, MaterialMounts, MaterialOperation, Plan, PlanNode } from "../plan/types.js";
import { StaleTaskError, type Engine } from "./client.js";
import { networkCreateBody } from "./network-spec.js";
import { DEFAULT_PARALLEL_LIMIT, teardownLimit } from "./parallel-limit.js";
import { containerSpec } from "./container-spec.js";
import { runHook, type HookReport } from "./hooks.js";
import type { ProgressListener, ProgressStatus } from "./progress.js";
import { systemClock, waitCompleted, waitHealthy, type Clock } from "./wait.js";
import { crashPoint } from "../crash-point.js";

export interface ExecuteOptions {
  /** The project the plan was made for; needed when the plan creates containers or networks. */
  project?: Project;
  onProgress?: ProgressListener;
  /** Carries out the plan's material steps and answers the mounts of its CreateContainer steps. */
  material?: MaterialSteps;
  /** Aborting stops new nodes from starting; the result then fails with InterruptedError. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Told what each lifecycle hook printed once it ends (before a failing one fails the step). */
  onHookOutput?: (report: HookReport) => Promise<void> | void;
  /** Steps carried out at once (default: the engine's parallelLimit, else 8). */
  parallelLimit?: number;
}

/** The materialize executor as the engine executor sees it (materialize/execute-material.ts). */
export interface MaterialSteps {
  /** Carries out one material step; `all` are every material step of the plan. */
  perform(op: MaterialOperation, all: MaterialOperation[]): Promise<void>;
  /** The mounts of the service's material on the project's store (valid after its delivery). */
  mounts(service: string, mounts: MaterialMounts): SecretMount[];
}

export interface ExecuteResult {
  /** Ids of the nodes that completed. */
  done: number[];
  /** Container ids made by CreateContainer nodes, by node id. */
  created: Map<number, string>;
}

/** Runs `plan` against `engine`; throws the first failure (an EngineError) once in-flight work ends. */
export async function execute(
  plan: Plan,
  engine: Engine,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  return new Executor(plan, engine, options).run();
}

class Executor {
  readonly #plan: Plan;
  readonly #engine: Engine;
  readonly #options: ExecuteOptions;
  readonly #created = new Map<number, string>();
  readonly #done: number[] = [];
  readonly #failures: { node: PlanNode; error: unknown }[] = [];
  /** Groups whose first node has announced the step, so it is announced once. */
  readonly #announced = new Set<string>();
  /** Admits the steps that talk to the engine, a few at a time. */
  readonly #limit: LimitFunction;
  /** Admits stops and removes of containers, which the engine does side by side, more at a time. */
  readonly #teardown: LimitFunction;

  constructor(plan: Plan, engine: Engine, options: ExecuteOptions) {
    this.#plan = plan;
    this.#engine = engine;
    this.#options = options;
    const limit = options.parallelLimit ?? engine.parallelLimit ?? DEFAULT_PARALLEL_LIMIT;
    this.#limit = pLimit(limit);
    this.#teardown = pLimit(teardownLimit(limit));
  }

  async run(): Promise<ExecuteResult> {
    const finished = new Map<number, Promise<boolean>>();
    for (const node of this.#plan.nodes) {
      const deps = node.dependsOn.map((id) => {
        const dep = finished.get(id);
        // The planner lists dependencies first; anything else is a planner bug.
        if (dep === undefined)
          throw new InternalError(`plan node #${node.id} depends on #${id}, which comes later`);
        return dep;
      });
      finished.set(node.id, this.#runAfter(node, deps));
    }
    await Promise.all(finished.values());
    if (this.#options.signal?.aborted)
      throw new InterruptedError("interrupted; run the command again to finish, or down to remove");
    const failure = this.#failures[0];
    if (failure !== undefined) throw this.#withProgress(failure.error);
    return { done: this.#done, created: this.#created };
  }

  /**
   * The failure, followed by what the plan had already done, so the user knows what exists
   * (CLARIFICATIONS.md 8); the caller adds how to go on.
   */
  #withProgress(error: unknown): unknown {
    if (!(error instanceof EngineError)) return error;
    const steps = this.#plan.nodes
      .filter((node) => this.#done.includes(node.id))
      .map((node) => describeDone(node))
      .filter((text): text is string => text !== undefined);
    const before =
      steps.length === 0 ? "nothing had been changed before it" : `done before it: ${steps.join(", ")}`;
    return new EngineError(`${error.message}\n${before}; the rest of the plan was not run`, {
      ...(error.resource === undefined ? {} : { resource: error.resource }),
      cause: error,
    });
  }

  /** Runs `node` once all `deps` succeeded; resolves to whether it ran and succeeded. */
  async #runAfter(node: PlanNode, deps: Promise<boolean>[]): Promise<boolean> {
    const results = await Promise.all(deps);
    if (results.includes(false)) return false;
    // Checked again when the step's turn comes, and its failure recorded before the turn passes
    // on: a step that waited while another failed (or ^C came) is not begun.
    const run = async (): Promise<boolean> => {
      if (this.#stopped()) return false;
      try {
        await this.#perform(node);
        this.#done.push(node.id);
        return true;
      } catch (error) {
        this.#failures.push({ node, error: contextualise(node, error, this.#options.project) });
        // A start that met a stale task is replaced by the caller (compose/stale-task.ts), which
        // warns; the replacement's own lines follow. Not replaced, it is the command's error anyway.
        if (!(error instanceof StaleTaskError))
          this.#emit(titleOf(node), "Error", error instanceof Error ? error.message : String(error));
        return false;
      }
    };
    // A wait holds no engine call open for long, and what it waits for may need a turn: never limited.
    const type = node.operation.type;
    if (type === "WaitContainer") return run();
    return type === "StopContainer" || type === "RemoveContainer" ? this.#teardown(run) : this.#limit(run);
  }

  /** Whether new steps must not begin: a step failed, or the caller aborted. */
  #stopped(): boolean {
    return this.#failures.length > 0 || this.#options.signal?.aborted === true;
  }

  #emit(resource: string, status: ProgressStatus, detail?: string): void {
    this.#options.onProgress?.(detail === undefined ? { resource, status } : { resource, status, detail });
  }

  #container(ref: ContainerRef): { id: string; name: string } {
    if ("id" in ref) return ref;
    const id = this.#created.get(ref.createdBy);
    if (id === undefined)
      throw new InternalError(
        `container ${ref.name} was to be created by #${ref.createdBy}, which did not run`,
      );
    return { id, name: ref.name };
  }

  #project(): Project {
    if (this.#options.project === undefined)
      throw new InternalError("this plan creates resources but no project was given");
    return this.#options.project;
  }

  async #perform(node: PlanNode): Promise<void> {
    const op = node.operation;
    const grouped = node.group !== undefined;
    switch (op.type) {
      case "CreateNetwork": {
        const title = resourceTitle.network(op.name);
        this.#emit(title, "Creating");
        const network = op.network;
        await this.#engine.createNetwork(networkCreateBody(this.#project().name, op.key, op.name, network));
        crashPoint("engine.network-created");
        this.#emit(title, "Created");
        return;
      }
      case "RemoveNetwork": {
        const title = resourceTitle.network(op.name);
        this.#emit(title, "Removing");
        await this.#engine.removeNetwork(op.name);
        crashPoint("engine.network-removed");
        this.#emit(title, "Removed");
        return;
      }
      case "CreateVolume": {
        const title = resourceTitle.volume(op.name);
        this.#emit(title, "Creating");
        const volume = op.volume;
        await this.#engine.createVolume({
          Name: op.name,
          Driver: volume.driver,
          DriverOpts: volume.driverOpts,
          Labels: volumeLabels(this.#project().name, op.key, volume.labels),
        });
        this.#emit(title, "Created");
        return;
      }
      case "RemoveVolume": {
        const title = resourceTitle.volume(op.name);
        this.#emit(title, "Removing");
        await this.#engine.removeVolume(op.name);
        this.#emit(title, "Removed");
        return;
      }
      case "CreateContainer": {
        const project = this.#project();
        const service = project.services[op.service] as Service | undefined;
        if (service === undefined)
          throw new InternalError(`plan creates a container of unknown service ${op.service}`);
        const title = resourceTitle.container(op.name);
        this.#announce(node, title, op.replaces === undefined ? "Creating" : "Recreate");
        const spec = containerSpec({
          project,
          service,
          number: op.number,
          name: op.name,
          createAs: op.createAs,
          configHash: op.configHash,
          imageId: op.imageId,
          secretMounts:
            op.secretMounts === undefined ? [] : this.#material().mounts(op.service, op.secretMounts),
        });
        const id = await this.#engine.createContainer(spec.create);
        this.#created.set(node.id, id);
        crashPoint("engine.container-created");
        // Engine API 1.41 takes one network at create time: join the others before the start.
        for (const extra of spec.connect) {
          await this.#engine.connectNetwork(extra.network, { id, name: op.createAs }, extra.endpoint);
        }
        if (!grouped) this.#emit(title, "Created");
        return;
      }
      case "RenameContainer": {
        await this.#engine.renameContainer(this.#container(op.container), op.to);
        this.#emit(resourceTitle.container(op.to), "Recreated");
        return;
      }
      case "StartContainer": {
        const container = this.#container(op.container);
        const title = resourceTitle.container(container.name);
        this.#emit(title, "Starting");
        await this.#engine.startContainer(container);
        crashPoint("engine.container-started");
        for (const hook of op.postStart ?? []) {
          await runHook(
            this.#engine,
            container,
            { service: op.service, kind: "post_start", hook },
            this.#options.onHookOutput,
          );
        }
        this.#emit(title, "Started");
        return;
      }
      case "StopContainer": {
        const title = resourceTitle.container(op.container.name);
        if (!grouped) this.#emit(title, "Stopping");
        for (const hook of op.preStop?.hooks ?? []) {
          const run = { service: op.preStop!.service, kind: "pre_stop", hook } as const;
          await runHook(this.#engine, op.container, run, this.#options.onHookOutput);
        }
        await this.#engine.stopContainer(op.container, op.timeoutSeconds);
        crashPoint("engine.container-stopped");
        if (!grouped) this.#emit(title, "Stopped");
        return;
      }
      case "RemoveContainer": {
        const title = resourceTitle.container(op.container.name);
        if (!grouped) this.#emit(title, "Removing");
        await this.#engine.removeContainer(op.container, { volumes: op.volumes, force: op.force ?? false });
        crashPoint("engine.container-removed");
        if (!grouped) this.#emit(title, "Removed");
        return;
      }
      case "DeliverSecrets": {
        await this.#material().perform(op, this.#materialSteps());
        // The files were renamed into place: running containers see the new bytes already.
        for (const name of op.updatedIn ?? []) {
          this.#emit(resourceTitle.container(name), "Secrets updated", (op.liveTargets ?? []).join(", "));
        }
        return;
      }
      case "RemoveMaterial":
      case "CommitMaterial":
        await this.#material().perform(op, this.#materialSteps());
        return;
      case "SignalContainer": {
        await this.#engine.killContainer(op.container, op.signal);
        this.#emit(resourceTitle.container(op.container.name), "Signalled", op.signal);
        return;
      }
      case "WaitContainer": {
        const container = this.#container(op.container);
        const title = resourceTitle.container(container.name);
        this.#emit(title, "Waiting");
        if (op.condition === "service_healthy") {
          const signal = this.#options.signal;
          await waitHealthy(this.#engine, container, {
            clock: this.#options.clock ?? systemClock,
            ...(signal === undefined ? {} : { signal }),
          });
          this.#emit(title, "Healthy");
        } else {
          await waitCompleted(this.#engine, container, op.service);
          this.#emit(title, "Exited");
        }
        return;
      }
    }
  }

  #material(): MaterialSteps {
    if (this.#options.material === undefined)
      throw new InternalError("this plan has secret material steps but no material executor was given");
    return this.#options.material;
  }

  /** Every material step of the plan (the material executor batches them). */
  #materialSteps(): MaterialOperation[] {
    return this.#plan.nodes
      .map((node) => node.operation)
      .filter(
        (op): op is MaterialOperation =>
          op.type === "DeliverSecrets" || op.type === "RemoveMaterial" || op.type === "CommitMaterial",
      );
  }

  /** Announces a grouped step once (its first node), an ungrouped node always. */
  #announce(node: PlanNode, title: string, status: ProgressStatus): void {
    if (node.group !== undefined) {
      if (this.#announced.has(node.group)) return;
      this.#announced.add(node.group);
    }
    this.#emit(title, status);
  }
}

/** A completed node in words (`network demo_default created`), or undefined for waits. */
function describeDone(node: PlanNode): string | undefined {
  const op = node.operation;
  switch (op.type) {
    case "CreateNetwork":
      return `network ${op.name} created`;
    case "RemoveNetwork":
      return `network ${op.name} removed`;
    case "CreateVolume":
      return `volume ${op.name} created`;
    case "RemoveVolume":
      return `volume ${op.name} removed`;
    case "CreateContainer":
      return `container ${op.createAs} created`;
    case "RenameContainer":
      return `container ${op.to} replaced`;
    case "StartContainer":
      return `container ${op.container.name} started`;
    case "StopContainer":
      return `container ${op.container.name} stopped`;
    case "RemoveContainer":
      return `container ${op.container.name} removed`;
    case "DeliverSecrets":
      return `secrets of ${op.service} delivered`;
    case "RemoveMaterial":
      return `secrets of ${op.service} removed`;
    case "CommitMaterial":
      return undefined;
    case "SignalContainer":
      return `container ${op.container.name} signalled`;
    case "WaitContainer":
      return undefined;
  }
}

/** The title progress lines use for a node's resource. */
function titleOf(node: PlanNode): string {
  const op = node.operation;
  switch (op.type) {
    case "CreateNetwork":
    case "RemoveNetwork":
      return resourceTitle.network(op.name);
    case "CreateVolume":
    case "RemoveVolume":
      return resourceTitle.volume(op.name);
    case "CreateContainer":
      return resourceTitle.container(op.name);
    case "RenameContainer":
      return resourceTitle.container(op.to);
    case "DeliverSecrets":
    case "RemoveMaterial":
      return `Secrets ${op.service}`;
    case "CommitMaterial":
      return "Secrets";
    default:
      return resourceTitle.container(op.container.name);
  }
}

/** Adds what the user needs to act on an engine failure: which service, which ports. */
function contextualise(node: PlanNode, error: unknown, project: Project | undefined): unknown {
  if (!(error instanceof EngineError) || node.operation.type !== "StartContainer") return error;
  const service = project?.services[node.operation.service];
  if (service === undefined || service.ports.length === 0) return error;
  if (!/port is already allocated|address already in use/i.test(error.message)) return error;
  const ports = service.ports
    .map(
      (port) =>
        `${port.hostIp ? `${port.hostIp}:` : ""}${port.published ?? ""}:${port.target}/${port.protocol}`,
    )
    .join(", ");
  return new EngineError(`service "${service.name}" cannot publish its ports (${ports}): ${error.message}`, {
    ...(error.resource === undefined ? {} : { resource: error.resource }),
    cause: error,
  });
}
