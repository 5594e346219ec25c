import type { Command } from "commander";
import { kill } from "../../compose/lifecycle.js";
import { UsageError } from "../../errors.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { checkServiceNames, projectOrName } from "../project-context.js";

/** `composec kill [services...]`: signal the running containers, as `docker compose kill`. */
export function registerKill(program: Command, output: Output): void {
  program
    .command("kill")
    .description("Send a signal (default SIGKILL) to the project's running containers")
    .argument("[services...]", "only these services (default: all)")
    .option("-s, --signal <signal>", "signal to send: a name such as SIGTERM or HUP, or a number", "SIGKILL")
    .action(async (services: string[], flags: { signal: string }, command: Command) => {
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(flags.signal)) {
        throw new UsageError(
          `-s/--signal "${flags.signal}" is not a signal; use a name such as SIGTERM or a number`,
        );
      }
      const { options, project, name, engine } = await projectOrName(command, output);
      checkServiceNames(project, services);
      const progress = createProgress(output, options.progress, "Killing");
      try {
        const killed = await kill(name, engine, {
          services,
          signalName: flags.signal.toUpperCase(),
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          ...(project === undefined ? {} : { project }),
        });
        if (killed.length === 0) output.stderr(`Project ${name}: no running container to kill\n`);
        else if (options.dryRun) for (const container of killed) output.stdout(`kill ${container.name}\n`);
      } finally {
        progress.finish();
      }
    });
}
