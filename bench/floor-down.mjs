// The floor's `down`, shared by the benchmarks that time one (bench/up-floor.mjs,
// bench/secrets-bench.mjs): every container of the project stopped and removed in parallel, then
// its networks, straight through the Engine API.
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
