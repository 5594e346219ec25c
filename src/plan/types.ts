// A plan is a graph of operations, each one Engine call (or one wait), each with a resource id and
// the cause that made the planner add it. Nodes are listed dependencies first; the executor runs a
// node once every node it depends on is done, so independent services proceed in parallel.
import type { DependencyCondition, Network, ServiceHook, Volume } from "../model/project.js";

/** A container the plan acts on: one that exists, or the one a CreateContainer node makes. */
export type ContainerRef = { id: string; name: string } | { createdBy: number; name: string };

export type Operation =
  | { type: "CreateNetwork"; key: string; name: string; network: Network }
  | { type: "RemoveNetwork"; name: string }
  | { type: "CreateVolume"; key: string; name: string; volume: Volume }
  | { type: "RemoveVolume"; name: string }
  | {
      type: "CreateContainer";
      service: string;
      number: number;
      /** Final name of the container. */
      name: string;
      /** Name it is created under: the final name, or a temporary one while it replaces `replaces`. */
      createAs: string;
      configHash: string;
      imageId: string;
      /** The container this one replaces (recreate): progress says "Recreate". */
      replaces?: { id: string; name: string };
      /** Its read-only mounts of the service's secret material (paths in the store's layout). */
      secretMounts?: MaterialMounts;
    }
  | { type: "RenameContainer"; container: ContainerRef; to: string }
  | {
      type: "StartContainer";
      service: string;
      container: ContainerRef;
      /** `post_start` hooks, run in order once it runs (engine/hooks.ts). */
      postStart?: ServiceHook[];
    }
  | {
      type: "StopContainer";
      container: { id: string; name: string };
      timeoutSeconds?: number;
      /** `pre_stop` hooks of `service`, run in order before the stop (down, stop, rm -s). */
      preStop?: { service: string; hooks: ServiceHook[] };
    }
  | {
      type: "RemoveContainer";
      container: { id: string; name: string };
      volumes: boolean;
      /** Kill it if running, in the same call (`down -t 0`, or a container not running). */
      force?: boolean;
    }
  | {
      type: "WaitContainer";
      service: string;
      container: ContainerRef;
      /** What to wait for: healthy, or exited with code 0. */
      condition: Exclude<DependencyCondition, "service_started">;
      /** The service that waits on it (for messages). */
      dependent: string;
    }

  /**
   * Puts the service's secrets and configs in place (every such step of a plan is one batch of
   * the project's MaterialStore). `updatedIn`: running containers that see the new bytes at once.
   */
  | {
      type: "DeliverSecrets";
      service: string;
      reasons: string[];
      updatedIn?: string[];
      liveTargets?: string[];
    }
  /** Removes the material of a service that is gone or lists no secrets any more. */
  | { type: "RemoveMaterial"; service: string }
  /** Records that the services' new containers hold the new bytes at their absolute targets. */
  | { type: "CommitMaterial"; services: string[] }
  /** Sends the service's `x-composec-reload-signal` after its secrets changed in place. */
  | { type: "SignalContainer"; service: string; container: { id: string; name: string }; signal: string };

/** The operations the materialize executor carries out (the engine executor hands them over). */
export type MaterialOperation = Extract<
  Operation,
  { type: "DeliverSecrets" } | { type: "RemoveMaterial" } | { type: "CommitMaterial" }
>;

/** A service's mounts of its material: its /run/secrets directory and one file per absolute target. */
export interface MaterialMounts {
  dir?: string;
  files: { path: string; target: string }[];
}

export type OperationType = Operation["type"];

export interface PlanNode {
  /** 1-based, in the order the planner added the node. */
  id: number;
  /** `network:<key>`, `volume:<key>`, `service:<name>:<n>`, `orphan:<container>`, `probe:<container>`. */
  resource: string;
  operation: Operation;
  /** Why the planner added it (`not found`, `config changed`, ...). */
  cause: string;
  /** Ids of nodes that must be done first. */
  dependsOn: number[];
  /** Nodes that together make one step the user sees (`recreate:web:1`): progress is reported once. */
  group?: string;
}

/** A container the plan leaves as it is, with the reason (shown as `Running` progress). */
export interface Unchanged {
  resource: string;
  name: string;
  state: string;
}

export interface Plan {
  nodes: PlanNode[];
  unchanged: Unchanged[];
  /** Things the user should know that do not stop the plan (orphans left, foreign networks). */
  warnings: string[];
  /** Reasons the plan cannot run (missing image, missing external network): nothing may be done. */
  errors: string[];
}
