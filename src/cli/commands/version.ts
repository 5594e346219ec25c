import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { formatEndpoint, type EngineEndpoint } from "../../engine/endpoint.js";
import { resolveEngine } from "../../engine/client.js";
import { COMPOSEC_VERSION } from "../../version.js";
import { globalOptions } from "../global-options.js";
import type { Output } from "../output.js";

/**
 * `composec version`: composec's own version, as `docker compose version`, and the engine endpoint
 * and docker CLI context the other commands would use (worked out, not connected to).
 */
export function registerVersion(program: Command, output: Output): void {
  program
    .command("version")
    .description("Show composec's version, and which engine endpoint and context it uses")
    .option("--short", "only the version number", false)
    .option("-f, --format <format>", "pretty or json", "pretty")
    .action((flags: { short: boolean; format: string }, command: Command) => {
      if (flags.format !== "pretty" && flags.format !== "json") {
        throw new UsageError(`--format "${flags.format}" is not a format for version; use pretty or json`);
      }
      if (flags.short) {
        output.stdout(`${COMPOSEC_VERSION}\n`);
        return;
      }
      const options = globalOptions(command);
      const resolved = resolveEngine({
        ...(options.host !== undefined ? { host: options.host } : {}),
        ...(options.context !== undefined ? { context: options.context } : {}),
      });
      const endpoint = formatEndpoint(resolved.endpoint);
      const transport = transportOf(resolved.endpoint);
      if (flags.format === "json") {
        output.stdout(
          `${JSON.stringify({
            version: COMPOSEC_VERSION,
            context: resolved.context,
            contextSource: resolved.source,
            endpoint,
            transport,
          })}\n`,
        );
        return;
      }
      output.stdout(
        `composec version ${COMPOSEC_VERSION}\n` +
          `Context:  ${resolved.context} (${
            resolved.source === "default"
              ? "none of -H, --context, DOCKER_HOST, DOCKER_CONTEXT or a current context is set"
              : `from ${resolved.source}`
          })\n` +
          `Endpoint: ${endpoint} (${transport})\n`,
      );
    });
}

/** How composec reaches the engine, in a few words. */
function transportOf(endpoint: EngineEndpoint): string {
  switch (endpoint.kind) {
    case "unix":
      return "local socket";
    case "ssh":
      return "ssh, docker system dial-stdio on the host";
    case "tcp":
      if (endpoint.protocol === "http") return "plain tcp, unencrypted";
      return endpoint.tls?.verify === false ? "TLS, certificate not checked" : "TLS";
  }
}
