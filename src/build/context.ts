// The build context: checked before anything reaches the engine, then sent as a tar in the body of
// POST /build (the engine unpacks it for BuildKit). `.dockerignore` is applied here, as the docker
// CLI does: with a tar context BuildKit's Dockerfile frontend does not read it. The Dockerfile and
// `.dockerignore` are always sent, whatever `.dockerignore` says (as the CLI does too).
import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readFileSync, readlinkSync, type Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import type dockerignoreModule from "@balena/dockerignore";
import type * as TarStream from "tar-stream";
import { lazyRequire } from "../lazy-require.js";
import type { Problem } from "../errors.js";
import type { Build } from "../model/project.js";

// The package's typings declare an ES default export; at run time the module is the function.
const dockerignore = lazyRequire<typeof dockerignoreModule.default>("@balena/dockerignore");
const tarStream = lazyRequire<typeof TarStream>("tar-stream");

/** One service's build input, checked. */
export interface BuildContext {
  /** Absolute context directory. */
  dir: string;
  /** The Dockerfile's name inside the tar (the `dockerfile` parameter of POST /build). */
  dockerfile: string;
  /** The Dockerfile as the user knows it, for messages: its path, or `dockerfile_inline`. */
  dockerfileShown: string;
  /** The Dockerfile's text (to explain errors: line numbers, `# syntax=`). */
  dockerfileText: string;
  /**
   * A Dockerfile that is not a file of the context (inline, or outside the directory), added to the
   * tar under `dockerfile`. A `COPY . .` copies it too: with a tar context there is no other way to
   * hand the engine a second file (the docker CLI does the same).
   */
  extra?: { name: string; content: Buffer };
}

/** Checks a service's context and Dockerfile; every problem is returned, nothing is thrown. */
export async function checkContext(
  serviceName: string,
  build: Build,
): Promise<{ context?: BuildContext; problems: Problem[] }> {
  const path = `services.${serviceName}.build`;
  const problems: Problem[] = [];
  const dir = build.context;
  const kind = await fileKind(dir);
  if (kind !== "directory") {
    problems.push({
      path: `${path}.context`,
      message:
        kind === "missing"
          ? `"${dir}" does not exist; build.context is the directory the image is built from`
          : `"${dir}" is not a directory; build.context is the directory the image is built from`,
    });
  }
  if (build.dockerfile !== undefined && build.dockerfileInline !== undefined) {
    problems.push({
      path: `${path}.dockerfile`,
      message: "dockerfile and dockerfile_inline cannot both be set; keep one",
    });
    return { problems };
  }
  if (build.dockerfileInline !== undefined) {
    if (problems.length > 0) return { problems };
    const content = Buffer.from(build.dockerfileInline, "utf8");
    const name = extraName(content);
    return {
      context: {
        dir,
        dockerfile: name,
        dockerfileShown: "dockerfile_inline",
        dockerfileText: build.dockerfileInline,
        extra: { name, content },
      },
      problems,
    };
  }
  // A Dockerfile in a context that does not exist is not worth a second problem.
  if (problems.length > 0 && !isAbsolute(build.dockerfile ?? "")) return { problems };
  const file = isAbsolute(build.dockerfile ?? "")
    ? resolve(build.dockerfile!)
    : resolve(dir, build.dockerfile ?? "Dockerfile");
  const fileKindFound = await fileKind(file);
  if (fileKindFound !== "file") {
    problems.push({
      path: `${path}.dockerfile`,
      message:
        fileKindFound === "missing"
          ? `"${file}" does not exist; set build.dockerfile (relative to the context) or dockerfile_inline`
          : `"${file}" is not a file; set build.dockerfile to the Dockerfile (relative to the context)`,
    });
  }
  if (problems.length > 0) return { problems };
  const content = await readFile(file);
  const inside = relative(dir, file);
  if (inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    const name = extraName(content);
    return {
      context: {
        dir,
        dockerfile: name,
        dockerfileShown: file,
        dockerfileText: content.toString("utf8"),
        extra: { name, content },
      },
      problems,
    };
  }
  return {
    context: {
      dir,
      dockerfile: inside.split(sep).join("/"),
      dockerfileShown: file,
      dockerfileText: content.toString("utf8"),
    },
    problems,
  };
}

