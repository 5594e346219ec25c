import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { formatPorts, ps, type ContainerSummary } from "../../compose/ps.js";
import type { Output } from "../output.js";
import { projectOrName } from "../project-context.js";
import { servicesMissingMaterial } from "../../compose/secrets.js";
import { humanDuration } from "../time.js";

interface PsFlags {
  all: boolean;
  quiet: boolean;
  format: string;
  services: boolean;
}

/** `composec ps [services...]`: list the project's containers, as `docker compose ps`. */
export function registerPs(program: Command, output: Output): void {
  program
    .command("ps")
    .description("List the project's containers")
    .argument("[services...]", "only these services' containers")
    .option("-a, --all", "show stopped containers too", false)
    .option("-q, --quiet", "only print container ids", false)
    .option("--format <format>", "table, or json (one object per line)", "table")
    .option("--services", "only print service names", false)
    .action(async (services: string[], flags: PsFlags, command: Command) => {
      if (flags.format !== "table" && flags.format !== "json") {
        throw new UsageError(`--format "${flags.format}" is not a format for ps; use table or json`);
      }
      const { name, engine, project, delivery } = await projectOrName(command, output);
      const rows = await ps(name, engine, { all: flags.all, services });
      if (project) {
        const missing = await servicesMissingMaterial(
          project,
          new Set(rows.map((row) => row.Service)),
          async () => (await delivery()).store,
        );
        for (const service of missing) {
          output.stderr(
            `warning: service ${service}: its secret material is missing (its tmpfs is gone, as after a reboot); run \`composec up\` to deliver it again\n`,
          );
        }
      }
      if (flags.quiet) {
        for (const row of rows) output.stdout(`${row.ID}\n`);
      } else if (flags.services) {
        for (const service of [...new Set(rows.map((row) => row.Service))].sort())
          output.stdout(`${service}\n`);
      } else if (flags.format === "json") {
        for (const row of rows) output.stdout(`${JSON.stringify(row)}\n`);
      } else {
        output.stdout(formatTable(rows, Date.now()));
      }
    });
}

/** Compose's table: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, columns padded to fit. */
export function formatTable(rows: ContainerSummary[], now: number): string {
  const header = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"];
  const lines = rows.map((row) => [
    row.Name,
    row.Image,
    `"${truncate(row.Command, 20)}"`,
    row.Service,
    `${humanDuration(now - row.Created * 1000)} ago`,
    row.Status,
    formatPorts(row.Publishers),
  ]);
  const table = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] as string).length)));
  return table
    .map((line) =>
      line
        .map((cell, column) =>
          column === line.length - 1 ? cell : cell.padEnd((widths[column] as number) + 3),
        )
        .join("")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
