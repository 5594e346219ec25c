// The tar archives the holder's volume is written and read with (`PUT` / `GET
// /containers/{id}/archive`), built and taken apart in memory only: secret bytes never pass
// through a file on either side.
import { posix } from "node:path";
import type { Readable } from "node:stream";
import type * as TarStream from "tar-stream";
import { lazyRequire } from "../../lazy-require.js";

const tarStream = lazyRequire<typeof TarStream>("tar-stream");

/** One entry to write: a directory, or a regular file with its bytes. */
export type TarEntry =
  | { type: "directory"; path: string; uid: number; gid: number; mode: number }
  | { type: "file"; path: string; uid: number; gid: number; mode: number; bytes: Buffer };

/** A regular file read back from an archive. */
export interface TarFile {
  /** The entry's name in the archive, without a trailing slash. */
  name: string;
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

// S_IFREG / S_IFDIR: tar-stream replaces a mode of 0 with its default (0644 / 0755), so the type
// bits keep a mode such as 0000 non-zero; only the permission bits reach the header.
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * The entries as one tar archive, every entry stamped with `now` to the nanosecond (a PAX `mtime`:
 * the engine keeps it, so a file's or directory's change stamp moves with every write).
 */
export async function packTar(entries: TarEntry[], now: { seconds: number; nanos: number }): Promise<Buffer> {
  const pack = tarStream().pack();
  const chunks: Buffer[] = [];
  pack.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  const mtime = new Date(now.seconds * 1000);
  const pax = { mtime: `${now.seconds}.${String(now.nanos).padStart(9, "0")}` };
  for (const entry of entries) {
    const header: TarStream.Headers = {
      name: entry.path,
      type: entry.type,
      mode: (entry.type === "file" ? S_IFREG : S_IFDIR) | (entry.mode & 0o7777),
      uid: entry.uid,
      gid: entry.gid,
      mtime,
      pax,
    };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, entry.type === "file" ? entry.bytes : Buffer.alloc(0), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The regular files of the archive `stream`, read to its end (directories and links are left out). */
export async function unpackFiles(stream: Readable): Promise<TarFile[]> {
  const extract = tarStream().extract();
  const files: TarFile[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => {
        if (header.type === "file") {
          files.push({
            name: header.name.replace(/\/+$/, ""),
            bytes: Buffer.concat(chunks),
            uid: header.uid ?? 0,
            gid: header.gid ?? 0,
            mode: (header.mode ?? 0) & 0o7777,
          });
        }
        next();
      });
      entry.on("error", reject);
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    stream.on("error", reject);
  });
  stream.pipe(extract);
  await done;
  return files;
}

/**
 * Every directory on the way to `path` (relative), shortest first: `a/b/c` gives `a`, `a/b`, `a/b/c`.
 */
export function ancestors(path: string): string[] {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  return parts.map((_, index) => parts.slice(0, index + 1).join("/"));
}

/**
 * `path` made relative to the volume root, normalised; undefined when it is absolute or climbs out
 * (`..`). The root itself is `""`.
 */
export function volumePath(path: string): string | undefined {
  if (path.startsWith("/")) return undefined;
  const normal = posix.normalize(path === "" ? "." : path).replace(/\/+$/, "");
  if (normal === "..") return undefined;
  if (normal.startsWith("../")) return undefined;
  return normal === "." ? "" : normal;
}
