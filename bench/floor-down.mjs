// The floors of `down`, shared by the benchmarks that time one (bench/up-floor.mjs,
// bench/secrets-bench.mjs), straight through the Engine API: every container of the project stopped
// and removed in parallel, then its networks; and for `down -t 0`, one forced DELETE per container
// (the engine kills and removes in one call), all in parallel, then its networks.
/** The label Compose (and the floors, like it) puts on a project's resources. */
export const PROJECT_LABEL = "com.docker.compose.project";

/** Removes the containers and networks labelled with `project`. */
export async function floorDown(docker, project) {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (info) => {
      const container = docker.getContainer(info.Id);
      if (info.State === "running") await container.stop();
      await container.remove();
    }),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((network) => docker.getNetwork(network.Id).remove()));
}

/** `down -t 0`'s floor: one forced remove per container, all in parallel, then the networks. */
export async function floorForcedDown(docker, project) {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((info) => docker.getContainer(info.Id).remove({ force: true })));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((network) => docker.getNetwork(network.Id).remove()));
}
