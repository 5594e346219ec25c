// The env-var shim, decided in pure code: a service with `x-composec-env-secrets` runs its own
// command through a POSIX sh wrapper that reads each secret file into its variable and then execs
// the command. The container's configuration (`docker inspect`) holds the wrapper script, the
// variable names and the secret paths, never a value; the value lives in the main process's
// environment only. `exec` keeps PID 1 (or docker-init's single child with `init: true`), signals
// and the exit code the command's own.
import type { Service } from "../model/project.js";

/** The shell the wrapper needs in the image. */
export const SHIM_SHELL = "/bin/sh";
/** `$0` of the wrapper: what `ps` shows for it, for the instant before it execs. */
export const SHIM_NAME = "composec-env";

/** What the image says to run (its config's Entrypoint and Cmd). */
export interface ImageCommand {
  entrypoint: string[] | null | undefined;
  cmd: string[] | null | undefined;
}

/**
 * The argv the engine would run for `service` on this image, by the engine's own rule: a service
 * entrypoint drops the image's Cmd; otherwise the service command replaces the image's Cmd and the
 * image's entrypoint stays (unless the service clears it with `entrypoint: []`).
 */
export function effectiveArgv(service: Service, image: ImageCommand): string[] {
  const entrypoint = service.entrypoint ?? undefined;
  const command = service.command ?? undefined;
  if (entrypoint && entrypoint.length > 0) return [...entrypoint, ...(command ?? [])];
  const cmd = command && command.length > 0 ? command : (image.cmd ?? []);
  return [...(entrypoint ?? image.entrypoint ?? []), ...cmd];
}

/**
 * The wrapper script. Only shell built-ins: no `cat` in the image is needed. Each file is read line
 * by line, so the value is the file's bytes exactly, a final line without a newline included (a
 * NUL byte, which no environment variable can hold, is refused by `up` before this runs).
 */
export function shimScript(envSecrets: Record<string, string>): string {
  const reads = Object.entries(envSecrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, file]) => `__composec_read ${variable} ${quote(file)}`)
    .join("\n");
  // One command per line; the newline inside the quotes is the one each `read` consumed.
  return [
    "__composec_read() {",
    '  [ -r "$2" ] || { echo "composec: cannot read $2 for $1 (is the secret granted to this user?)" >&2; exit 1; }',
    "  __composec_v=; __composec_l=",
    '  while IFS= read -r __composec_l; do __composec_v="$__composec_v$__composec_l',
    '"; done < "$2" || { echo "composec: cannot read $2 for $1" >&2; exit 1; }',
    '  export "$1=$__composec_v$__composec_l"',
    "}",
    reads,
    "unset -f __composec_read; unset __composec_v __composec_l",
    'exec "$@"',
  ].join("\n");
}

/** `service` as run through the wrapper: its argv (from `image`) becomes the wrapper's arguments. */
export function shimmedService(service: Service, image: ImageCommand): Service {
  const envSecrets = service.envSecrets;
  if (!envSecrets) return service;
  const argv = effectiveArgv(service, image);
  if (argv.length === 0) {
    throw new ShimError(
      `service "${service.name}": x-composec-env-secrets wraps the command the container runs, and neither the service nor its image ${service.image ?? ""} gives one; set command:`,
    );
  }
  return { ...service, entrypoint: [SHIM_SHELL, "-c", shimScript(envSecrets), SHIM_NAME], command: argv };
}

/** The shim cannot wrap this service; the message says why and what to do. */
export class ShimError extends Error {
  override name = "ShimError";
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
