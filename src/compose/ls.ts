// `ls` as a library function: the Compose projects on the engine, found by the project label on
// containers (ours and Compose's alike), as `docker compose ls` lists them.
import type { Engine } from "../engine/client.js";
import { LABEL, isSecretsHolder } from "../model/names.js";

/** One project, with Compose's `ls --format json` field names. */
export interface ProjectSummary {
  Name: string;
  /** Containers per state: `exited(1), running(2)`. */
  Status: string;
  /** The compose files of its containers, comma-separated. */
  ConfigFiles: string;
}

/** The projects with a running container (with `all`, any container), sorted by name. */
export async function listProjects(
  engine: Engine,
  options: { all?: boolean } = {},
): Promise<ProjectSummary[]> {
  const containers = await engine.listContainers({ label: [LABEL.project] }, { all: true });
  const projects = new Map<string, { states: Map<string, number>; files: Set<string> }>();
  for (const info of containers) {
    const labels = info.Labels ?? {};
    // The secrets holder keeps material, not a service: it neither lists nor keeps a project running.
    if (isSecretsHolder(labels)) continue;
    const name = labels[LABEL.project] as string;
    const entry = projects.get(name) ?? { states: new Map<string, number>(), files: new Set<string>() };
    entry.states.set(info.State, (entry.states.get(info.State) ?? 0) + 1);
    for (const file of (labels[LABEL.configFiles] ?? "").split(",")) if (file !== "") entry.files.add(file);
    projects.set(name, entry);
  }
  return [...projects]
    .filter(([, entry]) => options.all || (entry.states.get("running") ?? 0) > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({
      Name: name,
      Status: [...entry.states]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([state, count]) => `${state}(${count})`)
        .join(", "),
      ConfigFiles: [...entry.files].join(","),
    }));
}
