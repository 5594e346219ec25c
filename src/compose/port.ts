// `port` as a library function: the host address a container port is published on.
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import { serviceContainer } from "./containers.js";

/** `host:port` of the first binding of `port/protocol` of the service's container `index`. */
export async function publishedPort(
  projectName: string,
  engine: Engine,
  options: { service: string; port: number; protocol: string; index?: number },
): Promise<string> {
  const container = await serviceContainer(projectName, engine, options.service, {
    ...(options.index === undefined ? {} : { index: options.index }),
  });
  const info = await engine.inspectContainer(container);
  const key = `${options.port}/${options.protocol}`;
  const bindings = (
    info.NetworkSettings.Ports as Record<string, { HostIp: string; HostPort: string }[] | null>
  )?.[key];
  const binding = bindings?.[0];
  if (binding === undefined) {
    throw new EngineError(
      `service "${options.service}": port ${key} of container ${container.name} is not published${info.State.Running ? "" : " (the container is not running)"}`,
      { resource: `container ${container.name}` },
    );
  }
  return `${binding.HostIp === "" ? "0.0.0.0" : binding.HostIp}:${binding.HostPort}`;
}
