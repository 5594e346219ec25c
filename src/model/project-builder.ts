// Builds Project values by hand with every default filled in: for tests and for library users
// who construct a project in code instead of loading compose files.
import type { Network, Project, Service, Volume } from "./project.js";

/** A service with Compose's defaults; `overrides` win. */
export function makeService(name: string, overrides: Partial<Service> = {}): Service {
  return {
    name,
    environment: {},
    envFiles: [],
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: overrides.networkMode === undefined ? { default: { aliases: [] } } : {},
    dependsOn: {},
    labels: {},
    readOnly: false,
    capAdd: [],
    capDrop: [],
    privileged: false,
    extraHosts: [],
    dns: [],
    ulimits: {},
    sysctls: {},
    devices: [],
    tty: false,
    stdinOpen: false,
    groupAdd: [],
    replicas: 1,
    profiles: [],
    secrets: [],
    configs: [],
    extensions: {},
    ...overrides,
  };
}

/** A network named `<project>_<key>` unless `overrides.name` says otherwise. */
export function makeNetwork(projectName: string, key: string, overrides: Partial<Network> = {}): Network {
  return {
    name: `${projectName}_${key}`,
    external: false,
    driverOpts: {},
    labels: {},
    internal: false,
    attachable: false,
    enableIpv6: false,
    ...overrides,
  };
}

/** A volume named `<project>_<key>` unless `overrides.name` says otherwise. */
export function makeVolume(projectName: string, key: string, overrides: Partial<Volume> = {}): Volume {
  return { name: `${projectName}_${key}`, external: false, driverOpts: {}, labels: {}, ...overrides };
}

/**
 * A project from services; every network and volume key the services mention is declared with
 * its default (as the loader does for `default`), unless `overrides` declares it.
 */
export function makeProject(
  name: string,
  services: Service[],
  overrides: Partial<Omit<Project, "services">> = {},
): Project {
  const networks: Record<string, Network> = {};
  const volumes: Record<string, Volume> = {};
  for (const service of services) {
    for (const key of Object.keys(service.networks)) networks[key] = makeNetwork(name, key);
    for (const mount of service.volumes) {
      if (mount.type === "volume" && mount.source !== undefined) {
        volumes[mount.source] = makeVolume(name, mount.source);
      }
    }
  }
  return {
    name,
    workingDir: `/work/${name}`,
    composeFiles: [`/work/${name}/compose.yaml`],
    services: Object.fromEntries(services.map((service) => [service.name, service])),
    networks: { ...networks, ...overrides.networks },
    volumes: { ...volumes, ...overrides.volumes },
    secrets: {},
    configs: {},
    disabledServices: {},
    models: {},
    extensions: {},
    ...withoutCollections(overrides),
  };
}

function withoutCollections(overrides: Partial<Omit<Project, "services">>): Partial<Project> {
  const { networks: _networks, volumes: _volumes, ...rest } = overrides;
  return rest;
}
