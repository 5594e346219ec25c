// What the crash suite needs of each command it kills (see crash.test.ts for how a round runs).
import type { RunOutcome, World } from "./world.js";

export interface Scenario {
  /** The command's name, as CRASH_POINTS lists the commands that reach a point. */
  command: string;
  /** Brings the round's world to the state before the command (a store, a running project...). */
  setup(world: World): Promise<void>;
  /** The command line to run, and kill. */
  invocation(world: World): { args: string[]; input?: string; cwd?: string };
  /**
   * The invariants once the command ended (killed, or not): what it left, then the same command
   * again and what that must give. Returns what was wrong, in words.
   */
  afterKill(world: World, outcome: RunOutcome, signal: NodeJS.Signals): Promise<string[]>;
  /** Takes the project down (or writes once more) and says what was left behind. */
  finish(world: World): Promise<string[]>;
}
