// Runs the runtime-secret tests on both delivery paths: the local tmpfs (the default on this
// machine's socket) and the engine's side (forced with COMPOSEC_SECRETS_DELIVERY=engine, a tmpfs
// volume held by a holder container). `describe.each(deliveryPaths)` plus `useDeliveryPath(path)`
// makes every cli() and spawnCli() of the block use that path; what a test checks about where the
// material lives goes through the functions here, which answer for the path in use.
import { secretsVolumeName } from "../../src/model/names.js";
import { ENGINE_META_DIR, ENGINE_STAGING_DIR, STAGING_DIR } from "../../src/materialize/layout.js";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import type Docker from "dockerode";
import tar from "tar-stream";
import { cliDefaults, docker, PROJECT_LABEL } from "./helpers.js";
import { filesContaining, materialDir, materialGone, mountsUnder } from "./secrets-helpers.js";

export type DeliveryPath = "local" | "engine";

/** The cases of `describe.each`: `describe.each(deliveryPaths)("x ($path)", ({ path }) => ...)`. */
export const deliveryPaths: { path: DeliveryPath }[] = [{ path: "local" }, { path: "engine" }];

/** Every cli() and spawnCli() of the enclosing describe block runs on `path`. */
export function useDeliveryPath(via: DeliveryPath): void {
  beforeAll(() => {
    cliDefaults.env = via === "engine" ? { COMPOSEC_SECRETS_DELIVERY: "engine" } : {};
  });
  afterAll(() => {
    cliDefaults.env = {};
  });
}

/** The holder container and volume of a project on the engine's side. */
export const holderName = (project: string): string => `${project}-secrets-holder`;
/** The name composec gives it (src/model/names.ts), so the tests follow any change. */
export const secretsVolume = secretsVolumeName;

/** Whether the project's material is gone on `path`: no tmpfs or directory here; no holder or volume there. */
export async function materialGoneOn(
  via: DeliveryPath,
  project: string,
  on: Docker = docker,
): Promise<boolean> {
  if (!materialGone(project)) return false;
  if (via === "local") return true;
  const [containers, volumes] = await Promise.all([
    on.listContainers({ all: true, filters: JSON.stringify({ name: [holderName(project)] }) }),
    on.listVolumes({ filters: JSON.stringify({ name: [secretsVolume(project)] }) }),
  ]);
  return (
    containers.filter((c) => c.Names.includes(`/${holderName(project)}`)).length === 0 &&
    (volumes.Volumes ?? []).filter((v) => v.Name === secretsVolume(project)).length === 0
  );
}

/** Whether the material is in place on `path`: the tmpfs mounted here, or the holder running there. */
export async function materialPresentOn(via: DeliveryPath, project: string): Promise<boolean> {
  if (via === "local") return mountsUnder(materialDir(project)).length === 1;
  const info = await docker
    .getContainer(holderName(project))
    .inspect()
    .catch(() => undefined);
  return info?.State.Running === true;
}

/** A path of the engine-side volume as the shared layout names it: `.meta/digests.json` is `.digests.json`, `.meta/staging/x` is `.staging/x`. */
function layoutPath(path: string): string {
  if (path.startsWith(`${ENGINE_STAGING_DIR}/`))
    return `${STAGING_DIR}/${path.slice(ENGINE_STAGING_DIR.length + 1)}`;
  if (path.startsWith(`${ENGINE_META_DIR}/`)) return `.${path.slice(ENGINE_META_DIR.length + 1)}`;
  return path;
}

/** The files of the project's material (relative path to bytes, named as the shared layout names them), read into memory from where `path` keeps them. */
export async function materialFiles(via: DeliveryPath, project: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (via === "local") {
    const { readdir } = await import("node:fs/promises");
    const root = materialDir(project);
    if (!existsSync(root)) return out;
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      out.set(path.relative(root, full), await readFile(full));
    }
    return out;
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(holderName(project)).getArchive({ path: "/material/." });
  } catch {
    return out;
  }
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (chunk: Buffer) => chunks.push(chunk));
      body.on("end", () => {
        if (header.type === "file")
          out.set(layoutPath(header.name.replace(/^\.\//, "")), Buffer.concat(chunks));
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    stream.pipe(extract);
  });
  return out;
}

/** One file of the material (`.digests.json`, `services/web/db`), or undefined. */
export async function materialFile(
  via: DeliveryPath,
  project: string,
  file: string,
): Promise<Buffer | undefined> {
  return (await materialFiles(via, project)).get(file);
}

/** Whether any file of the project's material holds `value` (grep locally; in memory on the engine's side). */
export async function materialHolds(via: DeliveryPath, project: string, value: string): Promise<boolean> {
  if (via === "local") return filesContaining(value, [materialDir(project)]).length > 0;
  for (const bytes of (await materialFiles(via, project)).values()) if (bytes.includes(value)) return true;
  return false;
}

/** The project's resources on the engine besides the delivery's own (the holder and its volume). */
export function withoutHolder<T extends { containers: number; volumes: number }>(
  via: DeliveryPath,
  counts: T,
  present: boolean,
): T {
  if (via === "local" || !present) return counts;
  return { ...counts, containers: counts.containers - 1, volumes: counts.volumes - 1 };
}

export { PROJECT_LABEL };

/** The directory on the engine's host that containers' secret mounts come from on `via`. */
export async function materialRoot(via: DeliveryPath, project: string, on: Docker = docker): Promise<string> {
  if (via === "local") return materialDir(project);
  return (await on.getVolume(secretsVolume(project)).inspect()).Mountpoint;
}

/** Services with files in the project's material (services/<name>/ or files/<name>/ under `sub`). */
export async function materialServices(
  via: DeliveryPath,
  project: string,
  sub: "services" | "files",
): Promise<string[]> {
  const names = new Set<string>();
  for (const file of (await materialFiles(via, project)).keys()) {
    const [top, service] = file.split("/");
    if (top === sub && service !== undefined) names.add(service);
  }
  return [...names].sort();
}

/**
 * Wraps `body` once per delivery path: `describe.each(deliveryPaths)` with the path in use for
 * every CLI call of the block. The body gets the path for its per-path expectations.
 */
export function onEachDeliveryPath(body: (via: DeliveryPath) => void): void {
  describe.each(deliveryPaths)("$path delivery", ({ path: via }) => {
    useDeliveryPath(via);
    body(via);
  });
}
