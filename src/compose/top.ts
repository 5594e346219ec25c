// `top` as a library function: the processes running in each of the project's running containers.
import type { ContainerTop, Engine } from "../engine/client.js";
import type { ObservedContainer } from "../plan/state.js";
import { projectContainers } from "./containers.js";

export interface ContainerProcesses {
  container: ObservedContainer;
  top: ContainerTop;
}

/** The processes of the selected services' running containers, sorted by container name. */
export async function top(
  projectName: string,
  engine: Engine,
  services: string[] = [],
): Promise<ContainerProcesses[]> {
  const running = (await projectContainers(projectName, engine, { services, oneoff: true, all: false })).sort(
    (a, b) => a.name.localeCompare(b.name),
  );
  return Promise.all(
    running.map(async (container) => ({ container, top: await engine.topContainer(container) })),
  );
}
