// Fields of the Compose Specification that need a newer Engine API than composec may be talking
// to. An older engine ignores a field it does not know, so a container would run without what the
// file asks for; such a field is refused instead, before anything is created, naming both versions
// (CLARIFICATIONS.md 9). One table; checkApiVersion is pure, the caller asks the engine its version.
import { EngineError } from "../errors.js";
import type { Project, Service } from "../model/project.js";

interface Requirement {
  /** Where the field is written, as problems name paths. */
  path: (service: Service) => string;
  /** Engine API version that first honours it. */
  api: string;
  present: (service: Service) => boolean;
}

const REQUIREMENTS: Requirement[] = [
  {
    // An older engine ignores the create's `platform` query parameter and runs whatever it has.
    path: (service) => `services.${service.name}.platform`,
    api: "1.41",
    present: (service) => service.platform !== undefined,
  },
  {
    path: (service) => `services.${service.name}.healthcheck.start_interval`,
    api: "1.44",
    present: (service) => service.healthcheck?.startInterval !== undefined,
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
      if (requirement.present(service) && olderApi(apiVersion, requirement.api)) {
        problems.push(
          `${requirement.path(service)} needs Docker Engine API ${requirement.api} or newer, but the engine speaks API ${apiVersion}; upgrade the engine, or remove the field`,
        );
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
    if (service !== undefined && REQUIREMENTS.some((requirement) => requirement.present(service)))
      return true;
  }
  return false;
}
