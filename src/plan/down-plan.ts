// `down`'s planner: stop and remove a project's containers (dependents before what they depend
// on; with `-t 0`, or for a container not running, one forced remove each), then its networks, and
// with `-v` its volumes. Works from the compose files when they are
// there and from labels alone when only a project name is known. Pure.
import type { Project } from "../model/project.js";
import type { ObservedContainer, ObservedState } from "./state.js";
import { probeRemovals } from "./probes.js";
import type { Plan, PlanNode } from "./types.js";

export interface DownPlanOptions {
  /** The loaded project, when there is one; without it everything labelled with the name goes. */
  project?: Project;
  /** Also remove containers of services that are no longer in the project. */
  removeOrphans?: boolean;
  /** `-v`: remove the project's named volumes and the containers' anonymous volumes. */
  volumes?: boolean;
  /** `-t`: seconds to wait for each container to stop before killing it. */
  timeoutSeconds?: number;
}

/** Plans `down` for the project `state` was observed for. */
export function planDown(state: ObservedState, options: DownPlanOptions = {}): Plan {
  const nodes: PlanNode[] = [];
  const warnings: string[] = [];
  const add = (
    resource: string,
    operation: PlanNode["operation"],
    cause: string,
    dependsOn: number[] = [],
  ): number => {
    const id = nodes.length + 1;
    nodes.push({ id, resource, operation, cause, dependsOn: [...new Set(dependsOn)].sort((a, b) => a - b) });
    return id;
  };
  const project = options.project;
  const known = (service: string): boolean =>
    project === undefined ||
    project.services[service] !== undefined ||
    project.disabledServices[service] !== undefined;

  const orphans = state.containers.filter((container) => !container.oneoff && !known(container.service));
  if (orphans.length > 0 && !options.removeOrphans) {
    warnings.push(
      `Found orphan containers (${orphans
        .map((container) => container.name)
        .sort()
        .join(
          ", ",
        )}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    );
  }
  const doomed = state.containers
    .filter((container) => container.oneoff || known(container.service) || options.removeOrphans)
    .sort(byServiceThenNumber);

  // A container stops only after every container of the services that depend on its service.
  const dependents = new Map<string, Set<string>>();
  const noteDependency = (dependent: string, dependency: string): void => {
    if (!dependents.has(dependency)) dependents.set(dependency, new Set());
    (dependents.get(dependency) as Set<string>).add(dependent);
  };
  for (const container of doomed)
    for (const dependency of container.dependsOn) noteDependency(container.service, dependency);
  for (const service of Object.values(project?.services ?? {})) {
    for (const dependency of Object.keys(service.dependsOn)) noteDependency(service.name, dependency);
  }

  const stopNodes = new Map<string, number[]>();
  const removeNodes: number[] = [];
  const visiting = new Set<string>();
  const stopService = (service: string): number[] => {
    const done = stopNodes.get(service);
    if (done !== undefined) return done;
    // A dependency cycle in labels cannot order anything: stop such services without waiting.
    if (visiting.has(service)) return [];
    visiting.add(service);
    const after = [...(dependents.get(service) ?? [])].sort().flatMap((dependent) => stopService(dependent));
    const ids: number[] = [];
    for (const container of doomed.filter((candidate) => candidate.service === service)) {
      const resource = resourceOf(container, known);
      const ref = { id: container.id, name: container.name };
      const cause = causeOf(container, known);
      const active = isActive(container);
      // A one-off container (`run`) runs no hooks, as in Compose; nor does one the project no longer defines.
      const hooks = active && !container.oneoff ? project?.services[container.service]?.preStop : undefined;
      // No grace to give (`-t 0`) or nothing running: one forced remove, which kills and removes in
      // one engine call, does what a stop and then a remove would. A stop with grace time, or one
      // with pre_stop hooks to run first, is never replaced.
      if ((options.timeoutSeconds === 0 && !hooks?.length) || !active) {
        const remove = add(
          resource,
          { type: "RemoveContainer", container: ref, volumes: options.volumes ?? false, force: true },
          cause,
          after,
        );
        removeNodes.push(remove);
        // Its dependents' containers are gone before it, as they would be stopped before it.
        if (active) ids.push(remove);
        continue;
      }
      const stop = add(
        resource,
        {
          type: "StopContainer",
          container: ref,
          ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
          ...(hooks?.length ? { preStop: { service: container.service, hooks } } : {}),
        },
        cause,
        after,
      );
      ids.push(stop);
      removeNodes.push(
        add(resource, { type: "RemoveContainer", container: ref, volumes: options.volumes ?? false }, cause, [
          stop,
        ]),
      );
    }
    visiting.delete(service);
    // Dependents of this service wait on its stops; when it had nothing running, on what it waited for.
    const result = ids.length > 0 ? ids : after;
    stopNodes.set(service, result);
    return result;
  };
  for (const service of [...new Set(doomed.map((container) => container.service))].sort())
    stopService(service);
  for (const removal of probeRemovals(state))
    removeNodes.push(add(removal.resource, removal.operation, removal.cause));

  const ours = (entry: { project?: string; key?: string }, declared: (key: string) => boolean): boolean =>
    entry.project === state.projectName &&
    (project === undefined ||
      options.removeOrphans === true ||
      (entry.key !== undefined && declared(entry.key)));

  for (const network of Object.values(state.networks).sort((a, b) => a.name.localeCompare(b.name))) {
    const declared = (key: string): boolean => project?.networks[key]?.external === false;
    if (!ours(network, declared)) continue;
    add(
      `network:${network.key ?? network.name}`,
      { type: "RemoveNetwork", name: network.name },
      "project down",
      removeNodes,
    );
  }
  if (options.volumes) {
    for (const volume of Object.values(state.volumes).sort((a, b) => a.name.localeCompare(b.name))) {
      const declared = (key: string): boolean => project?.volumes[key]?.external === false;
      if (!ours(volume, declared)) continue;
      add(
        `volume:${volume.key ?? volume.name}`,
        { type: "RemoveVolume", name: volume.name },
        "project down (-v)",
        removeNodes,
      );
    }
  }
  return { nodes, unchanged: [], warnings, errors: [] };
}

function isActive(container: ObservedContainer): boolean {
  return container.state === "running" || container.state === "restarting" || container.state === "paused";
}

function resourceOf(container: ObservedContainer, known: (service: string) => boolean): string {
  if (container.oneoff) return `oneoff:${container.name}`;
  if (!known(container.service)) return `orphan:${container.name}`;
  return `service:${container.service}:${container.number}`;
}

function causeOf(container: ObservedContainer, known: (service: string) => boolean): string {
  if (container.oneoff) return "one-off container";
  if (!known(container.service)) return "orphaned container";
  return "project down";
}

function byServiceThenNumber(a: ObservedContainer, b: ObservedContainer): number {
  return a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name);
}
