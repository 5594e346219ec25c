import type { Command } from "commander";
import { exec } from "../../compose/exec.js";
import { UsageError } from "../../errors.js";
import { ExitStatus } from "../exit-codes.js";
import { closeMaskedOutput, maskedOutput, projectSecretValues } from "../mask.js";
import type { Output } from "../output.js";
import { collect, parseEnvFlags, parseIndex } from "../parse.js";
import { projectOrName } from "../project-context.js";
import { openTerminal, releaseStdin, wantsTty } from "../terminal.js";

interface ExecFlags {
  detach: boolean;
  tty: boolean;
  user?: string;
  env: string[];
  workdir?: string;
  index: string;
  privileged: boolean;
  mask: boolean;
}

/** `composec exec SERVICE COMMAND [ARGS...]`: run a command in a running service container. */
export function registerExec(program: Command, output: Output): void {
  program
    .command("exec")
    .description("Run a command in a running service container; exits with the command's exit code")
    .argument("<service>", "the service whose container runs the command")
    .argument("<command...>", "the command and its arguments")
    .option("-d, --detach", "run the command in the background", false)
    .option("-T, --no-tty", "don't allocate a pseudo-TTY (default: one when attached to a terminal)")
    .option("-u, --user <user>", "run as this user (name or uid[:gid])")
    .option("-e, --env <KEY=VALUE>", "set an environment variable (repeatable)", collect, [])
    .option("-w, --workdir <path>", "working directory inside the container")
    .option("--index <n>", "container number of the service", "1")
    .option("--privileged", "give the command extended privileges", false)
    .option("--no-mask", "show the project's secret values in the output (masked unless a TTY)")
    // Everything after the command is the command's own: `exec web ls -la` passes -la to ls.
    .passThroughOptions()
    .action(async (service: string, commandLine: string[], flags: ExecFlags, command: Command) => {
      const env = parseEnvFlags(flags.env, process.env);
      const index = parseIndex(flags.index);
      if (commandLine.length === 0) throw new UsageError("exec needs a command to run");
      const { name, engine, delivery } = await projectOrName(command, output);
      const tty = wantsTty(!flags.tty) && !flags.detach;
      // Without a TTY the output is text for a pipe or a file: the project's secret values are
      // masked in it, as in `logs`. With one, the bytes go raw to the user's terminal, whose
      // programs (editors, shells) a rewritten stream would break.
      const values =
        !tty && !flags.detach && flags.mask ? await projectSecretValues((await delivery()).store) : [];
      const stdout = values.length > 0 ? maskedOutput(process.stdout, values) : process.stdout;
      const stderr = values.length > 0 ? maskedOutput(process.stderr, values) : process.stderr;
      const terminal = openTerminal(tty);
      let code: number;
      try {
        code = await exec(name, engine, {
          service,
          command: commandLine,
          index,
          tty,
          detach: flags.detach,
          env,
          privileged: flags.privileged,
          ...(flags.user === undefined ? {} : { user: flags.user }),
          ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
          ...(flags.detach ? {} : { stdin: process.stdin }),
          stdout,
          stderr,
          onStarted: (resize) => terminal.follow(resize),
        });
      } finally {
        terminal.restore();
        releaseStdin();
        if (stdout !== process.stdout) await closeMaskedOutput(stdout);
        if (stderr !== process.stderr) await closeMaskedOutput(stderr);
      }
      if (code !== 0) throw new ExitStatus(code);
    });
}
