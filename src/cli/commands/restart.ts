import type { Command } from "commander";
import { hookPrinter } from "../hook-output.js";
import { restart } from "../../compose/lifecycle.js";
import type { Output } from "../output.js";
import { parseSeconds } from "../parse.js";
import { createProgress } from "../progress.js";
import { checkServiceNames, projectOrName, recreateForStaleTask } from "../project-context.js";

/** `composec restart [services...]`: restart the containers, as `docker compose restart`. */
export function registerRestart(program: Command, output: Output): void {
  program
    .command("restart")
    .description("Restart the project's containers (stopped ones are started)")
    .argument("[services...]", "only these services (default: all)")
    .option("-t, --timeout <seconds>", "seconds each container gets to stop before it is killed")
    .action(async (services: string[], flags: { timeout?: string }, command: Command) => {
      const timeout = parseSeconds("-t/--timeout", flags.timeout);
      const context = await projectOrName(command, output);
      const { options, project, name, delivery } = context;
      const engine = context.engine;
      checkServiceNames(project, services);
      const progress = createProgress(output, options.progress, "Restarting");
      try {
        const restarted = await restart(name, engine, {
          services,
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          onHookOutput: hookPrinter(name, output, delivery),
          onWarning: progress.onWarning,
          ...recreateForStaleTask(context, progress),
          ...(project === undefined ? {} : { project }),
          ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
        });
        if (options.dryRun) for (const container of restarted) output.stdout(`restart ${container.name}\n`);
      } finally {
        progress.finish();
      }
    });
}
