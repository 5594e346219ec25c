import type { Command } from "commander";
import { top } from "../../compose/top.js";
import type { Output } from "../output.js";
import { checkServiceNames, projectOrName } from "../project-context.js";
import { formatColumns } from "../table.js";

/** `composec top [services...]`: the processes in each running container, as `docker compose top`. */
export function registerTop(program: Command, output: Output): void {
  program
    .command("top")
    .description("Show the processes running in the project's containers")
    .argument("[services...]", "only these services' containers")
    .action(async (services: string[], _flags: object, command: Command) => {
      const { project, name, engine } = await projectOrName(command, output);
      checkServiceNames(project, services);
      const entries = await top(name, engine, services);
      output.stdout(
        entries
          .map((entry) => `${entry.container.name}\n${formatColumns(entry.top.Titles, entry.top.Processes)}`)
          .join("\n"),
      );
    });
}
