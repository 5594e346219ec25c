// Fields of the Compose Specification that need a newer Engine API than composec may be talking
// to. An older engine ignores a field it does not know, so a container would run without what the
// file asks for; such a field is refused instead, before anything is created, naming both versions
// (CLARIFICATIONS.md 9). One table; checkApiVersion is pure, the caller asks the engine its version.
import { EngineError } from "../errors.js";
import type { Project, Service, ServiceNetwork, VolumeMount } from "../model/project.js";
import { networkOrder } from "./container-spec.js";

interface Requirement {
  /** Engine API version that first honours it. */
  api: string;
  /** Where the service uses the field, as problems name paths (none: it does not). */
  find: (service: Service, project: Project) => string[];
}

/** One path when `present`, else none. */
const at =
  (field: string, present: (service: Service) => boolean) =>
  (service: Service): string[] =>
    present(service) ? [`services.${service.name}.${field}`] : [];

/** The service's networks (`services.x.networks.key.field`) whose settings match. */
const perNetwork =
  (field: string, present: (settings: ServiceNetwork, primary: boolean) => boolean) =>
  (service: Service): string[] => {
    const order = networkOrder(service);
    return order
      .filter((key, index) => present(service.networks[key]!, index === 0))
      .map((key) => `services.${service.name}.networks.${key}.${field}`);
  };

/** The service's long-form volumes (`services.x.volumes[i].field`) that match. */
const perMount =
  (field: string, present: (mount: VolumeMount) => boolean) =>
  (service: Service): string[] =>
    service.volumes.flatMap((mount, index) =>
      present(mount) ? [`services.${service.name}.volumes[${index}]${field}`] : [],
    );

const REQUIREMENTS: Requirement[] = [
  // An older engine ignores the create's `platform` query parameter and runs whatever it has.
  { api: "1.41", find: at("platform", (service) => service.platform !== undefined) },
  {
    api: "1.44",
    find: at("healthcheck.start_interval", (service) => service.healthcheck?.startInterval !== undefined),
  },
  { api: "1.43", find: at("annotations", (service) => service.annotations !== undefined) },
  // Before 1.44 only the primary network's MAC can be set (through the container's config).
  {
    api: "1.44",
    find: perNetwork("mac_address", (settings, primary) => !primary && settings.macAddress !== undefined),
  },
  { api: "1.48", find: perNetwork("gw_priority", (settings) => settings.gwPriority !== undefined) },
  { api: "1.49", find: perNetwork("interface_name", (settings) => settings.interfaceName !== undefined) },
  {
    api: "1.45",
    find: perMount(".volume.subpath", (mount) => mount.type === "volume" && mount.subpath !== undefined),
  },
  { api: "1.48", find: perMount(".type: image", (mount) => mount.type === "image") },
  {
    api: "1.44",
    find: perMount(
      ".bind.recursive",
      (mount) => mount.type === "bind" && (mount.recursive === "writable" || mount.recursive === "readonly"),
    ),
  },
  // A network the service joins that turns IPv4 off: the engine before 1.48 would turn it on.
  {
    api: "1.48",
    find: (service, project) =>
      Object.keys(service.networks)
        .filter((key) => project.networks[key]?.enableIpv4 === false)
        .map((key) => `networks.${key}.enable_ipv4`),
  },
];

/** `a` < `b` for API versions such as "1.41" and "1.44". */
export function olderApi(a: string, b: string): boolean {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor < bMajor || (aMajor === bMajor && aMinor < bMinor);
}

/** The fields of `services` that engine API `apiVersion` cannot honour, as one message each. */
export function apiVersionProblems(
  project: Project,
  services: Iterable<string>,
  apiVersion: string,
): string[] {
  const problems: string[] = [];
  for (const name of services) {
    const service = project.services[name];
    if (service === undefined) continue;
    for (const requirement of REQUIREMENTS) {
      if (!olderApi(apiVersion, requirement.api)) continue;
      for (const path of requirement.find(service, project)) {
        const problem = `${path} needs Docker Engine API ${requirement.api} or newer, but the engine speaks API ${apiVersion}; upgrade the engine, or remove the field`;
        // Two services on one network would name `networks.x.enable_ipv4` twice.
        if (!problems.includes(problem)) problems.push(problem);
      }
    }
  }
  return problems;
}

/** Throws an EngineError listing every field the engine's API version cannot honour. */
export function checkApiVersion(project: Project, services: Iterable<string>, apiVersion: string): void {
  const problems = apiVersionProblems(project, services, apiVersion);
  if (problems.length > 0) throw new EngineError(problems.join("\n"));
}

/** Whether any selected service uses a field the table knows (then the engine's version is asked). */
export function usesVersionedFields(project: Project, services: Iterable<string>): boolean {
  for (const name of services) {
    const service = project.services[name];
    if (
      service !== undefined &&
      REQUIREMENTS.some((requirement) => requirement.find(service, project).length > 0)
    )
      return true;
  }
  return false;
}
