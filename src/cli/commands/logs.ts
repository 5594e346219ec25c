import type { Command } from "commander";
import { logContainers, logs } from "../../compose/logs.js";
import { createLogPrinter } from "../log-printer.js";
import { projectMasker } from "../mask.js";
import type { Output } from "../output.js";
import { parseTail, parseTimeFlag } from "../parse.js";
import { checkServiceNames, projectOrName } from "../project-context.js";

interface LogsFlags {
  follow: boolean;
  tail?: string;
  timestamps: boolean;
  since?: string;
  logPrefix: boolean;
  color: boolean;
}

/** `composec logs [services...]`: the containers' output on stdout, as `docker compose logs`. */
export function registerLogs(program: Command, output: Output): void {
  program
    .command("logs")
    .description("Show the output of the project's containers")
    .argument("[services...]", "only these services' containers (default: all)")
    .option("-f, --follow", "keep following the output until the containers stop", false)
    .option("-n, --tail <lines>", "number of lines from the end of each log, or all", "all")
    .option("-t, --timestamps", "show the engine's timestamp of each line", false)
    .option("--since <time>", "only output since a time (2024-01-02T15:04:05Z) or a duration ago (10m)")
    .option("--no-log-prefix", "print the lines without the container name in front")
    .option("--no-color", "don't colour the container names")
    .action(async (services: string[], flags: LogsFlags, command: Command) => {
      const tail = parseTail(flags.tail ?? "all");
      const since = flags.since === undefined ? undefined : parseTimeFlag("--since", flags.since, Date.now());
      const { project, name, engine } = await projectOrName(command, output);
      // An unknown name is the user's mistake: say so, rather than print nothing.
      checkServiceNames(project, services);
      const containers = await logContainers(name, engine, services);
      const printer = createLogPrinter(output, name, containers, {
        prefix: flags.logPrefix,
        colour: output.stdoutIsTTY && flags.color,
        mask: await projectMasker(name),
      });
      await logs(
        containers,
        engine,
        {
          follow: flags.follow,
          timestamps: flags.timestamps,
          tail,
          ...(since === undefined ? {} : { since }),
        },
        printer.line,
      );
    });
}
