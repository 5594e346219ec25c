// `images` as a library function: the images the project's containers run, as `docker compose
// images` lists them (one row per container).
import type { Engine } from "../engine/client.js";
import { LABEL } from "../model/names.js";

/** One row, with Compose's `images --format json` field names. */
export interface ImageSummary {
  ID: string;
  ContainerName: string;
  Repository: string;
  Tag: string;
  /** Bytes. */
  Size: number;
}

/** The image of each of the project's containers (one-off ones too), sorted by container name. */
export async function images(
  projectName: string,
  engine: Engine,
  services: string[] = [],
): Promise<ImageSummary[]> {
  const wanted = new Set(services);
  const containers = (await engine.listProjectContainers(projectName, { all: true })).filter(
    (info) => wanted.size === 0 || wanted.has(info.Labels?.[LABEL.service] ?? ""),
  );
  const inspected = new Map<string, Awaited<ReturnType<Engine["inspectImage"]>>>();
  await Promise.all(
    [...new Set(containers.map((info) => info.ImageID))].map(async (id) => {
      inspected.set(id, await engine.inspectImage(id));
    }),
  );
  return containers
    .map((info) => {
      const image = inspected.get(info.ImageID);
      // The reference the container was created from, unless that was a bare id.
      const reference = /^(sha256:)?[0-9a-f]{12,64}$/.test(info.Image)
        ? (image?.RepoTags?.[0] ?? "<none>:<none>")
        : info.Image;
      const at = reference.lastIndexOf(":");
      const tagged = at > reference.lastIndexOf("/");
      return {
        ID: info.ImageID,
        ContainerName: (info.Names[0] ?? info.Id).replace(/^\//, ""),
        Repository: tagged ? reference.slice(0, at) : reference,
        Tag: tagged ? reference.slice(at + 1) : "latest",
        Size: image?.Size ?? 0,
      };
    })
    .sort((a, b) => a.ContainerName.localeCompare(b.ContainerName));
}

/** Bytes as the Docker CLI shows sizes (go-units HumanSize: decimal units, 3 significant digits). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}
