// Shared tools for the Swarm tests: make this engine a single-node Swarm manager when it is not one
// (and leave that Swarm again at the end, so the machine is left as found), list what a stack holds
// by its namespace label, and find the running container of a stack's service.
import { docker } from "./helpers.js";

export const STACK_LABEL = "com.docker.stack.namespace";

/** What `composec stack ls` said before the tests made the Swarm (undefined: one was there already). */
export interface SwarmSetup {
  made: boolean;
}

/** Makes the engine a Swarm manager if it is not one; says whether it did. */
export async function ensureSwarm(): Promise<SwarmSetup> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  if (info.Swarm?.LocalNodeState === "active" && info.Swarm.ControlAvailable) return { made: false };
  if (info.Swarm?.LocalNodeState !== "inactive") {
    throw new Error(
      `the engine is in Swarm state ${info.Swarm?.LocalNodeState} and not a manager; the Swarm tests need a manager`,
    );
  }
  await docker.swarmInit({ ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1" });
  return { made: true };
}

/** Leaves the Swarm the tests made; one that was there before stays. */
export async function restoreSwarm(setup: SwarmSetup): Promise<void> {
  if (setup.made) await docker.swarmLeave({ force: true });
}

/** Names of the stack's services, secrets, configs and networks (every one labelled with it). */
export async function stackObjects(
  stack: string,
): Promise<{ services: string[]; secrets: string[]; configs: string[]; networks: string[] }> {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] });
  const [services, secrets, configs, networks] = await Promise.all([
    docker.listServices({ filters }),
    docker.listSecrets({ filters }),
    docker.listConfigs({ filters }),
    docker.listNetworks({ filters }),
  ]);
  return {
    services: services.map((s) => s.Spec?.Name ?? "").sort(),
    secrets: secrets.map((s) => s.Spec?.Name ?? "").sort(),
    configs: configs.map((c) => c.Spec?.Name ?? "").sort(),
    networks: networks.map((n) => n.Name).sort(),
  };
}

/** Removes whatever a test left of its stack, volumes too (only objects labelled with that stack). */
export async function removeStackObjects(stack: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] });
  for (const service of await docker.listServices({ filters })) {
    await docker
      .getService(service.ID)
      .remove()
      .catch(() => {});
  }
  for (let attempt = 0; attempt < 40; attempt++) {
    const left = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.stack.namespace=${stack}`] }),
    });
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const secret of await docker.listSecrets({ filters }))
    await docker
      .getSecret(secret.ID)
      .remove()
      .catch(() => {});
  for (const config of await docker.listConfigs({ filters }))
    await docker
      .getConfig(config.ID)
      .remove()
      .catch(() => {});
  for (const network of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(network.Id)
      .remove()
      .catch(() => {});
  // The stack's named volumes (the wordpress example's db_data), which the tasks made with the
  // namespace label: `stack rm`, as docker's, keeps them; the test's engine must not.
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const volume of volumes ?? [])
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => {});
}

/** The id of the one running container of `<stack>_<service>`. */
export async function runningTask(stack: string, service: string): Promise<string> {
  const containers = await docker.listContainers({
    filters: JSON.stringify({ label: [`com.docker.swarm.service.name=${stack}_${service}`] }),
  });
  if (containers.length !== 1) {
    throw new Error(`expected one running container of ${stack}_${service}, found ${containers.length}`);
  }
  return containers[0]!.Id;
}

/** The service's spec and every secret's spec of the stack, as JSON text (to look for leaks). */
export async function stackSpecsText(stack: string): Promise<string> {
  const filters = JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] });
  const services = await Promise.all(
    (await docker.listServices({ filters })).map((s) => docker.getService(s.ID).inspect()),
  );
  const secrets = await docker.listSecrets({ filters });
  const tasks = await docker.listTasks({ filters: JSON.stringify({ label: [] }) });
  const containers = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] }),
  });
  const inspected = await Promise.all(containers.map((c) => docker.getContainer(c.Id).inspect()));
  return JSON.stringify({ services, secrets, tasks, inspected });
}