/** A name for a Dockerfile added to the tar: fixed by its content, so an unchanged one stays cached. */
function extraName(content: Buffer): string {
  return `.composec-dockerfile-${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
}

async function fileKind(path: string): Promise<"missing" | "file" | "directory" | "other"> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? "directory" : info.isFile() ? "file" : "other";
  } catch {
    return "missing";
  }
}

/** Files up to this size are read whole; larger ones are streamed into the tar. */
const READ_WHOLE_BYTES = 1024 * 1024;

/**
 * The context as a tar stream: the files `.dockerignore` keeps, in sorted order, owned by root
 * (ownership of the user's files means nothing in the image; the docker CLI sends 0:0 too), modes
 * and times as they are. The context's own directory is no entry: its mode would become that of
 * the directory BuildKit unpacks into. The pack honours back-pressure, so a large context is never
 * all in memory.
 */
export async function packContext(context: BuildContext): Promise<Readable> {
  const keep = [...(await contextEntries(context.dir, [".dockerignore", context.dockerfile]))].sort();
  const pack = tarStream().pack();
  const add = (header: TarStream.Headers, content: Buffer = Buffer.alloc(0)): Promise<void> =>
    new Promise((resolve, reject) =>
      pack.entry(header, content, (error) => (error ? reject(error) : resolve())),
    );

  // Small files are read synchronously, one at a time as the engine takes the tar: an asynchronous
  // read is several trips through libuv's thread pool, and that waiting was most of what packing
  // cost (200 files of 2 kB: tar-fs 35 ms, this 5 to 10). Back-pressure still turns the event loop
  // between files, so the session and the progress stream are served while a large context packs.
  const read = (name: string): Entry => {
    const path = join(context.dir, name);
    const info = lstatSync(path);
    const header = {
      name,
      mode: info.mode & 0o7777,
      mtime: info.mtime,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
    };
    if (info.isDirectory()) return { header: { ...header, type: "directory" } };
    if (info.isSymbolicLink())
      return { header: { ...header, type: "symlink", linkname: readlinkSync(path) } };
    // Became a FIFO or a socket since the walk: reading it could block for ever.
    if (!info.isFile()) return { header };
    if (info.size > READ_WHOLE_BYTES)
      return { header: { ...header, type: "file", size: info.size }, stream: path };
    return { header: { ...header, type: "file" }, content: readFileSync(path) };
  };
  const write = async (): Promise<void> => {
    for (const name of keep) {
      const entry = read(name);
      if (entry.header.type === undefined) continue;
      if (entry.stream === undefined) {
        await add(entry.header, entry.content);
        continue;
      }
      const path = entry.stream;
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(entry.header, (error) => (error ? reject(error) : resolve()));
        createReadStream(path).on("error", reject).pipe(sink);
      });
    }
    if (context.extra !== undefined) {
      const { name, content } = context.extra;
      await add({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, type: "file" }, content);
    }
    pack.finalize();
  };
  write().catch((error: unknown) => {
    const { code, path } = error as NodeJS.ErrnoException;
    pack.destroy(
      code !== undefined && path !== undefined
        ? new Error(`cannot read "${path}" of the build context (${code})`, { cause: error })
        : (error as Error),
    );
  });
  return pack;
}

interface Entry {
  /** No `type`: nothing to pack. */
  header: TarStream.Headers;
  content?: Buffer;
  /** A large file, streamed from this path. */
  stream?: string;
}

/**
 * The relative paths (`/`-separated) of what the tar holds: every file, directory and symbolic link
 * `.dockerignore` keeps, plus `always` and the directories leading to them. Sockets, FIFOs and
 * devices are left out, as the docker CLI leaves them.
 */
export async function contextEntries(dir: string, always: string[] = []): Promise<Set<string>> {
  let patterns = "";
  try {
    patterns = await readFile(join(dir, ".dockerignore"), "utf8");
  } catch {
    // No .dockerignore: everything goes.
  }
  const matcher = dockerignore()({ ignorecase: false }).add(patterns);
  const hasExceptions = patterns.split(/\r?\n/).some((line) => line.trim().startsWith("!"));
  const keep = new Set<string>();
  const add = (path: string): void => {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join("/"));
  };

  const walk = async (relativeDir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(dir, relativeDir), { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return; // Removed while we walked: not ours to send.
      throw new Error(`cannot read directory "${join(dir, relativeDir)}" of the build context (${code})`, {
        cause: error,
      });
    }
    for (const entry of entries) {
      const path = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
      const ignored = matcher.ignores(path);
      if (entry.isDirectory()) {
        if (!ignored) keep.add(path);
        // An ignored directory is still walked when an exception (`!`) could bring back something
        // inside it; else it is skipped whole, so an ignored node_modules costs nothing.
        if (!ignored || hasExceptions) await walk(path);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !ignored) {
        add(path);
      }
    }
  };
  await walk("");
  for (const path of always) {
    if ((await fileKind(join(dir, path))) === "file") add(path);
  }
  return keep;
}
