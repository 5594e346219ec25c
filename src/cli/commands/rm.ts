import { createInterface } from "node:readline/promises";
import { hookPrinter } from "../hook-output.js";
import type { Command } from "commander";
import { remove } from "../../compose/lifecycle.js";
import { formatPlan } from "../../plan/format.js";
import type { Plan } from "../../plan/types.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { checkServiceNames, projectOrName } from "../project-context.js";

interface RmFlags {
  force: boolean;
  stop: boolean;
  volumes: boolean;
}

/** `composec rm [services...]`: remove stopped containers, as `docker compose rm`. */
export function registerRm(program: Command, output: Output): void {
  program
    .command("rm")
    .description("Remove the project's stopped containers (one-off ones too)")
    .argument("[services...]", "only these services (default: all)")
    .option("-f, --force", "don't ask for confirmation", false)
    .option("-s, --stop", "stop running containers first, then remove them", false)
    .option("-v, --volumes", "also remove the containers' anonymous volumes", false)
    .action(async (services: string[], flags: RmFlags, command: Command) => {
      const { options, project, name, engine, delivery } = await projectOrName(command, output);
      checkServiceNames(project, services);
      const common = {
        services,
        stop: flags.stop,
        volumes: flags.volumes,
        ...(project === undefined ? {} : { project }),
      };
      const plan = await remove(name, engine, { ...common, dryRun: true });
      const doomed = removedNames(plan);
      if (doomed.length === 0) {
        output.stderr("No stopped containers\n");
        return;
      }
      if (options.dryRun) {
        output.stdout(formatPlan(plan));
        return;
      }
      if (!flags.force && !(await confirm(output, `Going to remove ${doomed.join(", ")}`))) {
        output.stderr("Nothing removed\n");
        return;
      }
      const progress = createProgress(output, options.progress, "Removing");
      try {
        await remove(name, engine, {
          ...common,
          onProgress: progress.onProgress,
          onHookOutput: hookPrinter(name, output, delivery),
        });
      } finally {
        progress.finish();
      }
    });
}

function removedNames(plan: Plan): string[] {
  return plan.nodes.flatMap((node) =>
    node.operation.type === "RemoveContainer" ? [node.operation.container.name] : [],
  );
}

/** Asks on stderr and reads one answer from stdin; anything but y/yes (end of input too) is no. */
async function confirm(output: Output, question: string): Promise<boolean> {
  output.stderr(`? ${question}. Are you sure? [yN] `);
  const reader = createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      reader.once("line", resolve);
      reader.once("close", () => resolve(""));
    });
    if (!process.stdin.isTTY) output.stderr("\n");
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    reader.close();
    process.stdin.destroy();
  }
}
