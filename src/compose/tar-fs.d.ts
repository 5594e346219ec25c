// Typings for the part of tar-fs 2 that `cp` uses (packing a host path, extracting into one).
declare module "tar-fs" {
  import type { Readable, Writable } from "node:stream";

  export interface Headers {
    name: string;
    mode?: number;
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
    type?: string;
    linkname?: string;
  }

  export interface PackOptions {
    entries?: string[];
    map?: (header: Headers) => Headers;
    dereference?: boolean;
  }

  export interface ExtractOptions {
    map?: (header: Headers) => Headers;
    /** Restore the archive's owners (as root); default: yes. */
    chown?: boolean;
  }

  export function pack(cwd: string, options?: PackOptions): Readable;
  export function extract(cwd: string, options?: ExtractOptions): Writable;
}
