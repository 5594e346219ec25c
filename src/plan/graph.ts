// The service dependency graph (`depends_on`): which services a selection needs, and the order
// in which they can start. Pure.
import { ProjectError, type Problem } from "../errors.js";
import type { Project, Service } from "../model/project.js";

/**
 * The services `names` select plus everything they depend on, transitively; all services when
 * `names` is empty. Unknown names and dependencies on services that are not in the project
 * (disabled by a profile, or missing) are reported together. With `noDeps` (`up --no-deps`), the
 * named services alone.
 */
export function selectServices(
  project: Project,
  names: string[],
  options: { noDeps?: boolean } = {},
): Set<string> {
  const problems: Problem[] = [];
  const known = Object.keys(project.services).sort();
  for (const name of names) {
    if (project.services[name] !== undefined) continue;
    problems.push({
      message:
        project.disabledServices[name] !== undefined
          ? `service "${name}" is disabled by its profiles (${(project.disabledServices[name] as Service).profiles.join(", ")}); enable one with --profile`
          : `no such service: "${name}"; the project's services are: ${known.join(", ") || "(none)"}`,
    });
  }
  if (problems.length > 0) throw new ProjectError(problems);

  if (options.noDeps && names.length > 0) return new Set(names);
  const selected = new Set<string>();
  const visit = (name: string): void => {
    if (selected.has(name)) return;
    selected.add(name);
    const service = project.services[name] as Service;
    for (const [dependency, spec] of Object.entries(service.dependsOn)) {
      if (project.services[dependency] !== undefined) visit(dependency);
      else if (spec.required) {
        const why =
          project.disabledServices[dependency] !== undefined
            ? "is disabled by its profiles"
            : "does not exist";
        problems.push({
          path: `services.${name}.depends_on.${dependency}`,
          message: `service "${name}" depends on "${dependency}", which ${why}`,
        });
      }
    }
  };
  for (const name of names.length > 0 ? names : known) visit(name);
  if (problems.length > 0) throw new ProjectError(problems);
  return selected;
}

/**
 * `services` ordered dependencies first (ties by name, so plans are stable). A cycle is a
 * ProjectError naming it.
 */
export function dependencyOrder(services: Record<string, Pick<Service, "dependsOn">>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name].join(" -> ");
      throw new ProjectError([{ message: `services depend on each other in a cycle: ${cycle}` }]);
    }
    state.set(name, "visiting");
    const service = services[name];
    if (service !== undefined) {
      for (const dependency of Object.keys(service.dependsOn).sort()) {
        if (services[dependency] !== undefined) visit(dependency, [...path, name]);
      }
    }
    state.set(name, "done");
    order.push(name);
  };
  for (const name of Object.keys(services).sort()) visit(name, []);
  return order;
}
