import type { Command } from "commander";
import { hookPrinter } from "../hook-output.js";
import { stop } from "../../compose/lifecycle.js";
import { formatPlan } from "../../plan/format.js";
import type { Output } from "../output.js";
import { parseSeconds } from "../parse.js";
import { createProgress } from "../progress.js";
import { checkServiceNames, projectOrName } from "../project-context.js";

/** `composec stop [services...]`: stop the running containers, as `docker compose stop`. */
export function registerStop(program: Command, output: Output): void {
  program
    .command("stop")
    .description("Stop the project's running containers without removing them (dependents first)")
    .argument("[services...]", "only these services (default: all)")
    .option("-t, --timeout <seconds>", "seconds each container gets to stop before it is killed")
    .action(async (services: string[], flags: { timeout?: string }, command: Command) => {
      const timeout = parseSeconds("-t/--timeout", flags.timeout);
      const { options, project, name, engine, delivery } = await projectOrName(command, output);
      checkServiceNames(project, services);
      const progress = createProgress(output, options.progress, "Stopping");
      try {
        const plan = await stop(name, engine, {
          services,
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          onHookOutput: hookPrinter(name, output, delivery),
          ...(project === undefined ? {} : { project }),
          ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
        });
        if (options.dryRun) output.stdout(formatPlan(plan));
      } finally {
        progress.finish();
      }
    });
}
