// Intent: composec loses nothing and leaves nothing behind however it is stopped. Each command
// (up of ten services with secrets, the rotation up, down, secret create/rotate/rollback/rm/key
// rotate, build with a build secret) runs from the built CLI and is killed: with SIGKILL at seeded
// random moments spread over its measured duration, at every named crash point (src/crash-point.ts,
// through COMPOSEC_TEST_CRASH_AT), and with SIGINT and SIGTERM. After each kill the invariants of
// the scenario (store-scenarios.ts, project-scenarios.ts) are asserted; a failure names the
// command, the kill point, the seed and what was left.
//
// CI runs a sample (one named point and one time point per command, drawn by the seed, and one
// SIGINT and one SIGTERM of up); `npm run crash:full` runs the full sweep (30 time points per
// command, every named point, two of each signal per command) and writes its figures to
// bench/results/reliability.md. COMPOSEC_CRASH_SEED=S replays a run; COMPOSEC_CRASH_ONLY=up,down
// narrows it to some commands; COMPOSEC_CRASH_TIME_POINTS sets the time kills per command;
// COMPOSEC_CRASH_JOBS sets how many rounds run at once (default 3).
import { randomInt } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CRASH_POINTS } from "../../src/crash-point.js";
import { repoRoot } from "../integration/helpers.js";
import { projectScenarios } from "./project-scenarios.js";
import type { Scenario } from "./scenario.js";
import { storeScenarios } from "./store-scenarios.js";
import { prng, runCli, stderrGist, subSeed, World } from "./world.js";

const FULL = process.env.COMPOSEC_CRASH_FULL === "1";
const SEED = process.env.COMPOSEC_CRASH_SEED ? Number(process.env.COMPOSEC_CRASH_SEED) : randomInt(2 ** 31);
const JOBS = Number(process.env.COMPOSEC_CRASH_JOBS ?? 3);
const ONLY = process.env.COMPOSEC_CRASH_ONLY?.split(",").map((s) => s.trim());
const TIME_POINTS = Number(process.env.COMPOSEC_CRASH_TIME_POINTS ?? (FULL ? 30 : 1));

console.log(
  `crash suite: seed ${SEED} (COMPOSEC_CRASH_SEED=${SEED} replays it), ${FULL ? "full sweep" : "CI sample"}, ${JOBS} rounds at once`,
);

/** Named points reached more than once by a command, also crashed at a later hit ("between"). */
const LATER_HITS: Record<string, string[]> = {
  up: ["engine.container-created@5", "up.delivered", "material.staged@12"],
  "up-rotate": ["engine.container-removed@1", "material.staged@12"],
  down: ["engine.container-removed@5"],
  "secret key rotate": ["store.sealed@2", "store.sealed@3"],
  "secret rm": [],
};

/**
 * How many named points CI tries per command, drawn by the seed (every one in the full sweep, and
 * over many CI runs): the whole list takes tens of minutes on a two-core machine, CI has ~100 s.
 */
const CI_NAMED = 1;

type Kill =
  | { kind: "clean" }
  | { kind: "named"; point: string }
  | { kind: "time"; signal: NodeJS.Signals; fraction: number };

interface RoundResult {
  command: string;
  kind: Kill["kind"] | "signal";
  label: string;
  problems: string[];
  /** The whole round (setup, command, checks). */
  ms: number;
  /** The command alone. */
  commandMs: number;
}

function namedPoints(command: string): string[] {
  const points = Object.entries(CRASH_POINTS)
    .filter(([, point]) => (point.commands as readonly string[]).includes(command))
    .map(([name]) => name);
  return [...points, ...(LATER_HITS[command] ?? [])];
}

/** Every round of a scenario but the clean one, in the order they run. */
function plannedKills(scenario: Scenario): Kill[] {
  const random = prng(subSeed(SEED, scenario.command));
  const kills: Kill[] = [];
  const points = namedPoints(scenario.command);
  if (!FULL) {
    // A seeded shuffle, then the first few.
    for (let i = points.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [points[i], points[j]] = [points[j]!, points[i]!];
    }
    points.splice(CI_NAMED);
  }
  for (const point of points) kills.push({ kind: "named", point });
  for (let i = 0; i < TIME_POINTS; i++) kills.push({ kind: "time", signal: "SIGKILL", fraction: random() });
  const signals: NodeJS.Signals[] = FULL
    ? ["SIGINT", "SIGINT", "SIGTERM", "SIGTERM"]
    : scenario.command === "up"
      ? ["SIGINT", "SIGTERM"]
      : [];
  for (const signal of signals) kills.push({ kind: "time", signal, fraction: random() });
  return kills;
}

