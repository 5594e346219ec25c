import type { Command } from "commander";
import { publishedPort } from "../../compose/port.js";
import { UsageError } from "../../errors.js";
import type { Output } from "../output.js";
import { parseIndex } from "../parse.js";
import { checkServiceNames, projectOrName } from "../project-context.js";

/** `composec port SERVICE PRIVATE_PORT`: the published address, as `docker compose port`. */
export function registerPort(program: Command, output: Output): void {
  program
    .command("port")
    .description("Print the host address a service's container port is published on")
    .argument("<service>", "the service")
    .argument("<private_port>", "the port inside the container")
    .option("--protocol <protocol>", "tcp, udp or sctp", "tcp")
    .option("--index <n>", "container number of the service", "1")
    .action(
      async (service: string, port: string, flags: { protocol: string; index: string }, command: Command) => {
        if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
          throw new UsageError(`"${port}" is not a port number; use 1 to 65535`);
        if (!["tcp", "udp", "sctp"].includes(flags.protocol))
          throw new UsageError(`--protocol "${flags.protocol}" is not a protocol; use tcp, udp or sctp`);
        const index = parseIndex(flags.index);
        const { project, name, engine } = await projectOrName(command, output);
        checkServiceNames(project, [service]);
        output.stdout(
          `${await publishedPort(name, engine, { service, port: Number(port), protocol: flags.protocol, index })}\n`,
        );
      },
    );
}
