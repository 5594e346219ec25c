import type { Command } from "commander";
import { pull } from "../../compose/pull.js";
import { UsageError } from "../../errors.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { projectContext } from "../project-context.js";

interface PullFlags {
  quiet: boolean;
  ignorePullFailures: boolean;
  policy: string;
}

/** `composec pull [services...]`: pull the services' images, as `docker compose pull`. */
export function registerPull(program: Command, output: Output): void {
  program
    .command("pull")
    .description("Pull the images of the project's services from their registries")
    .argument("[services...]", "only these services' images (default: all)")
    .option("-q, --quiet", "print no progress", false)
    .option("--ignore-pull-failures", "warn about images that cannot be pulled and go on", false)
    .option("--policy <policy>", "always, or missing (only images the engine does not have)", "always")
    .action(async (services: string[], flags: PullFlags, command: Command) => {
      if (flags.policy !== "always" && flags.policy !== "missing") {
        throw new UsageError(`--policy "${flags.policy}" is not a pull policy; use always or missing`);
      }
      const { options, project, engine } = await projectContext(command, output);
      const progress = createProgress(output, flags.quiet ? "quiet" : options.progress, "Pulling");
      try {
        await pull(project, engine, {
          services,
          policy: flags.policy,
          ignoreFailures: flags.ignorePullFailures,
          onProgress: progress.onProgress,
          onWarning: progress.onWarning,
        });
      } finally {
        progress.finish();
      }
    });
}
