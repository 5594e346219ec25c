import type { Command } from "commander";
import { humanSize, images } from "../../compose/images.js";
import { UsageError } from "../../errors.js";
import type { Output } from "../output.js";
import { checkServiceNames, projectOrName } from "../project-context.js";
import { formatColumns } from "../table.js";

interface ImagesFlags {
  quiet: boolean;
  format: string;
}

/** `composec images [services...]`: the images the containers use, as `docker compose images`. */
export function registerImages(program: Command, output: Output): void {
  program
    .command("images")
    .description("List the images the project's containers use")
    .argument("[services...]", "only these services' containers")
    .option("-q, --quiet", "only print image ids", false)
    .option("--format <format>", "table, or json (one object per line)", "table")
    .action(async (services: string[], flags: ImagesFlags, command: Command) => {
      if (flags.format !== "table" && flags.format !== "json") {
        throw new UsageError(`--format "${flags.format}" is not a format for images; use table or json`);
      }
      const { project, name, engine } = await projectOrName(command, output);
      checkServiceNames(project, services);
      const rows = await images(name, engine, services);
      if (flags.quiet) {
        for (const id of new Set(rows.map((row) => row.ID))) output.stdout(`${id}\n`);
      } else if (flags.format === "json") {
        for (const row of rows) output.stdout(`${JSON.stringify(row)}\n`);
      } else {
        output.stdout(
          formatColumns(
            ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"],
            rows.map((row) => [
              row.ContainerName,
              row.Repository,
              row.Tag,
              row.ID.replace(/^sha256:/, "").slice(0, 12),
              humanSize(row.Size),
            ]),
          ),
        );
      }
    });
}
