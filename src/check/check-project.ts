// The pure core of `composec check`: a loaded project and what was gathered from the disk in,
// findings out. No I/O: gather.ts reads, the renderers print, the CLI picks the exit code.
import { createHash } from "node:crypto";
import type { Project } from "../model/project.js";
import { checkComposeValues } from "./compose-values.js";
import { projectRelative, type Context } from "./context.js";
import { readDockerfiles } from "./dockerfiles.js";
import { checkGrants } from "./grants.js";
import { checkedServices, type CheckInput } from "./input.js";
import { checkSecretFiles } from "./secret-files.js";
import { applySuppressions } from "./suppress.js";
import type { Finding } from "./types.js";
import { ValueIndex } from "./value-index.js";

/** Every finding of every rule on the project, suppressed ones marked, sorted by file and line. */
export function checkProject(project: Project, input: CheckInput): Finding[] {
  const found: Finding[] = [];
  const seen = new Set<string>();
  const context: Context = {
    project,
    input,
    values: new ValueIndex(input.secretValues),
    report(item) {
      // A Dockerfile or env file several services share is one place, reported once.
      const key = `${item.rule}\0${item.location.file}\0${item.location.line}\0${item.where}`;
      if (seen.has(key)) return;
      seen.add(key);
      found.push(item);
    },
  };
  const services = checkedServices(project, input);
  checkComposeValues(context, services);
  const dockerfiles = readDockerfiles(context, services);
  checkSecretFiles(context, services, dockerfiles);
  checkGrants(context, services);
  return applySuppressions(project, input, found).sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      a.rule.localeCompare(b.rule),
  );
}

/**
 * A finding's fingerprint: the rule, the file relative to the project and the place in words, so
 * it stays the same when lines move or the project is checked out elsewhere. Never a value.
 */
export function fingerprint(project: Project, item: Finding): string {
  return createHash("sha256")
    .update(`${item.rule}\0${projectRelative(project, item.location.file)}\0${item.where}`)
    .digest("hex")
    .slice(0, 32);
}
