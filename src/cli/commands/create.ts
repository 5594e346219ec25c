import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { up } from "../../compose/up.js";
import { formatPlan } from "../../plan/format.js";
import { openStoreSource } from "../../store/source.js";
import type { Output } from "../output.js";
import { collect, parsePullFlag, parseScale } from "../parse.js";
import { createProgress } from "../progress.js";
import { projectContext } from "../project-context.js";

interface CreateFlags {
  forceRecreate: boolean;
  recreate: boolean;
  removeOrphans: boolean;
  scale: string[];
  pull?: string;
}

/** `composec create [services...]`: `up` without starting anything, as `docker compose create`. */
export function registerCreate(program: Command, output: Output): void {
  program
    .command("create")
    .description("Create the project's networks, volumes and containers without starting them")
    .argument("[services...]", "services to create, with their dependencies (default: all)")
    .option("--force-recreate", "recreate containers even if their configuration is unchanged", false)
    .option("--no-recreate", "never recreate existing containers, even if their configuration changed")
    .option("--remove-orphans", "remove containers of services no longer in the project", false)
    .option("--scale <service=n>", "create n containers of the service (repeatable)", collect, [])
    .option(
      "--pull <policy>",
      "pull images before creating containers: always, missing or never (default: each service's pull_policy)",
    )
    .action(async (services: string[], flags: CreateFlags, command: Command) => {
      if (flags.forceRecreate && !flags.recreate) {
        throw new UsageError("--force-recreate and --no-recreate contradict each other; use one");
      }
      const scale = parseScale(flags.scale);
      const pull = parsePullFlag(flags.pull);
      const { options, project, variables, engine } = await projectContext(command, output);
      const progress = createProgress(output, options.progress, "Creating");
      try {
        const result = await up(project, engine, {
          services,
          noStart: true,
          forceRecreate: flags.forceRecreate,
          noRecreate: !flags.recreate,
          removeOrphans: flags.removeOrphans,
          scale,
          ...(pull === undefined ? {} : { pull }),
          dryRun: options.dryRun,
          onProgress: progress.onProgress,
          onWarning: progress.onWarning,
          variables,
          external: openStoreSource(process.env, { project: project.name }),
        });
        if (options.dryRun) output.stdout(formatPlan(result.plan));
      } finally {
        progress.finish();
      }
    });
}
