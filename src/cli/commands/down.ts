import type { Command } from "commander";
import { hookPrinter } from "../hook-output.js";
import { down } from "../../compose/down.js";
import { formatPlan } from "../../plan/format.js";
import type { Output } from "../output.js";
import { parseSeconds } from "../parse.js";
import { createProgress } from "../progress.js";
import { projectOrName } from "../project-context.js";

interface DownFlags {
  volumes: boolean;
  removeOrphans: boolean;
  timeout?: string;
}

/** `composec down`: stop and remove the project's containers and networks (and volumes with -v). */
export function registerDown(program: Command, output: Output): void {
  program
    .command("down")
    .description("Stop and remove the project's containers and networks (with -v, its volumes too)")
    .option(
      "-v, --volumes",
      "also remove named volumes of the project and anonymous volumes of its containers",
      false,
    )
    .option("--remove-orphans", "also remove containers of services no longer in the project", false)
    .option("-t, --timeout <seconds>", "seconds each container gets to stop before it is killed")
    .action(async (flags: DownFlags, command: Command) => {
      const timeout = parseSeconds("-t/--timeout", flags.timeout);
      const { options, project, name, engine, delivery } = await projectOrName(command, output);
      const progress = createProgress(output, options.progress, "Running");
      const result = await down(project ?? name, engine, {
        volumes: flags.volumes,
        removeOrphans: flags.removeOrphans,
        dryRun: options.dryRun,
        ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
        onProgress: progress.onProgress,
        onHookOutput: hookPrinter(name, output, delivery),
        onWarning: progress.onWarning,
      });
      progress.finish();
      if (result.nothingToDo) {
        output.stderr(`Project ${name}: nothing to do, no containers, networks or volumes of it exist\n`);
        return;
      }
      if (options.dryRun) output.stdout(formatPlan(result.plan));
    });
}
