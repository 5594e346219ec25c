import type { Command } from "commander";
import { hookPrinter } from "../hook-output.js";
import { start } from "../../compose/lifecycle.js";
import { formatPlan } from "../../plan/format.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { checkServiceNames, projectOrName, recreateForStaleTask } from "../project-context.js";

/** `composec start [services...]`: start the existing containers, as `docker compose start`. */
export function registerStart(program: Command, output: Output): void {
  program
    .command("start")
    .description("Start the project's existing containers (dependencies first)")
    .argument("[services...]", "only these services (default: all)")
    .action(async (services: string[], _flags: object, command: Command) => {
      const context = await projectOrName(command, output);
      const { options, project, name, delivery } = context;
      const engine = context.engine;
      checkServiceNames(project, services);
      const progress = createProgress(output, options.progress, "Running");
      try {
        const plan = await start(name, engine, {
          services,
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          onHookOutput: hookPrinter(name, output, delivery),
          onWarning: progress.onWarning,
          ...recreateForStaleTask(context, progress),
          ...(project === undefined ? {} : { project }),
        });
        if (options.dryRun) output.stdout(formatPlan(plan));
      } finally {
        progress.finish();
      }
    });
}
