import type { Command } from "commander";
import { hookPrinter } from "../hook-output.js";
import { UsageError } from "../../errors.js";
import { Interrupt } from "../interrupt.js";
import { formatPlan } from "../../plan/format.js";
import { up } from "../../compose/up.js";
import { followAndStop } from "../attach.js";
import type { Output } from "../output.js";
import { createProgress } from "../progress.js";
import { projectContext } from "../project-context.js";
import { openStoreSource } from "../../store/source.js";
import { builtLine } from "./build.js";
import { ExitStatus } from "../exit-codes.js";
import { collect, parsePullFlag, parseScale, parseSeconds } from "../parse.js";

interface UpFlags {
  detach: boolean;
  forceRecreate: boolean;
  recreate: boolean;
  removeOrphans: boolean;
  wait: boolean;
  waitTimeout?: string;
  timeout?: string;
  deps: boolean;
  start: boolean;
  scale: string[];
  abortOnContainerExit: boolean;
  exitCodeFrom?: string;
  color: boolean;
  /** true with --build, false with --no-build, undefined: build what is missing. */
  build?: boolean;
  pull?: string;
}

/** `composec up [services...]`: create and start the project's containers, as `docker compose up`. */
export function registerUp(program: Command, output: Output): void {
  program
    .command("up")
    .description("Create and start the project's containers (attached to their logs unless -d)")
    .argument("[services...]", "services to start, with their dependencies (default: all)")
    .option("-d, --detach", "run in the background and return", false)
    .option("--force-recreate", "recreate containers even if their configuration is unchanged", false)
    .option("--no-recreate", "never recreate existing containers, even if their configuration changed")
    .option("--remove-orphans", "remove containers of services no longer in the project", false)
    .option(
      "--wait",
      "wait until services are running (healthy, if they have a healthcheck); implies -d",
      false,
    )
    .option("--wait-timeout <seconds>", "give up waiting after this many seconds")
    .option("-t, --timeout <seconds>", "seconds to wait for a container to stop when it is replaced")
    .option("--no-deps", "don't start the services the named ones depend on")
    .option("--no-start", "create the containers but don't start them")
    .option("--scale <service=n>", "run n containers of the service (repeatable)", collect, [])
    .option("--abort-on-container-exit", "stop all containers as soon as one exits (attached only)", false)
    .option(
      "--exit-code-from <service>",
      "return this service's exit code (implies --abort-on-container-exit)",
    )
    .option("--no-color", "don't colour the container names in the logs")
    .option("--build", "build images before starting containers, even if they exist")
    .option("--no-build", "don't build images; an image a build section would make must exist")
    .option(
      "--pull <policy>",
      "pull images before creating containers: always, missing or never (default: each service's pull_policy)",
    )
    .action(async (services: string[], flags: UpFlags, command: Command) => {
      if (flags.forceRecreate && !flags.recreate) {
        throw new UsageError("--force-recreate and --no-recreate contradict each other; use one");
      }
      const abort = flags.abortOnContainerExit || flags.exitCodeFrom !== undefined;
      if (abort && (flags.detach || flags.wait || !flags.start)) {
        throw new UsageError(
          "--abort-on-container-exit and --exit-code-from follow the containers; they cannot go with -d, --wait or --no-start",
        );
      }
      const scale = parseScale(flags.scale);
      const pull = parsePullFlag(flags.pull);
      const waitTimeout = parseSeconds("--wait-timeout", flags.waitTimeout);
      const timeout = parseSeconds("-t/--timeout", flags.timeout);
      const { options, project, variables, sources, engine, delivery } = await projectContext(
        command,
        output,
      );
      // Runs beside `up`'s own work; COMPOSEC_CHECK_HINT=0 turns it off.
      const hint =
        process.env.COMPOSEC_CHECK_HINT === "0"
          ? undefined
          : import("../../check/hint.js").then(({ checkHint }) =>
              checkHint({ project, variables, sources }, options.envFile),
            );
      if (flags.exitCodeFrom !== undefined && project.services[flags.exitCodeFrom] === undefined) {
        throw new UsageError(
          `--exit-code-from "${flags.exitCodeFrom}" is not a service of the project; use one of ${Object.keys(project.services).sort().join(", ")}`,
        );
      }
      const progress = createProgress(output, options.progress, "Running");
      const detach = flags.detach || flags.wait || options.dryRun || !flags.start;

      // Ctrl-C or SIGTERM stops the plan between operations; the next `up` or `down` converges from there.
      const interrupt = new Interrupt();
      const startedAt = Math.floor(Date.now() / 1000);
      try {
        const result = await up(project, engine, {
          delivery: await delivery(),
          services,
          forceRecreate: flags.forceRecreate,
          noRecreate: !flags.recreate,
          removeOrphans: flags.removeOrphans,
          noDeps: !flags.deps,
          noStart: !flags.start,
          scale,
          dryRun: options.dryRun,
          wait: flags.wait,
          ...(waitTimeout === undefined ? {} : { waitTimeoutSeconds: waitTimeout }),
          ...(timeout === undefined ? {} : { timeoutSeconds: timeout }),
          onProgress: progress.onProgress,
          onHookOutput: hookPrinter(project.name, output, delivery),
          onWarning: progress.onWarning,
          signal: interrupt.signal,
          variables,
          external: openStoreSource(process.env, { project: project.name }),
          ...(flags.build === true ? { build: true } : {}),
          ...(flags.build === false ? { noBuild: true } : {}),
          ...(pull === undefined ? {} : { pull }),
          onBuildLine: (line) => output.stderr(`${line}\n`),
          onBuilt: (image) => output.stderr(`${builtLine(image)}\n`),
        });
        progress.finish();
        const line = await hint;
        if (line !== undefined) output.stderr(`${line}\n`);
        if (options.dryRun) {
          const text = formatPlan(result.plan);
          if (text === "")
            output.stderr(`Project ${project.name}: nothing to do, everything is up to date\n`);
          output.stdout(text);
          if (Object.values(project.services).some((s) => s.secrets.length + s.configs.length > 0)) {
            output.stdout(`secrets delivery: ${result.delivery.path} (${result.delivery.reason})\n`);
          }
          return;
        }
      } catch (error) {
        progress.finish();
        if (interrupt.aborted) {
          throw interrupt.error(
            "interrupted: run `composec up` again to finish, or `composec down` to remove",
          );
        }
        throw error;
      } finally {
        interrupt.dispose();
      }
      if (detach) return;
      const code = await followAndStop(project, engine, output, {
        services,
        since: startedAt,
        progressMode: options.progress,
        abortOnContainerExit: flags.abortOnContainerExit,
        ...(flags.exitCodeFrom === undefined ? {} : { exitCodeFrom: flags.exitCodeFrom }),
        noColour: !flags.color,
        delivery,
      });
      if (code !== 0) throw new ExitStatus(code);
    });
}
