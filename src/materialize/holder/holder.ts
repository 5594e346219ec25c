// The engine-side secrets holder: one tmpfs volume per project (`<project>_secrets`) kept mounted by
// a tiny container that does nothing but wait, so the material survives while service containers
// come and go. Every read and write goes through the engine's archive API on that container, and
// renames/removals run our own static executable inside it (`mv`, `rm`): nothing touches the engine
// host's disk, and the material's layout is exactly the local one (src/materialize/material.ts).
import type { Engine } from "../../engine/client.js";

/** One regular file in the holder's volume; `path` is relative to the volume root. */
export interface HolderEntry {
  path: string;
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

/** A project's secrets volume and the container that keeps it mounted. */
export interface MaterialHolder {
  /** The volume's name. */
  readonly volume: string;
  /** Without changing anything: whether the volume exists and the holder runs, and the volume's Mountpoint on the engine host. */
  inspect(): Promise<{ volume: boolean; running: boolean; mountpoint?: string }>;
  /** Image, volume and a running holder (started again after an engine restart; an empty volume then). Returns the Mountpoint. */
  ensure(): Promise<{ mountpoint: string; fresh: boolean }>;
  /** Regular files under `dir` (relative to the volume root), recursively, with bytes, owner and mode; [] when absent. Into memory only. */
  read(dir: string): Promise<HolderEntry[]>;
  /** One file's bytes, or undefined when absent. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Cheap change stamp of a path (mtime+ctime via HEAD archive), undefined when absent. */
  stamp(path: string): Promise<string | undefined>;
  /** Writes the files into `stagingDir` (tar built in memory with owner and mode in the headers; directories 0700 root), one PUT. */
  stage(stagingDir: string, files: HolderEntry[]): Promise<void>;
  /** Creates directories (mode 0755, root) if missing, one PUT of directory entries. */
  mkdirs(dirs: string[]): Promise<void>;
  /** Runs the holder executable in the holder (`mv` pairs, `rm` paths); throws an EngineError naming the op and errno. */
  run(op: "mv" | "rm", args: string[]): Promise<void>;
  /** Removes the holder container, then the volume (which unmounts the tmpfs). Idempotent. */
  remove(): Promise<void>;
}

/** The holder of `project`'s secret material on `engine` (nothing happens until a method is called). */
export function materialHolder(engine: Engine, project: string): MaterialHolder {
  void engine;
  void project;
  throw new Error("materialHolder: not implemented yet");
}
