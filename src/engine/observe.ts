// Reads what exists on the engine for a project (by the project label, and by name for the
// networks and volumes the files declare) into the planner's plain ObservedState.
import { networkSettingsChanged } from "../model/config-hash.js";
import { LABEL, imageName, shimProbeFilter } from "../model/names.js";
import type { Project } from "../model/project.js";
import type {
  AttachedContainer,
  ContainerState,
  ObservedContainer,
  ObservedMaterial,
  ObservedNetwork,
  ObservedState,
  ObservedVolume,
} from "../plan/state.js";
import type { Engine } from "./client.js";
import type { ContainerListEntry } from "./types.js";

export interface ObserveOptions {
  /** The loaded project: its networks and volumes are also looked up by name, its images inspected. */
  project?: Project;
  /** Only these services' images are inspected (default: every service's). */
  services?: Iterable<string>;
  /** Image ids already inspected (by ensureImages, just before): not asked of the engine again. */
  imageIds?: Record<string, string | null>;
  /** Whether to list volumes (default true); `down` without `-v` removes none, so need not ask. */
  volumes?: boolean;
  /** The project's secret material, read through its store (materialize/execute-material.ts). */
  material?: { observe(): Promise<ObservedMaterial> };
}

/** Observes the project's containers, networks, volumes and images, in parallel. */
export async function observe(
  engine: Engine,
  projectName: string,
  options: ObserveOptions = {},
): Promise<ObservedState> {
  const project = options.project;
  const declaredVolumes = Object.values(project?.volumes ?? {}).map((volume) => volume.name);
  const withVolumes = options.volumes ?? true;
  const imageRefs = new Set<string>();
  for (const name of options.services ?? Object.keys(project?.services ?? {})) {
    const service = project?.services[name];
    if (project && service && (service.image !== undefined || service.build !== undefined)) {
      imageRefs.add(imageName(project.name, service));
    }
  }

  const [containers, probes, networks, labelledVolumes, namedVolumes, images, material] = await Promise.all([
    engine.listProjectContainers(projectName, { all: true }),
    // A probe carries no project label (it is no part of the project): found by its own.
    engine.listContainers({ label: [shimProbeFilter(projectName)] }, { all: true }),
    // Networks are few: one unfiltered list finds both labelled ones and same-named strangers.
    engine.listNetworks(),
    withVolumes ? engine.listVolumes({ label: [`${LABEL.project}=${projectName}`] }) : Promise.resolve([]),
    // The `name` filter matches substrings; exact names are picked below.
    withVolumes && declaredVolumes.length > 0
      ? engine.listVolumes({ name: declaredVolumes })
      : Promise.resolve([]),
    Promise.all(
      [...imageRefs].map(async (ref) => {
        const known = options.imageIds?.[ref];
        return [ref, known !== undefined ? known : ((await engine.inspectImage(ref))?.Id ?? null)] as const;
      }),
    ),
    options.material?.observe(),
  ]);

  const declaredNetworks = new Set(Object.values(project?.networks ?? {}).map((network) => network.name));
  const observedNetworks: Record<string, ObservedNetwork> = {};
  for (const network of networks) {
    const labels = network.Labels ?? {};
    if (labels[LABEL.project] !== projectName && !declaredNetworks.has(network.Name)) continue;
    observedNetworks[network.Name] = withOptional(
      { id: network.Id, name: network.Name },
      { project: labels[LABEL.project], key: labels[LABEL.network], configHash: labels[LABEL.configHash] },
    );
  }
  // A project network made from other settings is recreated by the plan, which must know who is on
  // it first; the lookup costs a call only then, never on an unchanged project.
  const diverged = Object.values(project?.networks ?? {}).filter((declared) => {
    const seen = observedNetworks[declared.name];
    return seen !== undefined && networkSettingsChanged(declared, seen, projectName);
  });
  if (diverged.length > 0) {
    // Every container, of any project: the engine's `network` filter finds running ones only, and a
    // stopped one left on a removed network could never start again. Listings name its networks.
    const everyone = await engine.listContainers({}, { all: true });
    for (const declared of diverged) {
      const seen = observedNetworks[declared.name] as ObservedNetwork;
      seen.attached = everyone
        .filter((entry) =>
          Object.entries(entry.NetworkSettings?.Networks ?? {}).some(
            ([name, endpoint]) => name === seen.name || endpoint.NetworkID === seen.id,
          ),
        )
        .map((entry) => attachedOf(entry));
    }
  }

  const declared = new Set(declaredVolumes);
  const observedVolumes: Record<string, ObservedVolume> = {};
  for (const volume of [...labelledVolumes, ...namedVolumes]) {
    const labels = volume.Labels ?? {};
    if (labels[LABEL.project] !== projectName && !declared.has(volume.Name)) continue;
    observedVolumes[volume.Name] = withOptional(
      { name: volume.Name },
      { project: labels[LABEL.project], key: labels[LABEL.volume] },
    );
  }

  return {
    projectName,
    containers: containers.map(toObservedContainer),
    networks: observedNetworks,
    volumes: observedVolumes,
    images: Object.fromEntries(images),
    probes: probes.map((probe) => ({ id: probe.Id, name: (probe.Names[0] ?? probe.Id).replace(/^\//, "") })),
    ...(material === undefined ? {} : { material }),
  };
}

/** A container on a network, as the plan's check for other projects' containers needs it. */
function attachedOf(entry: ContainerListEntry): AttachedContainer {
  const labels = entry.Labels ?? {};
  return withOptional(
    {
      id: entry.Id,
      name: (entry.Names[0] ?? entry.Id).replace(/^\//, ""),
      oneoff: labels[LABEL.oneoff] === "True",
    },
    { project: labels[LABEL.project] },
  );
}

/** Maps a container listing entry to the planner's view. */
export function toObservedContainer(info: ContainerListEntry): ObservedContainer {
  const labels = info.Labels ?? {};
  const number = Number.parseInt(labels[LABEL.containerNumber] ?? "", 10);
  const dependsOn = (labels[LABEL.dependsOn] ?? "")
    .split(",")
    .filter((entry) => entry !== "")
    .map((entry) => entry.split(":")[0] as string);
  return withOptional(
    {
      id: info.Id,
      // The engine lists names with a leading slash.
      name: (info.Names[0] ?? info.Id).replace(/^\//, ""),
      service: labels[LABEL.service] ?? "",
      number: Number.isFinite(number) ? number : 0,
      oneoff: labels[LABEL.oneoff] === "True",
      state: info.State as ContainerState,
      imageId: info.ImageID ?? "",
      dependsOn,
      labels,
    },
    { configHash: labels[LABEL.configHash] },
  );
}

/** `base` plus the members of `optional` that are defined (optional fields stay absent, not undefined). */
function withOptional<T extends object, O extends Record<string, string | undefined>>(
  base: T,
  optional: O,
): T & Partial<Record<keyof O, string>> {
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) result[key] = value;
  return result as T & Partial<Record<keyof O, string>>;
}
