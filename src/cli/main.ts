// composec's command line: parses flags, runs one command, prints errors, picks the exit code.
// Commands live in ./commands/, one file each; this file only wires them together.
import { Command, CommanderError } from "commander";
import { formatProblem, ProjectError, UsageError } from "../errors.js";
import { ExitStatus, exitCodeFor, isUserFacing } from "./exit-codes.js";
import { createOutput, type Output } from "./output.js";
import { COMPOSEC_VERSION } from "../version.js";

type Register = (program: Command, output: Output) => void;

/**
 * Every command, by name, in the order help lists them. A command's module is loaded only when it
 * runs: a short command like `config` is mostly start-up, and the engine, build and store code (with
 * the Node.js modules they import) would otherwise be loaded and compiled at every start.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  config: async () => (await import("./commands/config.js")).registerConfig,
  check: async () => (await import("./commands/check.js")).registerCheck,
  up: async () => (await import("./commands/up.js")).registerUp,
  down: async () => (await import("./commands/down.js")).registerDown,
  ps: async () => (await import("./commands/ps.js")).registerPs,
  secret: async () => (await import("./commands/secret.js")).registerSecret,
  build: async () => (await import("./commands/build.js")).registerBuild,
  create: async () => (await import("./commands/create.js")).registerCreate,
  exec: async () => (await import("./commands/exec.js")).registerExec,
  kill: async () => (await import("./commands/kill.js")).registerKill,
  logs: async () => (await import("./commands/logs.js")).registerLogs,
  restart: async () => (await import("./commands/restart.js")).registerRestart,
  rm: async () => (await import("./commands/rm.js")).registerRm,
  run: async () => (await import("./commands/run.js")).registerRun,
  start: async () => (await import("./commands/start.js")).registerStart,
  stop: async () => (await import("./commands/stop.js")).registerStop,
  cp: async () => (await import("./commands/cp.js")).registerCp,
  images: async () => (await import("./commands/images.js")).registerImages,
  ls: async () => (await import("./commands/ls.js")).registerLs,
  port: async () => (await import("./commands/port.js")).registerPort,
  pull: async () => (await import("./commands/pull.js")).registerPull,
  top: async () => (await import("./commands/top.js")).registerTop,
  version: async () => (await import("./commands/version.js")).registerVersion,
  deploy: async () => (await import("./commands/deploy.js")).registerDeploy,
  undeploy: async () => (await import("./commands/deploy.js")).registerUndeploy,
  stack: async () => (await import("./commands/deploy.js")).registerStack,
  convert: async () => (await import("./commands/convert.js")).registerConvert,
};

/**
 * Builds the `composec` program for `argv`; `output` decides where text goes (tests pass their
 * own). Only the command `argv` names is registered; without one (help, a typo) all are, so help
 * lists them and a typo gets its suggestion.
 */
export async function buildProgram(output: Output, argv: string[] = []): Promise<Command> {
  const program = new Command("composec")
    .description("Run Compose projects on a Docker Engine, with secrets done completely and safely")
    .version(COMPOSEC_VERSION, "-v, --version")
    .option("-f, --file <path>", "compose file (repeatable; `-` reads standard input)", collect, [])
    .option("-p, --project-name <name>", "project name")
    .option("--project-directory <path>", "project directory (default: the first file's directory)")
    .option("--env-file <path>", "environment file (repeatable; replaces the default .env)", collect, [])
    .option("--profile <name>", "enable a profile (repeatable)", collect, [])
    .option(
      "-H, --host <host>",
      "Docker Engine to talk to (unix:///path, tcp://host:port or ssh://user@host[:port])",
    )
    .option("--context <name>", "docker CLI context to use (see `docker context ls`; overrides DOCKER_HOST)")
    .option(
      "--secrets-delivery <path>",
      "where runtime secrets are kept: local (a tmpfs on this host) or engine (a tmpfs on the engine's host); default: local for a local socket, else engine",
    )
    .option("--dry-run", "show what would be done without doing it", false)
    .option("--progress <mode>", "progress output: auto, tty, plain, json or quiet", "auto")
    .enablePositionalOptions()
    .showHelpAfterError("(run `composec --help` for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.stdout(text),
      writeErr: (text) => output.stderr(text),
    });
  const wanted = commandIn(argv, program);
  const names = wanted === undefined ? Object.keys(COMMANDS) : [wanted];
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program, output);
  return program;
}

/**
 * The command `argv` names: its first word that is neither a global option nor an option's value.
 * Which options take a value is read from the program itself, so this cannot fall out of step.
 */
function commandIn(argv: string[], program: Command): string | undefined {
  const takesValue = new Set(
    program.options
      .filter((option) => option.required || option.optional)
      .flatMap((option) => [option.short, option.long].filter((flag): flag is string => flag !== undefined)),
  );
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === "--") return known(argv[index + 1]);
    if (!word.startsWith("-") || word === "-") return known(word);
    // `--file=x` and `-fx` carry their value; `--file x` and `-f x` take the next word.
    if (!word.includes("=") && takesValue.has(word)) index++;
  }
  return undefined;
}

function known(word: string | undefined): string | undefined {
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function run(argv: string[], output: Output = createOutput()): Promise<number> {
  try {
    const program = await buildProgram(output, argv);
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
