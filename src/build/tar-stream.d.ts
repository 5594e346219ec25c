// Typings for the parts of tar-stream 2 (a dependency of dockerode, through tar-fs) that composec
// uses: packing a build context and the secrets holder's archives (src/materialize/holder/), and
// reading `docker save` archives in the test registry (test/integration/registry.ts).
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
    /** Extra PAX records (`mtime` with nanoseconds, ...): the entry is written with a PAX header. */
    pax?: Record<string, string>;
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

  /** An entry's header as read from an archive: `type` is null for a kind tar-stream does not know. */
  export interface EntryHeaders extends Omit<Headers, "type"> {
    type: string | null;
    size: number;
  }

  /** Reads the archive written into it, one `entry` event per entry, in order. */
  export type Extract = {
    /** `stream` must be read to its end, then `next` called: the following entry waits for both. */
    on(event: "entry", listener: (header: EntryHeaders, stream: Readable, next: () => void) => void): Extract;
  } & Writable;

  export function extract(): Extract;
}
