// Finding a project's containers by service, for the commands that act on existing containers
// (`exec`, `start`, `stop`, `kill`, `rm`, `top`, `port`, `cp`, ...).
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { toObservedContainer } from "../engine/observe.js";
import { isSecretsHolder } from "../model/names.js";
import type { ObservedContainer } from "../plan/state.js";

export interface ContainerQuery {
  /** Only these services' containers (default: every service's). */
  services?: string[];
  /** One-off (`run`) containers too (default: not). */
  oneoff?: boolean;
  /** Stopped containers too (default: yes). */
  all?: boolean;
}

/** The project's containers matching `query`, sorted by service, then number, then name. */
export async function projectContainers(
  projectName: string,
  engine: Engine,
  query: ContainerQuery = {},
): Promise<ObservedContainer[]> {
  const wanted = new Set(query.services ?? []);
  return (
    (await engine.listProjectContainers(projectName, { all: query.all ?? true }))
      .map(toObservedContainer)
      .filter((container) => (query.oneoff ?? false) || !container.oneoff)
      // The secrets holder is no service's container: `exec`, `top`, `cp`, ... never act on it.
      .filter((container) => !isSecretsHolder(container.labels))
      .filter((container) => wanted.size === 0 || wanted.has(container.service))
      .sort(
        (a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name),
      )
  );
}

/** Whether the engine counts the container as running (paused and restarting included). */
export function isRunning(container: Pick<ObservedContainer, "state">): boolean {
  return container.state === "running" || container.state === "restarting" || container.state === "paused";
}

/**
 * Container number `index` of `service` (`--index`, default 1); with `running`, it must run.
 * A missing or stopped container is an EngineError saying what to do.
 */
export async function serviceContainer(
  projectName: string,
  engine: Engine,
  service: string,
  options: { index?: number; running?: boolean } = {},
): Promise<ObservedContainer> {
  const index = options.index ?? 1;
  const containers = await projectContainers(projectName, engine, { services: [service] });
  const container = containers.find((candidate) => candidate.number === index);
  if (container === undefined) {
    throw new EngineError(
      containers.length === 0
        ? `service "${service}" has no container in project ${projectName}; run \`composec up -d ${service}\` first`
        : `service "${service}" has no container number ${index} (it has ${containers.map((c) => c.number).join(", ")})`,
      { resource: `service ${service}` },
    );
  }
  if (options.running && container.state !== "running") {
    throw new EngineError(
      `service "${service}" is not running (container ${container.name} is ${container.state}); start it with \`composec start ${service}\``,
      { resource: `container ${container.name}` },
    );
  }
  return container;
}
