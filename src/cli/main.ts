// composec's command line: parses flags, runs one command, prints errors, picks the exit code.
// Commands live in ./commands/, one file each; this file only wires them together.
import { Command, CommanderError } from "commander";
import { formatProblem, ProjectError, UsageError } from "../errors.js";
import { ExitStatus, exitCodeFor, isUserFacing } from "./exit-codes.js";
import { registerBuild } from "./commands/build.js";
import { registerConfig } from "./commands/config.js";
import { registerDown } from "./commands/down.js";
import { registerPs } from "./commands/ps.js";
import { registerSecret } from "./commands/secret.js";
import { registerUp } from "./commands/up.js";
import { registerCreate } from "./commands/create.js";
import { registerExec } from "./commands/exec.js";
import { registerKill } from "./commands/kill.js";
import { registerLogs } from "./commands/logs.js";
import { registerRestart } from "./commands/restart.js";
import { registerRm } from "./commands/rm.js";
import { registerRun } from "./commands/run.js";
import { registerStart } from "./commands/start.js";
import { registerStop } from "./commands/stop.js";
import { registerCp } from "./commands/cp.js";
import { registerImages } from "./commands/images.js";
import { registerLs } from "./commands/ls.js";
import { registerPort } from "./commands/port.js";
import { registerPull } from "./commands/pull.js";
import { registerTop } from "./commands/top.js";
import { registerVersion } from "./commands/version.js";
import { createOutput, type Output } from "./output.js";
import { COMPOSEC_VERSION } from "../version.js";

/** Builds the `composec` program; `output` decides where text goes (tests pass their own). */
export function buildProgram(output: Output): Command {
  const program = new Command("composec")
    .description("Run Compose projects on a Docker Engine, with secrets done completely and safely")
    .version(COMPOSEC_VERSION, "-v, --version")
    .option("-f, --file <path>", "compose file (repeatable; `-` reads standard input)", collect, [])
    .option("-p, --project-name <name>", "project name")
    .option("--project-directory <path>", "project directory (default: the first file's directory)")
    .option("--env-file <path>", "environment file (repeatable; replaces the default .env)", collect, [])
    .option("--profile <name>", "enable a profile (repeatable)", collect, [])
    .option("-H, --host <host>", "Docker Engine to talk to (unix:///path or tcp://host:port)")
    .option("--dry-run", "show what would be done without doing it", false)
    .option("--progress <mode>", "progress output: auto, tty, plain, json or quiet", "auto")
    .enablePositionalOptions()
    .showHelpAfterError("(run `composec --help` for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.stdout(text),
      writeErr: (text) => output.stderr(text),
    });
  registerConfig(program, output);
  registerUp(program, output);
  registerDown(program, output);
  registerPs(program, output);
  registerSecret(program, output);
  registerBuild(program, output);
  registerCreate(program, output);
  registerExec(program, output);
  registerKill(program, output);
  registerLogs(program, output);
  registerRestart(program, output);
  registerRm(program, output);
  registerRun(program, output);
  registerStart(program, output);
  registerStop(program, output);
  registerCp(program, output);
  registerImages(program, output);
  registerLs(program, output);
  registerPort(program, output);
  registerPull(program, output);
  registerTop(program, output);
  registerVersion(program, output);
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function run(argv: string[], output: Output = createOutput()): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error, output);
  }
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof ExitStatus) return exitCodeFor(error);
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and version are not failures.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.help") return 0;
    return exitCodeFor(new UsageError(error.message));
  }
  if (error instanceof ProjectError) {
    for (const warning of error.warnings) output.stderr(`warning: ${formatProblem(warning)}\n`);
    for (const problem of error.problems) output.stderr(`error: ${formatProblem(problem)}\n`);
  } else if (isUserFacing(error)) {
    output.stderr(`error: ${(error as Error).message}\n`);
  } else {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    output.stderr(`composec: internal error (a bug; please report it)\n${detail}\n`);
  }
  return exitCodeFor(error);
}
