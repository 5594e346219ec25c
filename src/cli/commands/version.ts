import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { COMPOSEC_VERSION } from "../../version.js";
import type { Output } from "../output.js";

/** `composec version`: composec's own version, as `docker compose version`. */
export function registerVersion(program: Command, output: Output): void {
  program
    .command("version")
    .description("Show composec's version")
    .option("--short", "only the version number", false)
    .option("-f, --format <format>", "pretty or json", "pretty")
    .action((flags: { short: boolean; format: string }) => {
      if (flags.format !== "pretty" && flags.format !== "json") {
        throw new UsageError(`--format "${flags.format}" is not a format for version; use pretty or json`);
      }
      if (flags.short) output.stdout(`${COMPOSEC_VERSION}\n`);
      else if (flags.format === "json") output.stdout(`${JSON.stringify({ version: COMPOSEC_VERSION })}\n`);
      else output.stdout(`composec version ${COMPOSEC_VERSION}\n`);
    });
}
