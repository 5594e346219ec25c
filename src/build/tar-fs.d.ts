// Typings for the part of tar-fs 2 (a dependency of dockerode) that packing a build context uses.
declare module "tar-fs" {
  import type { Readable } from "node:stream";

  export interface Headers {
    name: string;
    mode?: number;
    mtime?: Date;
    size?: number;
    type?: "file" | "directory" | "symlink" | "link";
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
    linkname?: string;
  }

  export interface Pack extends Readable {
    entry(header: Headers, content?: string | Buffer, callback?: (error?: Error | null) => void): unknown;
    finalize(): void;
  }

  export interface PackOptions {
    /** Absolute path in, true to leave the entry (and, for a directory, its contents) out. */
    ignore?: (name: string) => boolean;
    map?: (header: Headers) => Headers;
    /** Paths relative to `cwd` to pack (directories with their contents); default: `cwd` itself. */
    entries?: string[];
    sort?: boolean;
    umask?: number;
    finalize?: boolean;
    finish?: (pack: Pack) => void;
  }

  export function pack(cwd: string, options?: PackOptions): Pack;
}
