// The files that hold secret values: tracked or unignored in git (CS008), readable by group or
// others (CS009), inside a build context that .dockerignore does not exclude (CS010).
import { join, relative, sep } from "node:path";
import type dockerignoreModule from "@balena/dockerignore";
import { lazyRequire } from "../lazy-require.js";
import type { Location } from "../errors.js";
import { finding, projectRelative, type Context } from "./context.js";
import type { ReadDockerfile } from "./dockerfiles.js";
import { envLines, sensitiveFiles, type SensitiveFile } from "./input.js";
import { locateEntry } from "./locate.js";

const dockerignore = lazyRequire<typeof dockerignoreModule.default>("@balena/dockerignore");

/** Where a sensitive file is named: the secret's `file:`, or the env file's line. */
function namedAt(context: Context, file: SensitiveFile): { location: Location; where: string } | undefined {
  const { project, input } = context;
  const key = file.secrets[0]!;
  if (file.kind === "secret-file") {
    const written = locateEntry(input.sources, project.secrets[key]!, ["file"]);
    return written && { location: written.location, where: `secrets.${key}.file` };
  }
  const source = project.secrets[key]!.source;
  const variable = source.kind === "environment" ? source.variable : key;
  const line = envLines(input.texts.get(file.path) ?? "").find((entry) => entry.name === variable);
  return {
    location: { file: file.path, line: line?.line ?? 1, column: line?.column ?? 1 },
    where: `${projectRelative(project, file.path)} ${variable}`,
  };
}

/** CS008 and CS009 on every sensitive file; CS010 on those inside a build context. */
export function checkSecretFiles(
  context: Context,
  services: string[],
  dockerfiles: Map<string, ReadDockerfile>,
): void {
  const { project, input } = context;
  const files = sensitiveFiles(project, input);
  for (const file of files) {
    const state = input.git.get(file.path);
    const mode = input.modes.get(file.path);
    const loose = mode !== undefined && (mode & 0o044) !== 0;
    // Positions are worked out only for a finding.
    if (state !== "tracked" && (input.errorsOnly || (state !== "untracked" && !loose))) continue;
    const named = namedAt(context, file);
    if (!named) continue;
    const shown = projectRelative(project, file.path);
    const holds = `holds secret${file.secrets.length > 1 ? "s" : ""} ${file.secrets.map((s) => `"${s}"`).join(", ")}`;
    if (state === "tracked") {
      context.report(finding("CS008", named.location, named.where, `${shown} (${holds}) is tracked by git`));
    } else if (state === "untracked" && !input.errorsOnly) {
      context.report(
        finding(
          "CS008",
          named.location,
          named.where,
          `${shown} (${holds}) is not ignored by git: \`git add .\` would commit it`,
          "warning",
        ),
      );
    }
    if (loose && mode !== undefined && !input.errorsOnly) {
      const who = (mode & 0o004) !== 0 ? "everyone" : "its group";
      context.report(
        finding(
          "CS009",
          named.location,
          named.where,
          `${shown} (${holds}) has mode 0${mode.toString(8).padStart(3, "0")}: readable by ${who}`,
        ),
      );
    }
  }
  checkBuildContexts(context, services, dockerfiles, files);
}

function checkBuildContexts(
  context: Context,
  services: string[],
  dockerfiles: Map<string, ReadDockerfile>,
  files: SensitiveFile[],
): void {
  const { project, input } = context;
  // What each context holds of the project's sensitive files and is not excluded: worked out once
  // per context (a large project has hundreds of services and secret files, and a few contexts).
  const byContext = new Map<string, { posix: string; why: string }[]>();
  const exposedIn = (dir: string, envFiles: string[]) => {
    const cached = envFiles.length === 0 ? byContext.get(dir) : undefined;
    if (cached) return cached;
    const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
    const candidates = new Map<string, string>();
    for (const file of files) {
      if (file.path.startsWith(prefix)) {
        candidates.set(file.path, `holds secret ${file.secrets.map((s) => `"${s}"`).join(", ")}`);
      }
    }
    // Env files that were read (a missing `.env` is no file to leak).
    for (const file of envFiles) {
      if (file.startsWith(prefix) && input.texts.has(file))
        candidates.set(file, "is an env_file of the service");
    }
    for (const file of input.variableFiles) {
      if (file.startsWith(prefix) && input.texts.has(file)) candidates.set(file, "is the project's env file");
    }
    const dotEnv = join(dir, ".env");
    if (input.exists.has(dotEnv) && !candidates.has(dotEnv)) candidates.set(dotEnv, "is an env file");
    const matcher = dockerignore()({ ignorecase: false }).add(
      input.texts.get(join(dir, ".dockerignore")) ?? "",
    );
    const exposed: { posix: string; why: string }[] = [];
    for (const [path, why] of candidates) {
      const posix = relative(dir, path).split(sep).join("/");
      if (!matcher.ignores(posix)) exposed.push({ posix, why });
    }
    if (envFiles.length === 0) byContext.set(dir, exposed);
    return exposed;
  };
  for (const name of services) {
    const service = project.services[name]!;
    const build = service.build;
    if (!build) continue;
    const exposed = exposedIn(
      build.context,
      service.envFiles.map((file) => file.path),
    );
    if (exposed.length === 0) continue;
    const dockerfile = dockerfiles.get(name);
    const shownContext = projectRelative(project, build.context) || ".";
    for (const { posix, why } of exposed) {
      const copy = dockerfile?.instructions.find(
        (instruction) =>
          (instruction.keyword === "COPY" || instruction.keyword === "ADD") &&
          instruction.sources.some((source) => takes(source, posix)),
      );
      const where = `services.${name}.build ${posix}`;
      if (copy) {
        context.report(
          finding(
            "CS010",
            dockerfile!.inlineAt ?? { file: dockerfile!.file, line: copy.line, column: copy.column },
            where,
            `${dockerfile!.shown}:${copy.line}: ${copy.keyword} ${copy.sources.join(" ")} copies ${posix} (which ${why}) from the build context ${shownContext} into the image of ${name}`,
            "error",
          ),
        );
        continue;
      }
      if (input.errorsOnly) continue;
      const written = locateEntry(input.sources, service, ["build", "context"]);
      if (!written) continue;
      context.report(
        finding(
          "CS010",
          written.location,
          where,
          `${posix} (which ${why}) is inside the build context ${shownContext} of ${name} and not excluded by its .dockerignore: it is sent to the builder`,
        ),
      );
    }
  }
}

/** Whether a COPY/ADD source (relative to the context) takes the file at `path`. */
export function takes(source: string, path: string): boolean {
  const normal = source
    .replace(/^\.?\/+/, "")
    .replace(/\/+$/, "")
    .replace(/^\.$/, "");
  if (normal === "" || normal === "*") return true;
  if (!/[*?[]/.test(normal)) return path === normal || path.startsWith(`${normal}/`);
  const regex = new RegExp(
    `^${normal
      .split("")
      .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : /[.+^${}()|\\]/.test(c) ? `\\${c}` : c))
      .join("")}(?:/.*)?$`,
  );
  return regex.test(path);
}
