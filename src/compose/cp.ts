// `cp` as a library function: copy files between a service container and the host, through the
// Engine's archive endpoints (a tar stream each way), as `docker cp` does. Paths follow docker cp:
// into an existing directory the source keeps its name; otherwise it takes the destination's name;
// `SRC/.` copies a directory's contents. `-` is a tar stream on stdin or stdout.
import type { Stats } from "node:fs";
import { lstat, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable, Writable } from "node:stream";
import type * as TarFs from "tar-fs";
import { lazyRequire } from "../lazy-require.js";

const tarFs = lazyRequire<typeof TarFs>("tar-fs");
import { EngineError, UsageError } from "../errors.js";
import { isDirectoryMode, type Engine } from "../engine/client.js";
import { serviceContainer } from "./containers.js";

/** `SERVICE:PATH` or a host path (`-` for a tar stream). */
export type CopyEndpoint = { service: string; path: string } | { host: string };

/** Reads a `cp` argument: `service:/path` names a container path, anything else a host path. */
export function parseCopyEndpoint(argument: string): CopyEndpoint {
  // A host path that contains a colon can be written ./a:b (docker cp's rule).
  if (argument.startsWith("/") || argument.startsWith(".") || argument === "-") return { host: argument };
  const at = argument.indexOf(":");
  if (at <= 0) return { host: argument };
  return { service: argument.slice(0, at), path: argument.slice(at + 1) };
}

export interface CopyOptions {
  source: CopyEndpoint;
  destination: CopyEndpoint;
  /** Container number; default 1. */
  index?: number;
  /** Keep owners (uid/gid) as they are in the archive (`-a`). */
  archive?: boolean;
  /** Follow a symbolic link given as the host source (`-L`). */
  followLink?: boolean;
  /** For `-`: where the tar stream comes from or goes to. */
  stdin?: Readable;
  stdout?: Writable;
}

/** Copies one way; exactly one side must be a container. */
export async function copy(projectName: string, engine: Engine, options: CopyOptions): Promise<void> {
  const { source, destination } = options;
  if ("service" in source && "host" in destination)
    return fromContainer(projectName, engine, source, destination.host, options);
  if ("host" in source && "service" in destination)
    return toContainer(projectName, engine, source.host, destination, options);
  throw new UsageError(
    "cp copies between a service container and the host: name the container side as SERVICE:PATH on one side only",
  );
}

async function fromContainer(
  projectName: string,
  engine: Engine,
  source: { service: string; path: string },
  destination: string,
  options: CopyOptions,
): Promise<void> {
  const container = await serviceContainer(projectName, engine, source.service, withIndex(options));
  const contentsOnly = /\/\.$/.test(source.path);
  // `dir/.`: the directory's archive, its top entry dropped below.
  const sourcePath = contentsOnly ? source.path.slice(0, -2) || "/" : source.path;
  const sourceStat = await engine.statPath(container, sourcePath);
  if (sourceStat === undefined) {
    throw new EngineError(
      `${source.service}:${source.path}: no such file or directory in container ${container.name}`,
    );
  }
  const archive = await engine.getArchive(container, sourcePath);
  if (destination === "-") {
    await pipeline(archive, options.stdout ?? process.stdout);
    return;
  }
  const target = await hostStat(destination);
  const top = sourceStat.name;
  let directory: string;
  let rename: (name: string) => string;
  if (target?.isDirectory() && !contentsOnly) {
    // Into an existing directory, under the source's own name.
    directory = destination;
    rename = (name) => name;
  } else if (contentsOnly) {
    if (target !== undefined && !target.isDirectory())
      throw new UsageError(`${destination} is not a directory; SRC/. copies a directory's contents into one`);
    directory = destination;
    rename = (name) => (name === top ? "." : name.slice(top.length + 1));
  } else {
    if (destination.endsWith("/") && target === undefined)
      throw new UsageError(
        `${destination} does not exist; create the directory first, or drop the trailing /`,
      );
    const parent = path.dirname(path.resolve(destination));
    if (!(await hostStat(parent))?.isDirectory())
      throw new UsageError(`${parent} is not a directory; the destination's parent must exist`);
    directory = parent;
    const base = path.basename(destination);
    rename = (name) => (name === top ? base : `${base}${name.slice(top.length)}`);
  }
  await pipeline(
    archive,
    tarFs().extract(directory, {
      chown: options.archive === true,
      map: (header) => ({ ...header, name: rename(header.name) }),
    }),
  );
}

async function toContainer(
  projectName: string,
  engine: Engine,
  source: string,
  destination: { service: string; path: string },
  options: CopyOptions,
): Promise<void> {
  const container = await serviceContainer(projectName, engine, destination.service, withIndex(options));
  const target = await engine.statPath(container, destination.path);
  const targetIsDirectory = target !== undefined && isDirectoryMode(target.mode);
  if (source === "-") {
    if (!targetIsDirectory)
      throw new UsageError(
        `${destination.service}:${destination.path} must be an existing directory to extract a tar stream into`,
      );
    await engine.putArchive(container, destination.path, options.stdin ?? process.stdin);
    return;
  }
  const sourceStat = await hostStat(source, options.followLink);
  if (sourceStat === undefined) throw new UsageError(`${source}: no such file or directory`);
  const contentsOnly = /\/\.$/.test(source);
  const resolved = path.resolve(source);
  let directory: string;
  let rename: (name: string) => string;
  const top = path.basename(resolved);
  if (contentsOnly) {
    if (!targetIsDirectory)
      throw new UsageError(
        `${destination.service}:${destination.path} must be an existing directory for SRC/.`,
      );
    directory = destination.path;
    rename = (name) => (name === top ? "." : name.slice(top.length + 1));
  } else if (targetIsDirectory) {
    directory = destination.path;
    rename = (name) => name;
  } else {
    directory = path.posix.dirname(destination.path);
    const parent = await engine.statPath(container, directory);
    if (parent === undefined || !isDirectoryMode(parent.mode))
      throw new UsageError(
        `${destination.service}:${directory} is not a directory in container ${container.name}`,
      );
    const base = path.posix.basename(destination.path);
    rename = (name) => (name === top ? base : `${base}${name.slice(top.length)}`);
  }
  const archive = tarFs().pack(path.dirname(resolved), {
    entries: [top],
    dereference: options.followLink === true,
    map: (header) => {
      const renamed = { ...header, name: rename(header.name) };
      // As docker cp: owned by root in the container unless -a keeps the host's owners.
      return options.archive ? renamed : { ...renamed, uid: 0, gid: 0, uname: "root", gname: "root" };
    },
  });
  await engine.putArchive(container, directory, archive);
}

function withIndex(options: CopyOptions): { index?: number } {
  return options.index === undefined ? {} : { index: options.index };
}

async function hostStat(file: string, follow = true): Promise<Stats | undefined> {
  try {
    return follow ? await stat(file) : await lstat(file);
  } catch {
    return undefined;
  }
}