let active = 0;
const waiting: (() => void)[] = [];
/** Runs `fn` once fewer than JOBS rounds run (across every scenario). */
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= JOBS) await new Promise<void>((resolve) => waiting.push(resolve));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    waiting.shift()?.();
  }
}

async function runRound(scenario: Scenario, kill: Kill, cleanMs: number): Promise<RoundResult> {
  const started = performance.now();
  const world = await World.create();
  const problems: string[] = [];
  // Named before the set-up, so that a round whose set-up fails still says which round it was.
  let label =
    kill.kind === "clean"
      ? "not killed (the measuring run)"
      : kill.kind === "named"
        ? `at crash point ${kill.point}`
        : `${kill.signal} at ${kill.fraction.toFixed(3)} of its clean run`;
  let kind: RoundResult["kind"] = kill.kind;
  let commandMs = 0;
  try {
    await scenario.setup(world);
    const invocation = scenario.invocation(world);
    const env = world.env(kill.kind === "named" ? { COMPOSEC_TEST_CRASH_AT: kill.point } : {});
    let signal: NodeJS.Signals = "SIGKILL";
    let killOption: { signal: NodeJS.Signals; afterMs: number } | undefined;
    if (kill.kind === "named") label = `at crash point ${kill.point}`;
    if (kill.kind === "time") {
      signal = kill.signal;
      const afterMs = Math.round(kill.fraction * cleanMs);
      killOption = { signal, afterMs };
      label = `${signal} after ${afterMs} ms of ${Math.round(cleanMs)} (fraction ${kill.fraction.toFixed(3)})`;
      if (signal !== "SIGKILL") kind = "signal";
    }
    const outcome = await runCli(invocation.args, {
      env,
      cwd: invocation.cwd ?? world.projectDir,
      ...(invocation.input === undefined ? {} : { input: invocation.input }),
      ...(killOption ? { kill: killOption } : {}),
    });
    if (kill.kind === "time" && !outcome.signalled) label += ", finished first";
    if (kill.kind === "clean" && outcome.code !== 0)
      problems.push(`exited ${outcome.code}: ${stderrGist(outcome.stderr.replaceAll(world.marker, "****"))}`);
    commandMs = outcome.ms;
    if (kill.kind === "named" && outcome.signal !== "SIGKILL")
      problems.push(`the crash point was not reached (exited ${outcome.code})`);
    problems.push(...(await scenario.afterKill(world, outcome, signal)));
    problems.push(...(await scenario.finish(world)));
  } catch (error) {
    problems.push(`the round failed: ${(error as Error).message.replaceAll(world.marker, "****")}`);
  } finally {
    await world.dispose();
  }
  return {
    command: scenario.command,
    kind,
    label,
    problems: problems.map((p) => p.replaceAll(world.marker, "****")),
    ms: performance.now() - started,
    commandMs,
  };
}

const results: RoundResult[] = [];
const scenarios = [...projectScenarios(), ...storeScenarios()].filter(
  (scenario) => !ONLY || ONLY.includes(scenario.command),
);
const suiteStarted = Date.now();

const cleanRuns = new Map<string, Promise<RoundResult>>();
/** The scenario's clean run (not killed): it checks the invariants too, and measures the command. */
function cleanRun(scenario: Scenario): Promise<RoundResult> {
  let run = cleanRuns.get(scenario.command);
  if (!run) {
    run = slot(() => runRound(scenario, { kind: "clean" }, 0)).then(async (round) => {
      measuredMs.set(scenario.command, round.commandMs);
      await record(round);
      return round;
    });
    cleanRuns.set(scenario.command, run);
  }
  return run;
}

function failureMessage(round: RoundResult): string {
  return `${round.command}, killed ${round.label} (seed ${SEED}; replay with COMPOSEC_CRASH_SEED=${SEED} COMPOSEC_CRASH_ONLY="${round.command}"):\n  - ${round.problems.join("\n  - ")}`;
}

function killTitle(kill: Kill): string {
  if (kill.kind === "clean") return "not killed";
  if (kill.kind === "named") return `SIGKILL at crash point ${kill.point}`;
  return `${kill.signal} at ${kill.fraction.toFixed(3)} of its clean run`;
}

