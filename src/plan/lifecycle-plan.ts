// Planners for the commands that act on containers that already exist: `start` (dependencies
// first, waiting for the conditions `depends_on` names), `stop` (dependents first) and `rm`. Pure,
// like planUp and planDown; `stop` and `rm` reuse planDown's ordering on a narrowed state.
import type { Project, Service } from "../model/project.js";
import { planDown } from "./down-plan.js";
import { postStartOf } from "./up-plan.js";
import { dependencyOrder } from "./graph.js";
import { keepNodes } from "./subset.js";
import type { ObservedContainer, ObservedState } from "./state.js";
import type { Operation, Plan, PlanNode } from "./types.js";

export interface LifecyclePlanOptions {
  /** The loaded project (its `depends_on` orders the work); without it, labels alone do. */
  project?: Project;
  /** Only these services' containers (default: every service's). */
  services?: string[];
}

function isActive(container: ObservedContainer): boolean {
  return container.state === "running" || container.state === "restarting" || container.state === "paused";
}

/**
 * The state with only the selected services' containers (services the project still has, when it
 * is known: orphans are `down --remove-orphans`'s business) and no networks or volumes.
 */
function narrowed(
  state: ObservedState,
  options: LifecyclePlanOptions,
  keep: (container: ObservedContainer) => boolean,
): ObservedState {
  const wanted = new Set(options.services ?? []);
  const project = options.project;
  const known = (service: string): boolean =>
    project === undefined ||
    project.services[service] !== undefined ||
    project.disabledServices[service] !== undefined;
  return {
    ...state,
    containers: state.containers.filter(
      (container) =>
        (wanted.size === 0 || wanted.has(container.service)) && known(container.service) && keep(container),
    ),
    networks: {},
    volumes: {},
  };
}

/** Plans `start`: every stopped container of the selected services, after what it depends on. */
export function planStart(state: ObservedState, options: LifecyclePlanOptions = {}): Plan {
  const nodes: PlanNode[] = [];
  const add = (resource: string, operation: Operation, cause: string, dependsOn: number[]): number => {
    const id = nodes.length + 1;
    nodes.push({ id, resource, operation, cause, dependsOn: [...new Set(dependsOn)].sort((a, b) => a - b) });
    return id;
  };
  const containers = narrowed(state, options, (container) => !container.oneoff).containers;
  const byService = new Map<string, ObservedContainer[]>();
  for (const container of containers) {
    byService.set(container.service, [...(byService.get(container.service) ?? []), container]);
  }
  const project = options.project;
  const dependsOn = (service: string): Service["dependsOn"] => project?.services[service]?.dependsOn ?? {};
  const order = dependencyOrder(
    Object.fromEntries([...byService.keys()].map((service) => [service, { dependsOn: dependsOn(service) }])),
  );

  const startNodes = new Map<string, { container: ObservedContainer; start?: number }[]>();
  const waits = new Map<string, number[]>();
  for (const service of order) {
    const ready: number[] = [];
    for (const [dependency, spec] of Object.entries(dependsOn(service)).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const planned = startNodes.get(dependency);
      if (planned === undefined) continue;
      if (spec.condition === "service_started") {
        ready.push(...planned.flatMap((entry) => (entry.start === undefined ? [] : [entry.start])));
        continue;
      }
      const key = `${dependency}/${spec.condition}`;
      let ids = waits.get(key);
      if (ids === undefined) {
        ids = planned.map((entry) =>
          add(
            `service:${dependency}:${entry.container.number}`,
            {
              type: "WaitContainer",
              service: dependency,
              container: { id: entry.container.id, name: entry.container.name },
              condition: spec.condition as Exclude<typeof spec.condition, "service_started">,
              dependent: service,
            },
            spec.condition === "service_healthy"
              ? `${service} needs it healthy`
              : `${service} needs it completed`,
            entry.start === undefined ? [] : [entry.start],
          ),
        );
        waits.set(key, ids);
      }
      ready.push(...ids);
    }
    const entries: { container: ObservedContainer; start?: number }[] = [];
    for (const container of byService.get(service) ?? []) {
      if (isActive(container)) {
        entries.push({ container });
        continue;
      }
      const start = add(
        `service:${service}:${container.number}`,
        {
          type: "StartContainer",
          service,
          container: { id: container.id, name: container.name },
          ...postStartOf(options.project?.services[service]),
        },
        "not running",
        ready,
      );
      entries.push({ container, start });
    }
    startNodes.set(service, entries);
  }
  return { nodes, unchanged: [], warnings: [], errors: [] };
}

/** Plans `stop`: the selected services' running containers, dependents first. */
export function planStop(
  state: ObservedState,
  options: LifecyclePlanOptions & { timeoutSeconds?: number } = {},
): Plan {
  const plan = planDown(
    narrowed(state, options, (container) => !container.oneoff),
    {
      ...(options.project === undefined ? {} : { project: options.project }),
      removeOrphans: true,
      ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    },
  );
  // planDown's stops depend only on other stops; dropping its removals leaves a whole graph.
  const stops = keepNodes(plan.nodes, (node) => node.operation.type === "StopContainer");
  return { ...plan, nodes: stops.map((node) => ({ ...node, cause: "stop" })) };
}

/**
 * Plans `rm`: the selected services' stopped containers (one-off ones included); with `stop`, the
 * running ones too, stopped first, dependents before their dependencies.
 */
export function planRemove(
  state: ObservedState,
  options: LifecyclePlanOptions & { stop?: boolean; volumes?: boolean } = {},
): Plan {
  const plan = planDown(
    narrowed(state, options, (container) => options.stop === true || !isActive(container)),
    {
      ...(options.project === undefined ? {} : { project: options.project }),
      removeOrphans: true,
      volumes: options.volumes ?? false,
    },
  );
  return { ...plan, nodes: plan.nodes.map((node) => ({ ...node, cause: "rm" })), warnings: [] };
}
