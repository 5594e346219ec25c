// Typings for the part of tar-stream 2 (a dependency of dockerode, through tar-fs) that packing a
// build context uses.
declare module "tar-stream" {
  import type { Readable, Writable } from "node:stream";

  export interface Headers {
    name: string;
    mode?: number;
    mtime?: Date;
    size?: number;
    type?: "file" | "directory" | "symlink";
    uid?: number;
    gid?: number;
    uname?: string;
    gname?: string;
    linkname?: string;
  }

  export interface Pack extends Readable {
    /**
     * Adds an entry; with a buffer, `callback` runs once the reader has room for more (the pack
     * honours back-pressure); without, the returned stream takes the file's bytes.
     */
    entry(header: Headers, buffer: Buffer | string, callback: (error?: Error | null) => void): void;
    entry(header: Headers, callback: (error?: Error | null) => void): Writable;
    finalize(): void;
  }

  export function pack(): Pack;
}
