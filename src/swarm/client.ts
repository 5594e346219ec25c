// The Swarm half of the Engine API (services, tasks, secrets, configs, overlay networks), over the
// same connection as the engine client, through its `request`, which sends an explicit query and body:
// dockerode's own createSecret would put the whole request, secret data included, into the URL's
// query string as well as the body.
import { EngineError } from "../errors.js";
import { formatEndpoint, type Engine } from "../engine/client.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { STACK_LABEL } from "../model/names.js";
import type { NetworkSpec, ObservedObject, ObservedService, ObservedTask, ServiceSpec } from "./types.js";

/** What `GET /info` says of this engine's part in a Swarm. */
export interface SwarmMembership {
  state: string;
  manager: boolean;
  clusterId?: string;
  error?: string;
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string };
  CreatedAt?: string;
  UpdatedAt?: string;
}

interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Message?: string; Err?: string; Timestamp: string };
  CreatedAt: string;
  Version?: { Index: number };
  Spec: {
    ContainerSpec?: {
      Image?: string;
      Secrets?: Array<{ SecretName: string }>;
      Configs?: Array<{ ConfigName: string }>;
    };
  };
}

/** A stack's service with what `stack services` and convergence need. */
export interface StackService extends ObservedService {
  spec: ServiceSpec;
  updateState?: string;
  updateMessage?: string;
}

