import type { Command } from "commander";
import { followProject } from "../../compose/log-follow.js";
import { logContainers, logs } from "../../compose/logs.js";
import { InterruptedError } from "../../errors.js";
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
    .option(
      "-f, --follow",
      "keep following the output, of containers created or restarted meanwhile too, until the containers stop",
      false,
    )
    .option("-n, --tail <lines>", "number of lines from the end of each log, or all", "all")
    .option("-t, --timestamps", "show the engine's timestamp of each line", false)
    .option("--since <time>", "only output since a time (2024-01-02T15:04:05Z) or a duration ago (10m)")
    .option("--no-log-prefix", "print the lines without the container name in front")
    .option("--no-color", "don't colour the container names")
    .action(async (services: string[], flags: LogsFlags, command: Command) => {
      const tail = parseTail(flags.tail ?? "all");
      const since = flags.since === undefined ? undefined : parseTimeFlag("--since", flags.since, Date.now());
      const { project, name, engine, delivery } = await projectOrName(command, output);
      // An unknown name is the user's mistake: say so, rather than print nothing.
      checkServiceNames(project, services);
      const selection = { timestamps: flags.timestamps, tail, ...(since === undefined ? {} : { since }) };
      const printerOptions = {
        prefix: flags.logPrefix,
        colour: output.stdoutIsTTY && flags.color,
        mask: await projectMasker((await delivery()).store),
      };
      if (!flags.follow) {
        const containers = await logContainers(name, engine, services);
        const printer = createLogPrinter(output, name, containers, printerOptions);
        await logs(containers, engine, selection, printer.line);
        await printer.flush();
        return;
      }
      const follower = await followProject(name, engine, services);
      const printer = createLogPrinter(output, name, follower.containers, printerOptions);
      const controller = new AbortController();
      const interrupt = (): void => controller.abort();
      process.on("SIGINT", interrupt);
      try {
        await follower.follow(selection, printer.line, controller.signal);
        await printer.flush();
      } finally {
        process.removeListener("SIGINT", interrupt);
      }
      if (controller.signal.aborted) throw new InterruptedError("stopped following (Ctrl-C)");
    });
}
