// `composec undeploy` and `composec stack ps|services|ls`: what a stack is on the Swarm, found by
// its namespace label, as `docker stack` finds it.
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine } from "../engine/client.js";
import type { ProgressListener } from "../engine/progress.js";
import { STACK_LABEL, stackFilter } from "../model/names.js";
import { SwarmClient, stacksOf } from "./client.js";

export interface UndeployResult {
  /** Nothing of the stack was found. */
  nothingToDo: boolean;
}

/**
 * Removes the stack's services, then (once their tasks are gone, so nothing holds them) its
 * secrets, configs and networks. Volumes stay, as with `docker stack rm`.
 */
export async function undeploy(
  stack: string,
  engine: Engine,
  options: { onProgress?: ProgressListener; pollMs?: number; timeoutMs?: number } = {},
): Promise<UndeployResult> {
  const progress = options.onProgress ?? (() => {});
  const swarm = new SwarmClient(engine);
  await swarm.requireManager();
  const filter = [stackFilter(stack)];
  const [services, secrets, configs, networks] = await Promise.all([
    swarm.listServices(filter),
    swarm.listSecrets(filter),
    swarm.listConfigs(filter),
    swarm.listNetworks(filter),
  ]);
  if (services.length + secrets.length + configs.length + networks.length === 0) return { nothingToDo: true };
  for (const service of services) {
    progress({ resource: `Service ${service.name}`, status: "Removing" });
    await swarm.removeService(service.id, service.name);
    progress({ resource: `Service ${service.name}`, status: "Removed" });
  }
  // A removed service's tasks shut down over a moment; its secrets and networks go after them.
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (const service of services) {
    while ((await swarm.listTasks({ service: [service.id] })).length > 0 && Date.now() < deadline) {
      await sleep(options.pollMs ?? 250);
    }
  }
  for (const secret of secrets) {
    progress({ resource: `Secret ${secret.name}`, status: "Removing" });
    await swarm.removeSecret(secret.id, secret.name);
    progress({ resource: `Secret ${secret.name}`, status: "Removed" });
  }
  for (const config of configs) {
    progress({ resource: `Config ${config.name}`, status: "Removing" });
    await swarm.removeConfig(config.id, config.name);
    progress({ resource: `Config ${config.name}`, status: "Removed" });
  }
  for (const network of networks) {
    progress({ resource: `Network ${network.name}`, status: "Removing" });
    await removeNetworkWhenFree(swarm, network.id, network.name, deadline, options.pollMs ?? 250);
    progress({ resource: `Network ${network.name}`, status: "Removed" });
  }
  // The manager forgets a removed network at once; this node lists its copy for a moment longer.
  while ((await swarm.listNetworks(filter)).length > 0 && Date.now() < deadline) {
    await sleep(options.pollMs ?? 250);
  }
  return { nothingToDo: false };
}

/**
 * The node may still be detaching the last containers: retry a refused removal until the deadline.
 *
 * Not shared with the engine client's removeNetwork retry (src/engine/client.ts), on purpose: that
 * one retries only an "active endpoints" refusal while the network lists no container (the engine
 * catching up), for a fixed grace, and fails at once when a container is really attached. Here
 * the tasks of the removed services are still being torn down by the swarm: containers may still
 * be attached for a while, the refusal can come from the manager in other words, and the wait is
 * bounded by the deadline of the whole `stack rm`. One loop would have to take both conditions
 * and both deadlines as parameters, which says no more than the two loops do.
 */
async function removeNetworkWhenFree(
  swarm: SwarmClient,
  id: string,
  name: string,
  deadline: number,
  pollMs: number,
): Promise<void> {
  for (;;) {
    try {
      await swarm.removeNetwork(id, name);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(pollMs);
    }
  }
}

/** One row of `stack services`. */
export interface StackServiceRow {
  id: string;
  name: string;
  mode: string;
  replicas: string;
  image: string;
  ports: string;
}

/** The stack's services with their running/desired counts. */
export async function stackServices(stack: string, engine: Engine): Promise<StackServiceRow[]> {
  const swarm = new SwarmClient(engine);
  await swarm.requireManager();
  const services = await swarm.listServices([stackFilter(stack)]);
  const nodes = (await swarm.nodeNames()).size;
  const rows: StackServiceRow[] = [];
  for (const service of services.sort((a, b) => a.name.localeCompare(b.name))) {
    const tasks = await swarm.listTasks({ service: [service.id], "desired-state": ["running"] });
    const running = tasks.filter((t) => t.state === "running").length;
    const global = service.spec.Mode.Global !== undefined;
    const desired = global ? nodes : (service.spec.Mode.Replicated?.Replicas ?? 0);
    rows.push({
      id: service.id.slice(0, 12),
      name: service.name,
      mode: global ? "global" : "replicated",
      replicas: `${running}/${desired}`,
      image: service.spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:.*$/, ""),
      ports: (service.spec.EndpointSpec?.Ports ?? [])
        .map((p) => `*:${p.PublishedPort ?? ""}->${p.TargetPort}/${p.Protocol}`)
        .join(", "),
    });
  }
  return rows;
}

/** One row of `stack ps`. */
export interface StackTaskRow {
  id: string;
  name: string;
  image: string;
  node: string;
  desiredState: string;
  currentState: string;
  error: string;
}

/** The stack's tasks, newest first per slot, as `docker stack ps`. */
export async function stackTasks(stack: string, engine: Engine): Promise<StackTaskRow[]> {
  const swarm = new SwarmClient(engine);
  await swarm.requireManager();
  const services = await swarm.listServices([stackFilter(stack)]);
  const nodes = await swarm.nodeNames();
  const rows: StackTaskRow[] = [];
  for (const service of services.sort((a, b) => a.name.localeCompare(b.name))) {
    const tasks = await swarm.listTasks({ service: [service.id] });
    tasks.sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || b.createdAt.localeCompare(a.createdAt));
    for (const task of tasks) {
      rows.push({
        id: task.id.slice(0, 12),
        name: `${service.name}.${task.slot ?? task.nodeId ?? ""}`,
        image: task.image.replace(/@sha256:.*$/, ""),
        node: task.nodeId ? (nodes.get(task.nodeId) ?? task.nodeId) : "",
        desiredState: capitalise(task.desiredState),
        currentState: capitalise(task.state),
        error: task.error ?? "",
      });
    }
  }
  return rows;
}

/** Every stack on the Swarm with its number of services. */
export async function listStacks(engine: Engine): Promise<Array<{ name: string; services: number }>> {
  const swarm = new SwarmClient(engine);
  await swarm.requireManager();
  return stacksOf(await swarm.listServices([STACK_LABEL.namespace]));
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
