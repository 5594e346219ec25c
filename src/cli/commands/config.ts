import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { toComposeDocument } from "../../model/to-compose.js";
import { toYamlText } from "../../model/yaml-text.js";
import { globalOptions, loadFromOptions, type GlobalOptions } from "../global-options.js";
import type { Project } from "../../model/project.js";
import { createMasker } from "../mask.js";
import { formatProblem } from "../../errors.js";
import type { Output } from "../output.js";

interface ConfigOptions {
  format: string;
  quiet: boolean;
  services: boolean;
  volumes: boolean;
  networks: boolean;
  secrets: boolean;
  profiles: boolean;
}

/** `composec config`: validate the project and print it in canonical form, like `docker compose config`. */
export function registerConfig(program: Command, output: Output): void {
  program
    .command("config")
    .description("Validate the project and print it in canonical form (never secret values)")
    .option("--format <format>", "yaml or json", "yaml")
    .option("-q, --quiet", "only validate; print nothing", false)
    .option("--services", "print the service names, one per line", false)
    .option("--volumes", "print the volume names, one per line", false)
    .option("--networks", "print the network names, one per line", false)
    .option("--secrets", "print the secret names, one per line", false)
    .option("--profiles", "print the profile names, one per line", false)
    .action(async (options: ConfigOptions, command: Command) => {
      if (options.format !== "yaml" && options.format !== "json") {
        throw new UsageError(`--format "${options.format}" is not a format; use yaml or json`);
      }
      const { project, variables, sources } = await loadFromOptions(globalOptions(command), output);
      // The store (and node:crypto with it) is loaded only for a project that reads from it.
      if (Object.values(project.secrets).some((secret) => secret.source.kind === "external")) {
        const { missingExternalSecrets } = await import("../../store/missing-external.js");
        for (const warning of await missingExternalSecrets(project, sources, process.env)) {
          output.stderr(`warning: ${formatProblem(warning)}\n`);
        }
      }
      if (options.quiet) return;
      const lists: [boolean, () => string[]][] = [
        [options.services, () => Object.keys(project.services)],
        [options.volumes, () => Object.keys(project.volumes)],
        [options.networks, () => Object.keys(project.networks)],
        [options.secrets, () => Object.keys(project.secrets)],
        [
          options.profiles,
          () => [
            ...new Set(
              [...Object.values(project.services), ...Object.values(project.disabledServices)].flatMap(
                (s) => s.profiles,
              ),
            ),
          ],
        ],
      ];
      const list = lists.find(([wanted]) => wanted);
      if (list) {
        for (const name of list[1]().sort()) output.stdout(`${name}\n`);
        return;
      }
      await printDeliveryChoice(project, globalOptions(command), output);
      const document = toComposeDocument(project);
      // A variable that is the source of an `environment` secret may also be interpolated into the
      // file (say, into a service's environment): its value is masked here like in container logs.
      const mask = createMasker(
        Object.values(project.secrets).flatMap((secret) =>
          secret.source.kind === "environment" && variables[secret.source.variable] !== undefined
            ? [Buffer.from(variables[secret.source.variable]!)]
            : [],
        ),
      );
      output.stdout(
        mask(options.format === "json" ? `${JSON.stringify(document, null, 2)}\n` : toYamlText(document)),
      );
    });
}

/**
 * Where the project's runtime secrets would be kept, and why, as a comment line on stderr: stdout
 * stays the document alone (`config > resolved.yaml` must stay valid YAML and unchanged). Said when
 * it is news: the engine's side, or a forced path; the default on a local socket (the local tmpfs,
 * as always) leaves `config`'s output exactly as before.
 */
async function printDeliveryChoice(project: Project, options: GlobalOptions, output: Output): Promise<void> {
  if (!Object.values(project.services).some((s) => s.secrets.length + s.configs.length > 0)) return;
  const [{ resolveEngineEndpoint }, { chooseDelivery }, { deliveryOverride }] = await Promise.all([
    import("../../engine/contexts.js"),
    import("../../plan/secrets-delivery.js"),
    import("../project-context.js"),
  ]);
  const { endpoint } = resolveEngineEndpoint(
    {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.context !== undefined ? { context: options.context } : {}),
    },
    process.env,
  );
  const choice = chooseDelivery(endpoint, project, deliveryOverride(options));
  if (choice.path === "local" && !choice.reason.startsWith("forced")) return;
  output.stderr(
    `# secrets delivery: ${choice.path} (${choice.reason})${choice.refusal === undefined ? "" : `; refused: ${choice.refusal}`}\n`,
  );
}