/** The Swarm operations of `composec deploy`, `undeploy` and `stack`. */
export class SwarmClient {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** The engine's Swarm membership; never throws for "no Swarm". */
  async membership(): Promise<SwarmMembership> {
    const info = await this.#dial<{
      Swarm?: {
        LocalNodeState?: string;
        ControlAvailable?: boolean;
        Cluster?: { ID?: string };
        Error?: string;
      };
    }>("engine", "GET", "/info");
    const swarm = info.Swarm ?? {};
    return {
      state: swarm.LocalNodeState ?? "inactive",
      manager: swarm.ControlAvailable === true,
      ...(swarm.Cluster?.ID ? { clusterId: swarm.Cluster.ID } : {}),
      ...(swarm.Error ? { error: swarm.Error } : {}),
    };
  }

  /**
   * The cluster id when this engine is a Swarm manager; else an error that says what to do
   * (`docker swarm init`, or which manager to point at).
   */
  async requireManager(): Promise<string> {
    const where = formatEndpoint(this.#engine.endpoint);
    const swarm = await this.membership();
    if (swarm.state === "inactive") {
      throw new EngineError(
        `the Docker Engine at ${where} is not part of a Swarm; make it one with \`docker swarm init\` (or point -H/DOCKER_HOST at a Swarm manager)`,
      );
    }
    if (!swarm.manager || swarm.clusterId === undefined) {
      throw new EngineError(
        `the Docker Engine at ${where} is a Swarm worker (state ${swarm.state}), not a manager; point -H/DOCKER_HOST at a manager, or promote this node with \`docker node promote\``,
      );
    }
    return swarm.clusterId;
  }

  /** Services whose labels match (every stack's with the namespace label alone). */
  async listServices(labelFilters: string[]): Promise<StackService[]> {
    const raw = await this.#dial<RawService[]>("services", "GET", "/services", {
      query: { filters: JSON.stringify({ label: labelFilters }) },
    });
    return raw.map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      version: s.Version.Index,
      labels: s.Spec.Labels ?? {},
      refersTo: references(s.Spec),
      spec: s.Spec,
      ...(s.UpdateStatus?.State ? { updateState: s.UpdateStatus.State } : {}),
      ...(s.UpdateStatus?.Message ? { updateMessage: s.UpdateStatus.Message } : {}),
    }));
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const created = await this.#dial<{ ID: string }>(`service ${spec.Name}`, "POST", "/services/create", {
      body: spec,
    });
    return created.ID;
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.#dial(`service ${spec.Name}`, "POST", `/services/${id}/update`, {
      query: { version: String(version) },
      body: spec,
    });
  }

  async removeService(id: string, name: string): Promise<void> {
    await this.#dial(`service ${name}`, "DELETE", `/services/${id}`, { notFound: true });
  }

  /** Tasks matching the filters (`service`, `label`, `desired-state`); none for a removed service. */
  async listTasks(filters: Record<string, string[]>): Promise<ObservedTask[]> {
    const raw =
      (await this.#dial<RawTask[] | undefined>("tasks", "GET", "/tasks", {
        query: { filters: JSON.stringify(filters) },
        notFound: true,
      })) ?? [];
    return raw.map((t) => ({
      id: t.ID,
      serviceId: t.ServiceID,
      ...(t.Slot !== undefined ? { slot: t.Slot } : {}),
      ...(t.NodeID ? { nodeId: t.NodeID } : {}),
      desiredState: t.DesiredState,
      state: t.Status.State,
      message: t.Status.Message ?? "",
      ...(t.Status.Err ? { error: t.Status.Err } : {}),
      timestamp: t.Status.Timestamp,
      createdAt: t.CreatedAt,
      image: t.Spec.ContainerSpec?.Image ?? "",
      refersTo: [
        ...(t.Spec.ContainerSpec?.Secrets ?? []).map((s) => s.SecretName),
        ...(t.Spec.ContainerSpec?.Configs ?? []).map((c) => c.ConfigName),
      ],
    }));
  }

  /** Node id to hostname, for `stack ps`. */
  async nodeNames(): Promise<Map<string, string>> {
    const nodes = await this.#dial<Array<{ ID: string; Description?: { Hostname?: string } }>>(
      "nodes",
      "GET",
      "/nodes",
    );
    return new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  }

  async listSecrets(labelFilters: string[] = []): Promise<ObservedObject[]> {
    return this.#listObjects("secrets", labelFilters);
  }

  /** Creates a secret; the value goes in the request body only, and no error repeats it. */
  async createSecret(name: string, labels: Record<string, string>, value: SecretValue): Promise<string> {
    const created = await this.#dial<{ ID: string }>(`secret ${name}`, "POST", "/secrets/create", {
      body: { Name: name, Labels: labels, Data: value.bytes().toString("base64") },
    });
    return created.ID;
  }

  async removeSecret(id: string, name: string): Promise<void> {
    await this.#dial(`secret ${name}`, "DELETE", `/secrets/${id}`, { notFound: true });
  }

  async listConfigs(labelFilters: string[] = []): Promise<ObservedObject[]> {
    return this.#listObjects("configs", labelFilters);
  }

  async createConfig(name: string, labels: Record<string, string>, data: Buffer): Promise<string> {
    const created = await this.#dial<{ ID: string }>(`config ${name}`, "POST", "/configs/create", {
      body: { Name: name, Labels: labels, Data: data.toString("base64") },
    });
    return created.ID;
  }

  async removeConfig(id: string, name: string): Promise<void> {
    await this.#dial(`config ${name}`, "DELETE", `/configs/${id}`, { notFound: true });
  }

  async listNetworks(labelFilters: string[] = []): Promise<ObservedObject[]> {
    const raw = await this.#dial<Array<{ Id: string; Name: string; Labels?: Record<string, string> }>>(
      "networks",
      "GET",
      "/networks",
      labelFilters.length > 0 ? { query: { filters: JSON.stringify({ label: labelFilters }) } } : {},
    );
    return raw.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async createNetwork(spec: NetworkSpec): Promise<string> {
    const created = await this.#dial<{ Id: string }>(`network ${spec.Name}`, "POST", "/networks/create", {
      body: { ...spec, CheckDuplicate: true },
    });
    return created.Id;
  }

  async removeNetwork(id: string, name: string): Promise<void> {
    await this.#dial(`network ${name}`, "DELETE", `/networks/${id}`, { notFound: true });
  }

  async #listObjects(kind: "secrets" | "configs", labelFilters: string[]): Promise<ObservedObject[]> {
    const raw = await this.#dial<
      Array<{ ID: string; Spec: { Name: string; Labels?: Record<string, string> } }>
    >(
      kind,
      "GET",
      `/${kind}`,
      labelFilters.length > 0 ? { query: { filters: JSON.stringify({ label: labelFilters }) } } : {},
    );
    return raw.map((o) => ({ id: o.ID, name: o.Spec.Name, labels: o.Spec.Labels ?? {} }));
  }

  /** One request; a failure becomes an EngineError naming `resource` (404 is "done" when `notFound`). */
  #dial<T>(
    resource: string,
    method: "GET" | "POST" | "DELETE",
    path: string,
    options: { query?: Record<string, string>; body?: unknown; notFound?: boolean } = {},
  ): Promise<T> {
    return this.#engine.request<T>(resource, method, path, options);
  }
}

function references(spec: ServiceSpec): string[] {
  const container = spec.TaskTemplate.ContainerSpec;
  return [
    ...(container.Secrets ?? []).map((s) => s.SecretName),
    ...(container.Configs ?? []).map((c) => c.ConfigName),
  ];
}

/** Every stack on the Swarm, from its services' namespace labels, with their counts. */
export function stacksOf(services: StackService[]): Array<{ name: string; services: number }> {
  const counts = new Map<string, number>();
  for (const service of services) {
    const stack = service.labels[STACK_LABEL.namespace];
    if (stack !== undefined) counts.set(stack, (counts.get(stack) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, services]) => ({ name, services }));
}
