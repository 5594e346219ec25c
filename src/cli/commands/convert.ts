import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { convertToKubernetes } from "../../kubernetes/convert.js";
import { toYamlText } from "../../model/yaml-text.js";
import { resolveSecrets } from "../../secrets/resolve.js";
import type { SecretValue } from "../../secrets/secret-value.js";
import { openStoreSource } from "../../store/source.js";
import { globalOptions, loadFromOptions } from "../global-options.js";
import type { Output } from "../output.js";

interface ConvertFlags {
  kubernetes: boolean;
  output: string;
  includeValues: boolean;
}

/** `composec convert --kubernetes -o DIR`: the project as Kubernetes manifests, one file per object. */
export function registerConvert(program: Command, output: Output): void {
  program
    .command("convert")
    .description("Write the project as manifests for another orchestrator (--kubernetes)")
    .option("--kubernetes", "write Kubernetes manifests (Deployment, Service, Secret, ConfigMap)", false)
    .option("-o, --output <dir>", "directory to write the manifests to", "k8s")
    .option("--include-values", "put the secret values into the Secrets (else placeholders to fill)", false)
    .action(async (flags: ConvertFlags, command: Command) => {
      if (!flags.kubernetes) throw new UsageError("convert needs a target: --kubernetes");
      const options = globalOptions(command);
      const { project, variables } = await loadFromOptions(options, output, {
        checkSecretSources: flags.includeValues,
      });
      let values: Map<string, SecretValue> | undefined;
      if (flags.includeValues) {
        const used = Object.values(project.services).flatMap((s) => s.secrets.map((g) => g.source));
        values = await resolveSecrets(project, new Set(used), {
          variables,
          external: openStoreSource(process.env, { project: project.name }),
        });
      }
      try {
        const result = convertToKubernetes(project, values);
        for (const warning of result.warnings) output.stderr(`warning: ${warning}\n`);
        const directory = path.resolve(flags.output);
        if (options.dryRun) {
          for (const file of result.files.keys())
            output.stdout(`would write ${path.join(directory, file)}\n`);
          return;
        }
        await mkdir(directory, { recursive: true, mode: 0o700 });
        for (const [file, manifest] of result.files) {
          // A Secret with values is as sensitive as the values: readable by the owner only.
          const secret = manifest.kind === "Secret" && values !== undefined;
          const target = path.join(directory, file);
          // Removed first: a mode given to writeFile applies only to a file it creates.
          await rm(target, { force: true });
          await writeFile(target, toYamlText(manifest), { mode: secret ? 0o600 : 0o644, flag: "wx" });
          output.stderr(`${manifest.kind} ${manifest.metadata.name}  Written: ${target}\n`);
        }
        // The one place composec writes secret values to a disk, because the user asked: say so.
        if (values !== undefined && values.size > 0)
          output.stderr(
            `warning: the Secret manifests in ${directory} hold the secret values (base64, not encrypted); keep them out of version control and delete them once applied\n`,
          );
      } finally {
        for (const value of values?.values() ?? []) value.wipe();
      }
    });
}
