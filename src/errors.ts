// The few error classes composec throws. Which exit code each one means is decided in one place,
// src/cli/exit-codes.ts; nothing else in the code picks an exit code.

/** Where in a compose file something was written. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** One problem with the user's input: where, the path inside the document, and what is wrong. */
export interface Problem {
  location?: Location;
  /** Path inside the project, e.g. `services.web.secrets[1].mode`. */
  path?: string;
  message: string;
}

export function formatLocation(location: Location | undefined): string {
  return location ? `${location.file}:${location.line}:${location.column}` : "";
}

/** Renders a problem as one line: `file:line:col path: message`. */
export function formatProblem(problem: Problem): string {
  const where = [formatLocation(problem.location), problem.path].filter(Boolean).join(" ");
  return where ? `${where}: ${problem.message}` : problem.message;
}

/** What a secret value is shown as, wherever it would otherwise appear. */
export const MASK = "****";

/**
 * The problems with every occurrence of `values` in their messages masked, as written and as
 * quoted in JSON. Values shorter than four characters are left alone, as in log masking: they
 * would hide line numbers and words, not secrets.
 */
export function concealValues(problems: Problem[], values: Iterable<string>): Problem[] {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length < 4) continue;
    needles.add(value);
    needles.add(JSON.stringify(value).slice(1, -1));
  }
  if (needles.size === 0) return problems;
  // Longest first, so a value that contains another is hidden whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return problems.map((problem) => {
    let message = problem.message;
    for (const needle of ordered) if (message.includes(needle)) message = message.split(needle).join(MASK);
    return message === problem.message ? problem : { ...problem, message };
  });
}

/** The user's project (files, variables, secret sources) is invalid; carries every problem found. */
export class ProjectError extends Error {
  readonly problems: Problem[];
  /** Warnings found on the way, worth showing beside the problems. */
  readonly warnings: Problem[];
  constructor(problems: Problem[], warnings: Problem[] = []) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ProjectError";
    this.problems = problems;
    this.warnings = warnings;
  }
}

/** The command line itself is wrong (unknown flag or command, bad flag value). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The Docker Engine refused or failed an operation; `resource` names what was being done. */
export class EngineError extends Error {
  override name = "EngineError";
  readonly resource: string | undefined;
  constructor(message: string, options: { resource?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.resource = options.resource;
  }
}

/** The local secret store cannot do what was asked (missing, locked, corrupted, wrong key, bad input). */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The user interrupted the run (Ctrl-C). */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  /** The signal that asked for the stop: its exit status is 128 + its number, as a shell reports it. */
  readonly by: "SIGINT" | "SIGTERM";

  constructor(message: string, options: ErrorOptions & { by?: "SIGINT" | "SIGTERM" } = {}) {
    super(message, options);
    this.by = options.by ?? "SIGINT";
  }
}

/** A bug in composec: shown with its stack, never caused by the user's input. */
export class InternalError extends Error {
  override name = "InternalError";
}
