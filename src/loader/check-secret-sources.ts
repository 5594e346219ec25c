// Stage 7: every secret a service will receive can be read as `up` will read it. Nothing is read
// here: a file is only stat'ed (a FIFO must not block us), a variable only looked up.
import { accessSync, constants, lstatSync, statSync, type Stats } from "node:fs";
import type { Project } from "../model/project.js";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { findProgram } from "../secrets/find-program.js";
import type { Diagnostics, SourceMap } from "./source-map.js";

/**
 * Checks the source of every secret and config that an enabled service (or its build) asks for.
 * External ones are checked by the store when it opens; here they only need to be named.
 */
export function checkSecretSources(
  project: Project,
  variables: Record<string, string>,
  sources: SourceMap,
  diagnostics: Diagnostics,
  shell: Record<string, string | undefined> = process.env,
): void {
  const usedBy = (services: Record<string, Project["services"][string]>, kind: "secrets" | "configs") => {
    const names = new Set<string>();
    for (const key in services) {
      const service = services[key]!;
      for (const grant of service[kind]) names.add(grant.source);
      if (kind === "secrets") for (const grant of service.build?.secrets ?? []) names.add(grant.source);
    }
    return names;
  };
  const asRoot = process.getuid?.() === 0;
  for (const kind of ["secrets", "configs"] as const) {
    const noun = kind === "secrets" ? "secret" : "config";
    const enabled = usedBy(project.services, kind);
    const disabled = usedBy(project.disabledServices, kind);
    for (const [key, definition] of Object.entries(project[kind])) {
      // A secret only a disabled profile asks for is not needed by this run, as `up` would see it.
      if (disabled.has(key) && !enabled.has(key)) continue;
      const fail = (field: string, message: string) =>
        diagnostics.error(sources.locate(definition, [field]), [kind, key, field], message);
      const { source } = definition;
      if (source.kind === "file") {
        const problem = describeFileProblem(source.path, asRoot, noun);
        if (problem) fail("file", problem);
      } else if (source.kind === "environment") {
        const value = variables[source.variable];
        if (value === undefined) {
          fail(
            "environment",
            `variable ${source.variable} is not set; set it in the shell or in .env (an empty value is a 0-byte ${noun})`,
          );
        } else if (Buffer.byteLength(value) > MAX_SECRET_BYTES) {
          fail(
            "environment",
            `variable ${source.variable} holds ${Buffer.byteLength(value)} bytes, more than the ${MAX_SECRET_BYTES}-byte limit for a ${noun}`,
          );
        }
      } else if (source.kind === "content" && Buffer.byteLength(source.content) > MAX_SECRET_BYTES) {
        fail(
          "content",
          `holds ${Buffer.byteLength(source.content)} bytes, more than the ${MAX_SECRET_BYTES}-byte limit for a ${noun}`,
        );
      } else if (source.kind === "command") {
        // Only found, not run: the command runs once, when `up` needs the value.
        const program = findProgram(source.argv[0]!, shell["PATH"]);
        if (typeof program !== "string") fail("x-composec-command", program.problem);
      }
    }
  }
}

/**
 * Why `path` cannot be a secret's source, or undefined when it can. `asRoot` (root reads any file)
 * is asked of the process once by the caller: a large project checks hundreds of files.
 */
export function describeFileProblem(
  path: string,
  asRoot = process.getuid?.() === 0,
  noun: "secret" | "config" = "secret",
): string | undefined {
  let target: Stats;
  try {
    target = statSync(path);
  } catch {
    // Only now tell a dangling symbolic link from a missing file: the common case costs one stat.
    try {
      lstatSync(path);
      return `"${path}" is a symbolic link to a file that does not exist`;
    } catch {
      return `"${path}" does not exist; create the file holding the ${noun} (composec never creates it for you)`;
    }
  }
  if (target.isDirectory()) return `"${path}" is a directory; give the path of a file`;
  if (target.isFIFO()) return `"${path}" is a named pipe (FIFO); a ${noun} must be a regular file`;
  if (target.isSocket()) return `"${path}" is a socket; a ${noun} must be a regular file`;
  if (target.isBlockDevice() || target.isCharacterDevice())
    return `"${path}" is a device; a ${noun} must be a regular file`;
  if (!target.isFile()) return `"${path}" is not a regular file`;
  if (target.size > MAX_SECRET_BYTES) {
    return `"${path}" holds ${target.size} bytes, more than the ${MAX_SECRET_BYTES}-byte limit for a ${noun}`;
  }
  if (asRoot) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return `"${path}" is not readable by this user (uid ${process.getuid?.() ?? "?"}); fix its permissions or run as its owner`;
  }
  return undefined;
}
