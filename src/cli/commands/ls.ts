import type { Command } from "commander";
import { listProjects } from "../../compose/ls.js";
import { UsageError } from "../../errors.js";
import type { Output } from "../output.js";
import { engineFromOptions } from "../project-context.js";
import { globalOptions } from "../global-options.js";
import { formatColumns } from "../table.js";

interface LsFlags {
  all: boolean;
  quiet: boolean;
  format: string;
}

/** `composec ls`: the projects on the engine, as `docker compose ls`. */
export function registerLs(program: Command, output: Output): void {
  program
    .command("ls")
    .description("List the Compose projects on the engine (running ones; -a for all)")
    .option("-a, --all", "also projects whose containers are all stopped", false)
    .option("-q, --quiet", "only print project names", false)
    .option("--format <format>", "table, or json", "table")
    .action(async (flags: LsFlags, command: Command) => {
      if (flags.format !== "table" && flags.format !== "json") {
        throw new UsageError(`--format "${flags.format}" is not a format for ls; use table or json`);
      }
      const projects = await listProjects(engineFromOptions(globalOptions(command)), { all: flags.all });
      if (flags.quiet) {
        for (const project of projects) output.stdout(`${project.Name}\n`);
      } else if (flags.format === "json") {
        // As Compose: one JSON array.
        output.stdout(`${JSON.stringify(projects)}\n`);
      } else {
        output.stdout(
          formatColumns(
            ["NAME", "STATUS", "CONFIG FILES"],
            projects.map((project) => [project.Name, project.Status, project.ConfigFiles]),
          ),
        );
      }
    });
}
