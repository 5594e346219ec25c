import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { run } from "../../compose/run.js";
import { EngineError, InterruptedError, UsageError } from "../../errors.js";
import { parseShortVolume } from "../../loader/canonicalize.js";
import { shellSplit } from "../../loader/shell-split.js";
import { openStoreSource } from "../../store/source.js";
import { ExitStatus } from "../exit-codes.js";
import { closeMaskedOutput, maskedOutput, projectSecretValues, type MaskedOutput } from "../mask.js";
import type { Output } from "../output.js";
import { collect, parseEnvFlags } from "../parse.js";
import { createProgress } from "../progress.js";
import { deliveryOverride, projectContext } from "../project-context.js";
import { openTerminal, releaseStdin, wantsTty } from "../terminal.js";

interface RunFlags {
  detach: boolean;
  rm: boolean;
  tty: boolean;
  interactive: boolean;
  user?: string;
  env: string[];
  workdir?: string;
  entrypoint?: string;
  deps: boolean;
  servicePorts: boolean;
  mask: boolean;
  volume: string[];
}

/** `composec run SERVICE [COMMAND [ARGS...]]`: a one-off container, as `docker compose run`. */
export function registerRun(program: Command, output: Output): void {
  program
    .command("run")
    .description("Run a one-off command in a new container of a service; exits with the command's exit code")
    .argument("<service>", "the service whose settings the container takes")
    .argument("[command...]", "command and arguments (default: the service's command)")
    .option("-d, --detach", "run in the background and print the container's name", false)
    .option("--rm", "remove the container when it exits", false)
    .option("-T, --no-tty", "don't allocate a pseudo-TTY (default: one when attached to a terminal)")
    .option("--no-interactive", "don't attach stdin")
    .option("-u, --user <user>", "run as this user (name or uid[:gid])")
    .option("-e, --env <KEY=VALUE>", "set an environment variable (repeatable)", collect, [])
    .option("-w, --workdir <path>", "working directory inside the container")
    .option("--entrypoint <command>", "replace the image's entrypoint")
    .option("--no-deps", "don't start the services it depends on")
    .option("-P, --service-ports", "publish the service's ports (off by default)", false)
    .option(
      "-v, --volume <SOURCE:TARGET[:ro]>",
      "bind mount a host path or a volume (repeatable)",
      collect,
      [],
    )
    .option("--no-mask", "show the project's secret values in the output (masked unless a TTY)")
    // Everything after the service is the command's own: `run web ls -la` passes -la to ls.
    .passThroughOptions()
    .action(async (service: string, commandLine: string[], flags: RunFlags, command: Command) => {
      const env = parseEnvFlags(flags.env, process.env);
      if (flags.detach && flags.rm) throw new UsageError("--rm and -d contradict each other; use one");
      const volumes = flags.volume.map((text) => {
        // A relative source is the shell's: relative to where the command is typed.
        const mount = parseShortVolume(text, { baseDir: process.cwd() });
        if (typeof mount === "string") throw new UsageError(`--volume ${mount}`);
        return mount;
      });
      const { options, project, variables, engine, delivery } = await projectContext(command, output);
      const tty = wantsTty(!flags.tty) && !flags.detach;
      const progress = createProgress(output, options.progress, "Running");
      // The progress of the dependencies ends before the container's output begins; with no
      // dependency to start there is no progress to end (a live view would draw an empty one).
      let reported = false;
      let finished = false;
      const onProgress: typeof progress.onProgress = (event) => {
        reported = true;
        progress.onProgress(event);
      };
      const finishProgress = (): void => {
        if (reported && !finished) progress.finish();
        finished = true;
      };
      // Without a TTY the output is masked as in `logs`; with one, it goes raw to the terminal (see
      // exec). The values are read at the first output, once this run has delivered its secrets.
      const masked: MaskedOutput[] = [];
      const mask = (target: NodeJS.WriteStream): Writable => {
        if (tty || flags.detach || !flags.mask) return target;
        const stream = maskedOutput(target, async () => projectSecretValues((await delivery()).store));
        masked.push(stream);
        return stream;
      };
      const stdout = mask(process.stdout);
      const stderr = mask(process.stderr);
      const terminal = openTerminal(tty);
      // With a TTY, Ctrl-C is a key the command reads (raw mode); without, it stops the container.
      const controller = new AbortController();
      const interrupt = (): void => controller.abort();
      process.on("SIGINT", interrupt);
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run(project, engine, {
          service,
          ...(commandLine.length > 0 ? { command: commandLine } : {}),
          ...(flags.entrypoint === undefined ? {} : { entrypoint: shellSplit(flags.entrypoint) }),
          env,
          ...(flags.user === undefined ? {} : { user: flags.user }),
          ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
          tty,
          interactive: flags.interactive,
          detach: flags.detach,
          remove: flags.rm,
          noDeps: !flags.deps,
          servicePorts: flags.servicePorts,
          volumes,
          slug: randomBytes(6).toString("hex"),
          ...(flags.detach || !flags.interactive ? {} : { stdin: process.stdin }),
          stdout,
          stderr,
          onStarted: (resize) => terminal.follow(resize),
          onProgress,
          onWarning: progress.onWarning,
          onPrepared: finishProgress,
          signal: controller.signal,
          variables,
          external: openStoreSource(process.env, { project: project.name }),
          ...(deliveryOverride(options) === undefined ? {} : { secretsDelivery: deliveryOverride(options)! }),
        });
      } finally {
        process.removeListener("SIGINT", interrupt);
        finishProgress();
        terminal.restore();
        releaseStdin();
        await Promise.all(masked.map(closeMaskedOutput));
      }
      const failure = masked.find((stream) => stream.failure !== undefined)?.failure;
      if (failure !== undefined) {
        throw new EngineError(
          `the output of ${result.name} was not shown: the delivered secrets to mask in it could not be read (${failure.message}); \`--no-mask\` shows it as it is`,
          { cause: failure },
        );
      }
      if (flags.detach) output.stdout(`${result.name}\n`);
      if (controller.signal.aborted) throw new InterruptedError(`stopped by Ctrl-C (${result.name})`);
      if (result.exitCode !== 0) throw new ExitStatus(result.exitCode);
    });
}
