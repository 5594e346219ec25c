import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { runCheck, variableFilesOf } from "../../check/index.js";
import { renderJson, renderSarif, renderText } from "../../check/render.js";
import { atLeast, SEVERITIES, type Severity } from "../../check/types.js";
import { ExitStatus } from "../exit-codes.js";
import { globalOptions, loadFromOptions } from "../global-options.js";
import type { Output } from "../output.js";
import { checkServiceNames } from "../project-context.js";

interface CheckFlags {
  format: string;
  severity: string;
}

const FORMATS = ["text", "json", "sarif"];

/** `composec check [services...]`: find secrets leaking out of the project's files. */
export function registerCheck(program: Command, output: Output): void {
  program
    .command("check")
    .description("Find secrets leaking out of the project's files (never printing a value)")
    .argument("[services...]", "check only these services and what they use (default: all)")
    .option("--format <format>", "text, json or sarif", "text")
    .option(
      "--severity <level>",
      "exit 1 when a finding is at least this serious: error, warning or note",
      "warning",
    )
    .action(async (services: string[], flags: CheckFlags, command: Command) => {
      if (!FORMATS.includes(flags.format)) {
        throw new UsageError(`--format "${flags.format}" is not a format; use text, json or sarif`);
      }
      if (!SEVERITIES.includes(flags.severity as Severity)) {
        throw new UsageError(`--severity "${flags.severity}" is not a severity; use error, warning or note`);
      }
      const options = globalOptions(command);
      const loaded = await loadFromOptions(options, output);
      checkServiceNames(loaded.project, services);
      const { findings, gitUnavailable } = await runCheck(loaded, {
        variableFiles: variableFilesOf(loaded.project.workingDir, options.envFile),
        ...(services.length > 0 ? { services } : {}),
      });
      if (gitUnavailable)
        output.stderr(`warning: ${gitUnavailable}: secret files were not checked against git (CS008)\n`);
      const report = { findings, base: process.cwd() };
      const colour = output.stdoutIsTTY && !process.env.NO_COLOR;
      output.stdout(
        flags.format === "json"
          ? renderJson(report)
          : flags.format === "sarif"
            ? renderSarif(report)
            : renderText(report, colour),
      );
      const threshold = flags.severity as Severity;
      if (findings.some((item) => !item.suppressed && atLeast(item.severity, threshold)))
        throw new ExitStatus(1);
    });
}
