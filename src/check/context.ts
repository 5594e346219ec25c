// What every rule family gets: the project, the gathered input, the index of secret values, and
// where to put what it finds.
import { isAbsolute, relative } from "node:path";
import type { Project } from "../model/project.js";
import type { CheckInput } from "./input.js";
import { rule } from "./rules.js";
import type { Finding } from "./types.js";
import type { ValueIndex } from "./value-index.js";
import type { Location } from "../errors.js";

export interface Context {
  project: Project;
  input: CheckInput;
  values: ValueIndex;
  report(finding: Finding): void;
}

/** A path as the project knows it: relative to the project directory when inside it. */
export function projectRelative(project: Project, path: string): string {
  const inside = relative(project.workingDir, path);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
}

/** A finding of `id` at its rule's default severity (or `severity`). */
export function finding(
  id: string,
  location: Location,
  where: string,
  message: string,
  severity = rule(id).severity,
): Finding {
  return { rule: id, severity, location, where, message };
}
