import type { Command } from "commander";
import { buildServices, type BuiltImage } from "../../build/index.js";
import { InterruptedError, UsageError } from "../../errors.js";
import { Interrupt } from "../interrupt.js";
import { openStoreSource } from "../../store/source.js";
import { globalOptions, loadFromOptions } from "../global-options.js";
import { engineFromOptions } from "../project-context.js";
import type { Output } from "../output.js";

interface BuildFlags {
  cache: boolean;
  pull: boolean;
  progress?: string;
}

const MODES = ["auto", "tty", "plain", "json", "quiet"];

/** `composec build [services...]`: build the images of services with a `build:` section. */
export function registerBuild(program: Command, output: Output): void {
  program
    .command("build")
    .description("Build the images of services that have a build section (BuildKit, with build secrets)")
    .argument("[services...]", "services to build (default: every service with a build section)")
    .option("--no-cache", "build every step again instead of using the build cache")
    .option("--pull", "look for newer versions of the base images", false)
    .option("--progress <mode>", "build output: auto, plain or quiet (default: the global --progress)")
    .action(async (services: string[], flags: BuildFlags, command: Command) => {
      const options = globalOptions(command);
      const mode = flags.progress ?? options.progress;
      if (!MODES.includes(mode)) {
        throw new UsageError(`--progress "${mode}" is not a progress mode; use auto, plain or quiet`);
      }
      if (options.dryRun) throw new UsageError("build does not support --dry-run yet");
      const { project, variables } = await loadFromOptions(options, output);
      const engine = engineFromOptions(options);
      const warn = (message: string): void => output.stderr(`warning: ${message}\n`);
      const quiet = mode === "quiet";
      const json = mode === "json";

      const interrupt = new Interrupt();
      try {
        await buildServices(project, engine, {
          services,
          noCache: !flags.cache,
          pull: flags.pull,
          variables,
          external: openStoreSource(process.env, { project: project.name, warn }),
          onWarning: warn,
          signal: interrupt.signal,
          ...(quiet
            ? {}
            : {
                onLine: (line: string) => output.stderr(json ? `${JSON.stringify({ line })}\n` : `${line}\n`),
                onBuilt: (image: BuiltImage) =>
                  output.stderr(
                    json
                      ? `${JSON.stringify({ resource: `Image ${image.image}`, status: "Built", ...image })}\n`
                      : `${builtLine(image)}\n`,
                  ),
              }),
        });
      } catch (error) {
        if (interrupt.aborted) {
          // The build's own InterruptedError names the services it cancelled: keep its words.
          const message =
            error instanceof InterruptedError ? error.message : "interrupted: the build was cancelled";
          throw interrupt.error(message, error);
        }
        throw error;
      } finally {
        interrupt.dispose();
      }
    });
}

/** `Image demo-web  Built` and, when the cache served steps, how many. */
export function builtLine(image: BuiltImage): string {
  const { total, cached } = image.steps;
  const cache =
    total > 0 && cached === total
      ? ` (from cache: ${cached}/${total} steps)`
      : cached > 0
        ? ` (${cached}/${total} steps from cache)`
        : "";
  return `Image ${image.image}  Built${cache}`;
}