// One test per round, all in one pool of JOBS rounds at once; a round's time kills wait for the
// scenario's clean run, whose duration they are spread over. The rounds of the commands take turns,
// so that a sweep stopped part way has tried every command alike.
describe.concurrent("crash points", () => {
  for (const scenario of scenarios) {
    it(`${scenario.command}, not killed: the invariants hold`, async () => {
      const clean = await cleanRun(scenario);
      expect(clean.problems.length, failureMessage(clean)).toBe(0);
    });
  }
  const kills = scenarios.map((scenario) => plannedKills(scenario));
  const longest = Math.max(0, ...kills.map((list) => list.length));
  for (let i = 0; i < longest; i++) {
    for (const [index, scenario] of scenarios.entries()) {
      const kill = kills[index]![i];
      if (kill === undefined) continue;
      it(`${scenario.command}, ${killTitle(kill)}: the invariants hold`, async () => {
        const clean = await cleanRun(scenario);
        const round = await slot(() => runRound(scenario, kill, clean.commandMs));
        await record(round);
        expect(round.problems.length, failureMessage(round)).toBe(0);
      });
    }
  }
});

/** The command's duration in its clean run, by command: the kills spread over it. */
const measuredMs = new Map<string, number>();

// Only a whole sweep's figures go into the results file (not one narrowed by COMPOSEC_CRASH_ONLY),
// rewritten after every round so that a sweep stopped part way still leaves what it found.
const WRITE_FIGURES = FULL && !ONLY && process.env.COMPOSEC_CRASH_TIME_POINTS === undefined;
const PLANNED = scenarios.reduce((sum, scenario) => sum + 1 + plannedKills(scenario).length, 0);
let writing = Promise.resolve();

async function record(round: RoundResult): Promise<void> {
  results.push(round);
  if (!WRITE_FIGURES) return;
  writing = writing.then(() => writeFigures(results, (Date.now() - suiteStarted) / 1000));
  await writing;
}

const BEGIN = "<!-- crash-sweep:begin (written by npm run crash:full) -->";
const END = "<!-- crash-sweep:end -->";

async function writeFigures(rounds: RoundResult[], seconds: number): Promise<void> {
  const file = path.join(repoRoot, "bench/results/reliability.md");
  const commands = [...new Set(rounds.map((round) => round.command))];
  const count = (list: RoundResult[], kind: string) => list.filter((round) => round.kind === kind).length;
  const rows = commands.map((command) => {
    const mine = rounds.filter((round) => round.command === command);
    const failed = mine.filter((round) => round.problems.length > 0).length;
    const clean = measuredMs.get(command);
    return `| ${command} | ${clean === undefined ? "" : Math.round(clean)} | ${count(mine, "time")} | ${count(mine, "named")} | ${count(mine, "signal")} | ${mine.length - failed} of ${mine.length} | ${failed} |`;
  });
  const total = rounds.length;
  const partial = total < PLANNED ? ` (stopped part way: ${total} of the ${PLANNED} planned rounds ran)` : "";
  const held = rounds.filter((round) => round.problems.length === 0).length;
  const failures = rounds
    .filter((round) => round.problems.length > 0)
    .map((round) => `- ${round.command}, killed ${round.label}: ${round.problems.join("; ")}`);
  const section = [
    BEGIN,
    "# Reliability: kill -9, SIGINT and SIGTERM anywhere (the crash-point suite)",
    "",
    `Last sweep: ${new Date().toISOString().slice(0, 10)} by \`npm run crash:full\` (test/crash/), seed ${SEED}, ` +
      `${JOBS} rounds at once, ${Math.round(seconds)} s in all${partial}: **${held} of ${total} rounds held every invariant**.`,
    "",
    "Each round starts from its own state (a store, a running project), runs the command from the built",
    "CLI and stops it: with SIGKILL at a seeded random moment of its measured duration (time), at a",
    "named crash point (src/crash-point.ts, `COMPOSEC_TEST_CRASH_AT`), or with SIGINT or SIGTERM",
    "(signal). Then: the store holds the old or the new version of every secret (read back through the",
    "CLI, compared by digest) and the audit log says which; the material holds whole values only; no",
    "secret byte on disk (the round's marker searched for in the store, the project, /tmp, /var/tmp and",
    "the engine's container and BuildKit directories); the same command again succeeds and converges;",
    "`down` (or the next store write) leaves no container, network, volume, mount, material or stray file.",
    "",
    "| command | clean run (ms) | time kills | named points | signals | rounds that held | failed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    failures.length === 0 ? "No invariant failed." : "Failed rounds:",
    ...failures,
    "",
    `Rerun: \`npm run crash:full\` (\`COMPOSEC_CRASH_SEED=${SEED}\` replays these kill points). CI runs a sample`,
    "with a fresh seed, printed at the start.",
    END,
  ].join("\n");
  const text = await readFile(file, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}
