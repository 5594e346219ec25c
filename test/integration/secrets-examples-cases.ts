// The seed's examples as cases that run against any engine and delivery path (a Target): on the
// main engine over both paths (secrets-examples.test.ts), and on a second engine over tcp+TLS and
// ssh on the engine's side (engine-side-remote.test.ts). See secrets-examples.test.ts for intent.
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import type Docker from "dockerode";
import { afterEach, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  PROJECT_LABEL,
  repoRoot,
  tempProject,
  uniqueProjectName,
  type CliOptions,
} from "./helpers.js";
import { materialGoneOn, type DeliveryPath } from "./delivery-paths.js";
import { cliOk, randomValue, sha256 } from "./secrets-helpers.js";

/** Where the examples run: the engine (for the test's own checks), how the CLI reaches it, and the path. */
export interface Target {
  docker: Docker;
  via: DeliveryPath;
  /** Global flags and environment pointing the CLI at the engine. */
  args: string[];
  env: CliOptions["env"];
  /** Seconds a CLI call may take (ssh sessions are slow on a busy machine). */
  timeoutMs?: number;
}

/** Containers, networks and volumes labelled with the project on the target's engine. */
async function resourcesOn(on: Docker, project: string) {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
  const [containers, networks, volumes] = await Promise.all([
    on.listContainers({ all: true, filters }),
    on.listNetworks({ filters }),
    on.listVolumes({ filters }),
  ]);
  return {
    containers: containers.length,
    networks: networks.length,
    volumes: (volumes.Volumes ?? []).length,
  };
}

/** Registers the examples' tests for the target `get` returns (called when they run). */
export function seedExamples(get: () => Target): void {
  let name: string | undefined;
  afterEach(async () => {
    if (name) await cli([...get().args, "-p", name, "down", "-v", "-t", "0"], { env: get().env });
    name = undefined;
    await cleanupTempProjects();
  });

  interface ArchivedFile {
    digest: string;
    uid: number;
    gid: number;
    mode: number;
  }

  /** A file of a container (running or not) through GET /containers/{id}/archive, as `docker cp`. */
  async function archivedFile(container: string, file: string): Promise<ArchivedFile | undefined> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await get().docker.getContainer(container).getArchive({ path: file });
    } catch {
      return undefined;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const tar = Buffer.concat(chunks);
    // ustar: 512-byte headers; skip PAX headers ('x', 'g') to the file's own entry.
    for (let offset = 0; offset + 512 <= tar.length;) {
      const header = tar.subarray(offset, offset + 512);
      if (header.every((byte) => byte === 0)) break;
      const octal = (start: number, length: number) =>
        parseInt(
          header
            .subarray(start, start + length)
            .toString("latin1")
            .replace(/\0.*$/s, "")
            .trim() || "0",
          8,
        );
      const size = octal(124, 12);
      const type = String.fromCharCode(header[156]!);
      const body = tar.subarray(offset + 512, offset + 512 + size);
      if (type === "0" || type === "\0") {
        return { digest: sha256(body), uid: octal(108, 8), gid: octal(116, 8), mode: octal(100, 8) & 0o777 };
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    return undefined;
  }

  async function portInUse(port: number): Promise<boolean> {
    const server = createServer();
    return new Promise((resolve) => {
      server.once("error", () => resolve(true));
      server.listen(port, "0.0.0.0", () => server.close(() => resolve(false)));
    });
  }

  async function example(dirName: string): Promise<string> {
    return readFile(path.join(repoRoot, "examples", dirName, "compose.yaml"), "utf8");
  }

  it("single-service: my_secret is readable at /run/secrets/my_secret", async () => {
    name = uniqueProjectName("ex-single");
    const target = get();
    const opts = { env: target.env, ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}) };
    const value = randomValue("my-secret");
    const dir = await tempProject({
      "compose.yaml": await example("single-service"),
      "my_secret.txt": value,
    });
    await cliOk([...target.args, "-p", name, "up", "-d"], { ...opts, cwd: dir, hide: [value] });
    const file = await archivedFile(`${name}-myapp-1`, "/run/secrets/my_secret");
    expect(file).toEqual({ digest: sha256(value), uid: 0, gid: 0, mode: 0o444 });
    await cliOk([...target.args, "-p", name, "down"], { ...opts, cwd: dir, hide: [value] });
    expect(await resourcesOn(target.docker, name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await materialGoneOn(target.via, name, target.docker)).toBe(true);
  });

  it("wordpress: db and wordpress share db_password, only db has db_root_password, *_FILE paths exist", async () => {
    // The example publishes 8000:80 and must stay verbatim: a busy port is a fact of this machine.
    // Another run of the example (this file's other path, the remote engines' file) may hold it a while.
    for (let tries = 0; tries < 60 && (await portInUse(8000)); tries++)
      await new Promise((r) => setTimeout(r, 1000));
    expect(await portInUse(8000), "host port 8000 is already in use; the wordpress example needs it").toBe(
      false,
    );
    name = uniqueProjectName("ex-wordpress");
    const target = get();
    const opts = { env: target.env, ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}) };
    const dbPassword = randomValue("db-password");
    const rootPassword = randomValue("db-root-password");
    const dir = await tempProject({
      "compose.yaml": await example("wordpress"),
      "db_password.txt": dbPassword,
      "db_root_password.txt": rootPassword,
    });
    const hide = [dbPassword, rootPassword];
    await cliOk([...target.args, "-p", name, "up", "-d"], { ...opts, cwd: dir, hide });
    const db = `${name}-db-1`;
    const wordpress = `${name}-wordpress-1`;

    const dbShared = await archivedFile(db, "/run/secrets/db_password");
    const wpShared = await archivedFile(wordpress, "/run/secrets/db_password");
    expect(dbShared?.digest).toBe(sha256(dbPassword));
    expect(wpShared?.digest).toBe(sha256(dbPassword));
    expect((await archivedFile(db, "/run/secrets/db_root_password"))?.digest).toBe(sha256(rootPassword));
    expect(await archivedFile(wordpress, "/run/secrets/db_root_password")).toBeUndefined();

    // Every *_FILE variable names a file that exists in that container, with the right bytes.
    const expectedBytes: Record<string, string> = {
      "/run/secrets/db_password": sha256(dbPassword),
      "/run/secrets/db_root_password": sha256(rootPassword),
    };
    const fileVariables: string[] = [];
    for (const container of [db, wordpress]) {
      const info = await target.docker.getContainer(container).inspect();
      for (const entry of info.Config.Env ?? []) {
        const [key, ...rest] = entry.split("=");
        if (!key?.endsWith("_FILE")) continue;
        const target = rest.join("=");
        fileVariables.push(`${container.slice(name.length + 1)} ${key}`);
        expect((await archivedFile(container, target))?.digest, `${container} ${key}`).toBe(
          expectedBytes[target],
        );
      }
      // The variables name files; they never hold the values.
      const env = JSON.stringify(info.Config.Env);
      expect(env.includes(dbPassword) || env.includes(rootPassword), `${container} env holds a value`).toBe(
        false,
      );
    }
    expect(fileVariables.sort()).toEqual([
      "db-1 MYSQL_PASSWORD_FILE",
      "db-1 MYSQL_ROOT_PASSWORD_FILE",
      "wordpress-1 WORDPRESS_DB_PASSWORD_FILE",
    ]);

    await cliOk([...target.args, "-p", name, "down", "-v"], { ...opts, cwd: dir, hide });
    expect(await resourcesOn(target.docker, name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await materialGoneOn(target.via, name, target.docker)).toBe(true);
  });
}
