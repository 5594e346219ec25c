// What exists on the engine for one project, as the planner needs it: plain data, no engine types,
// so plans are computed (and tested) without an engine. src/engine/observe.ts fills it in.

export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ObservedContainer {
  id: string;
  name: string;
  /** `com.docker.compose.service`. */
  service: string;
  /** `com.docker.compose.container-number`; 0 when absent (one-off containers). */
  number: number;
  oneoff: boolean;
  state: ContainerState;
  /** `com.docker.compose.config-hash`, when present. */
  configHash?: string;
  /** Id of the image the container runs. */
  imageId: string;
  /** Services it depends on, from `com.docker.compose.depends_on` (used by `down` without files). */
  dependsOn: string[];
  labels: Record<string, string>;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  /** `com.docker.compose.project`, when present. */
  project?: string;
  /** `com.docker.compose.network`, when present. */
  key?: string;
  /** `com.docker.compose.config-hash`, when present (absent on networks made before it was set). */
  configHash?: string;
  /**
   * Every container configured on it, running or not, with its project label: looked up only for a
   * project network whose config hash differs from the files' (the plan then recreates it).
   */
  attached?: AttachedContainer[];
}

/** A container configured on a network, of any project. */
export interface AttachedContainer {
  id: string;
  name: string;
  /** `com.docker.compose.project`, when present. */
  project?: string;
  oneoff: boolean;
}

export interface ObservedVolume {
  name: string;
  project?: string;
  /** `com.docker.compose.volume`, when present. */
  key?: string;
}

/**
 * The project's secret material as delivered (read through its MaterialStore by
 * materialize/execute-material.ts): keyed digests only, never a value.
 */
export interface ObservedMaterial {
  /** Per service, per target: the keyed digest of what is in place. */
  delivered: Record<string, Record<string, string>>;
  /** Services that have material in place (digests, config list, or a directory the store found). */
  services: string[];
  /**
   * Per service, the targets whose digest says they are in place but whose file the store did not
   * find (removed by hand); absent or empty: none missing, or not looked at.
   */
  missing?: Record<string, string[]>;
}

export interface ObservedState {
  projectName: string;
  /** Every container with the project label, one-off ones included. */
  containers: ObservedContainer[];
  /** Networks that matter to the project (labelled with it or named like one of its networks), by name. */
  networks: Record<string, ObservedNetwork>;
  /** Likewise for volumes, by name. */
  volumes: Record<string, ObservedVolume>;
  /** Image id per image reference the project uses; `null` when the engine does not have it. */
  images: Record<string, string | null>;
  /** Env-shim probe containers (SHIM_PROBE_LABEL) a killed run left behind; absent: none looked for. */
  probes?: { id: string; name: string }[];
  /** The delivered secret material; absent when it was not looked at (no store given to observe). */
  material?: ObservedMaterial;
}

/** An empty observation: a project nothing exists of yet. */
export function emptyState(projectName: string): ObservedState {
  return { projectName, containers: [], networks: {}, volumes: {}, images: {} };
}
