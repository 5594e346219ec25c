// `down` as a library function: works from a loaded project, or from a project name alone (then
// everything labelled with it goes), so a project whose files are gone can still be removed.
import type { HookReport } from "../engine/hooks.js";
import type { Engine } from "../engine/client.js";
import { execute } from "../engine/execute.js";
import { observe } from "../engine/observe.js";
import type { ProgressListener } from "../engine/progress.js";
import type { Project } from "../model/project.js";
import { planDown } from "../plan/down-plan.js";
import { removeRuntimeSecrets } from "./secrets.js";
import { isLocalEndpoint } from "../engine/endpoint.js";
import { materialStore } from "../materialize/stores.js";
import type { Plan } from "../plan/types.js";
import { crashPoint } from "../crash-point.js";

export interface DownOptions {
  /** `--remove-orphans`: also containers of services the project no longer has. */
  removeOrphans?: boolean;
  /** `-v`: named volumes of the project and anonymous volumes of its containers. */
  volumes?: boolean;
  /** `-t`: seconds each container gets to stop before it is killed. */
  timeoutSeconds?: number;
  dryRun?: boolean;
  onProgress?: ProgressListener;
  /** What each lifecycle hook printed (engine/hooks.ts), for the caller to show masked. */
  onHookOutput?: (report: HookReport) => Promise<void> | void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface DownResult {
  plan: Plan;
  /** Nothing of the project existed. */
  nothingToDo: boolean;
}

/** Stops and removes a project's containers, then its networks (and volumes with `volumes`). */
export async function down(
  target: Project | string,
  engine: Engine,
  options: DownOptions = {},
): Promise<DownResult> {
  const project = typeof target === "string" ? undefined : target;
  const name = typeof target === "string" ? target : target.name;
  // Without -v no volume is removed: the engine need not be asked for them.
  const volumes = options.volumes ?? false;
  const state = await observe(engine, name, {
    ...(project === undefined ? {} : { project, services: [] }),
    volumes,
  });
  const plan = planDown(state, {
    ...(project === undefined ? {} : { project }),
    ...(options.removeOrphans === undefined ? {} : { removeOrphans: options.removeOrphans }),
    ...(options.volumes === undefined ? {} : { volumes: options.volumes }),
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
  });
  for (const warning of plan.warnings) options.onWarning?.(warning);
  if (options.dryRun) return { plan, nothingToDo: plan.nodes.length === 0 };
  if (plan.nodes.length > 0) {
    await execute(plan, engine, {
      ...(project === undefined ? {} : { project }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onHookOutput === undefined ? {} : { onHookOutput: options.onHookOutput }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  crashPoint("down.engine-done");
  // Last, once no container uses it: the secret material and its place, also when a crashed `up`
  // left material behind with no container at all. A project may have been brought up on either
  // path (one can be forced): the engine's side is cleaned on every engine, the local tmpfs
  // wherever the engine is local.
  await removeRuntimeSecrets(await materialStore("engine", engine, name));
  if (isLocalEndpoint(engine.endpoint)) {
    const local = await materialStore("local", engine, name).catch(() => undefined);
    if (local) await removeRuntimeSecrets(local);
  }
  return { plan, nothingToDo: plan.nodes.length === 0 };
}
