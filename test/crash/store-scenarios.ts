// The store commands of the crash suite: `secret create`, `rotate`, `rollback`, `rm` and `key rotate`
// on a store holding alpha (versions 1 and 2) and beta (version 1). After a kill the store must hold
// exactly the state before the command or the state after it (every secret read back through the
// CLI and compared by digest), the audit log must say which, the same command again must do what
// that state implies, and after the next write no file the store does not name may be left.
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { diskLeaks, outputLeaks } from "./checks.js";
import type { Scenario } from "./scenario.js";
import { runCli, sha256, stderrGist, type World } from "./world.js";

/** Secret name -> { version, digest of the value } as the CLI reads it back. */
type StoreState = Map<string, { version: number; digest: string }>;

const NAMES = ["alpha", "beta", "gamma"];
const MUTATING = new Set(["create", "rotate", "rollback", "rm"]);

async function secret(world: World, args: string[], input?: string) {
  return runCli(["secret", ...args], { env: world.env(), ...(input === undefined ? {} : { input }) });
}

async function must(world: World, args: string[], input?: string): Promise<void> {
  const outcome = await secret(world, args, input);
  if (outcome.code !== 0)
    throw new Error(`secret ${args.join(" ")} exited ${outcome.code}: ${stderrGist(outcome.stderr)}`);
}

/** The store as the CLI shows it: `ls`, then `reveal` of each secret (digests only). */
async function readState(world: World): Promise<{ state: StoreState; problems: string[] }> {
  const problems: string[] = [];
  const state: StoreState = new Map();
  const ls = await secret(world, ["ls", "--format", "json"]);
  if (ls.code !== 0) return { state, problems: [`secret ls exited ${ls.code}: ${stderrGist(ls.stderr)}`] };
  const listed = ls.stdout
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Name: string; Version: number });
  const reveals = await Promise.all(listed.map(({ Name }) => secret(world, ["reveal", "--force", Name])));
  for (const [index, { Name, Version }] of listed.entries()) {
    const reveal = reveals[index]!;
    if (reveal.code !== 0) {
      problems.push(`secret reveal ${Name} exited ${reveal.code}: ${stderrGist(reveal.stderr)}`);
      continue;
    }
    state.set(Name, { version: Version, digest: sha256(reveal.stdout) });
  }
  return { state, problems };
}

function describeState(state: StoreState, world: World): string {
  const parts = NAMES.map((name) => {
    const entry = state.get(name);
    if (!entry) return `${name}: absent`;
    const known = world.knownDigests().get(entry.digest) ?? "an unknown value";
    return `${name}: v${entry.version} holding ${known}`;
  });
  return parts.join(", ");
}

function sameState(a: StoreState, b: StoreState): boolean {
  if (a.size !== b.size) return false;
  for (const [name, entry] of a) {
    const other = b.get(name);
    if (!other || other.version !== entry.version || other.digest !== entry.digest) return false;
  }
  return true;
}

/** The state expected from versions: name -> [version, the version whose value it holds]. */
function expectState(world: World, spec: Record<string, [number, number] | undefined>): StoreState {
  const state: StoreState = new Map();
  for (const [name, versions] of Object.entries(spec)) {
    if (versions) state.set(name, { version: versions[0], digest: sha256(world.value(name, versions[1])) });
  }
  return state;
}

/**
 * The audit log agrees with the store: for each secret the last create/rotate/rollback/rm entry
 * names its current version (or, for a secret that is gone, is an rm), and there are as many
 * key-rotate entries as committed key rotations.
 */
async function auditProblems(world: World, state: StoreState, keyRotations: number): Promise<string[]> {
  const log = await secret(world, ["log", "--format", "json"]);
  if (log.code !== 0) return [`secret log exited ${log.code}: ${stderrGist(log.stderr)}`];
  const entries = log.stdout
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { operation: string; name?: string; version?: number });
  const problems: string[] = [];
  for (const name of NAMES) {
    const last = entries.filter((e) => e.name === name && MUTATING.has(e.operation)).at(-1);
    const current = state.get(name);
    if (current) {
      if (!last || last.operation === "rm" || last.version !== current.version) {
        problems.push(
          `the store holds ${name} v${current.version} but the audit log's last change of it is ${last ? `${last.operation} v${last.version}` : "none"}`,
        );
      }
    } else if (last && last.operation !== "rm") {
      problems.push(
        `${name} is not in the store but the audit log's last change of it is ${last.operation} v${last.version}`,
      );
    }
  }
  const rotations = entries.filter((e) => e.operation === "key-rotate").length;
  if (rotations !== keyRotations)
    problems.push(`${keyRotations} key rotation(s) committed but the audit log records ${rotations}`);
  return problems;
}

/** Files in the store directory and beside the key that the store does not name. */
async function strays(world: World): Promise<string[]> {
  const problems: string[] = [];
  const meta = JSON.parse(await readFile(path.join(world.home, "store.json"), "utf8")) as {
    keyGeneration: number;
  };
  const index = JSON.parse(await readFile(path.join(world.home, "index.json"), "utf8")) as {
    secrets: { id: string; versions: { version: number }[] }[];
  };
  const named = new Set(
    index.secrets.flatMap((s) => s.versions.map((v) => `${s.id}.v${v.version}.g${meta.keyGeneration}`)),
  );
  for (const entry of await readdir(world.home)) {
    if (!["store.json", "index.json", "audit.log", "values"].includes(entry))
      problems.push(`left in the store directory: ${entry}`);
  }
  for (const entry of await readdir(path.join(world.home, "values"))) {
    if (!named.has(entry)) problems.push(`left in values/: ${entry} (named by no index entry)`);
  }
  for (const entry of await readdir(path.dirname(world.keyFile))) {
    if (entry !== path.basename(world.keyFile)) problems.push(`left beside the key file: ${entry}`);
  }
  return problems;
}

interface StoreCommand {
  command: string;
  args: string[];
  /** The value given on standard input, made fresh for the version it becomes. */
  input?: (world: World) => string;
  /** The store before and after the command. */
  before: Record<string, [number, number] | undefined>;
  after: Record<string, [number, number] | undefined>;
  /** The same command again, from the state found after the kill: its expected exit and state. */
  again: (
    world: World,
    state: StoreState,
  ) => {
    input?: string;
    code: number;
    message?: RegExp;
    state: Record<string, [number, number] | undefined>;
  };
}

const BEFORE = { alpha: [2, 2], beta: [1, 1], gamma: undefined } as Record<
  string,
  [number, number] | undefined
>;

const COMMANDS: StoreCommand[] = [
  {
    command: "secret create",
    args: ["create", "gamma", "-"],
    input: (world) => world.newValue("gamma", 1),
    before: BEFORE,
    after: { ...BEFORE, gamma: [1, 1] },
    again: (world, state) =>
      state.has("gamma")
        ? { code: 1, message: /already exists/, state: { ...BEFORE, gamma: [1, 1] } }
        : { input: world.newValue("gamma", 1), code: 0, state: { ...BEFORE, gamma: [1, 1] } },
  },
  {
    command: "secret rotate",
    args: ["rotate", "alpha", "-"],
    input: (world) => world.newValue("alpha", 3),
    before: BEFORE,
    after: { ...BEFORE, alpha: [3, 3] },
    again: (world, state) => {
      const next = state.get("alpha")!.version + 1;
      return { input: world.newValue("alpha", next), code: 0, state: { ...BEFORE, alpha: [next, next] } };
    },
  },
  {
    command: "secret rollback",
    args: ["rollback", "alpha"],
    before: BEFORE,
    after: { ...BEFORE, alpha: [3, 1] },
    again: (world, state) => {
      const current = state.get("alpha")!.version;
      // Back to the version before the current one: v3 (v1's bytes) goes back to v2's.
      const source = current === 3 ? 2 : 1;
      return { code: 0, state: { ...BEFORE, alpha: [current + 1, source] } };
    },
  },
  {
    command: "secret rm",
    args: ["rm", "alpha", "beta"],
    before: BEFORE,
    after: { alpha: undefined, beta: undefined, gamma: undefined },
    again: (_world, state) =>
      state.size === 0 ? { code: 1, message: /no secret/, state: {} } : { code: 0, state: {} },
  },
  {
    command: "secret key rotate",
    args: ["key", "rotate"],
    before: BEFORE,
    after: BEFORE,
    again: () => ({ code: 0, state: BEFORE }),
  },
];

/** One scenario per store command. */
export function storeScenarios(): Scenario[] {
  return COMMANDS.map((spec) => {
    // Committed key rotations of the round so far, told by the key file changing.
    const keyRotations = (world: World): number => {
      const notes = world.notes as { key?: Buffer; rotations?: number };
      const rotations = notes.rotations ?? 0;
      if (spec.command !== "secret key rotate" || notes.key === undefined) return rotations;
      return rotations + (readFileSync(world.keyFile).equals(notes.key) ? 0 : 1);
    };
    return {
      command: spec.command,
      async setup(world) {
        await must(world, ["create", "alpha", "-"], world.newValue("alpha", 1));
        await must(world, ["rotate", "alpha", "-"], world.newValue("alpha", 2));
        await must(world, ["create", "beta", "-"], world.newValue("beta", 1));
        world.notes.key = readFileSync(world.keyFile);
        world.notes.rotations = 0;
      },
      invocation(world) {
        const input = spec.input?.(world);
        return { args: ["secret", ...spec.args], ...(input === undefined ? {} : { input }) };
      },
      async afterKill(world, outcome) {
        const problems = outputLeaks(outcome, world, spec.command);
        // Reading first: a reader finishes a key rotation that committed before the kill.
        const { state, problems: readProblems } = await readState(world);
        problems.push(...readProblems);
        const before = expectState(world, spec.before);
        const after = expectState(world, spec.after);
        if (!sameState(state, before) && !sameState(state, after)) {
          problems.push(`the store holds neither the state before nor after: ${describeState(state, world)}`);
        }
        problems.push(...(await auditProblems(world, state, keyRotations(world))));
        problems.push(...diskLeaks(world));
        world.notes.rotations = keyRotations(world);
        world.notes.key = readFileSync(world.keyFile);
        // The same command again, with what the state found implies.
        const again = spec.again(world, state);
        const input = again.input;
        const rerun = await runCli(["secret", ...spec.args], {
          env: world.env(),
          ...(input === undefined ? {} : { input }),
        });
        problems.push(...outputLeaks(rerun, world, `${spec.command} again`));
        if (rerun.code !== again.code || (again.message && !again.message.test(rerun.stderr))) {
          problems.push(
            `${spec.command} again exited ${rerun.code} (wanted ${again.code}${again.message ? `, ${again.message}` : ""}): ${stderrGist(rerun.stderr)}`,
          );
        }
        if (spec.command === "secret key rotate" && rerun.code === 0)
          world.notes.rotations = (world.notes.rotations as number) + 1;
        const { state: afterRerun, problems: rereadProblems } = await readState(world);
        problems.push(...rereadProblems);
        const wanted = expectState(world, again.state);
        if (!sameState(afterRerun, wanted)) {
          problems.push(
            `after ${spec.command} again the store holds ${describeState(afterRerun, world)}, not ${describeState(wanted, world)}`,
          );
        }
        problems.push(...(await auditProblems(world, afterRerun, world.notes.rotations as number)));
        return problems;
      },
      async finish(world) {
        // The next write tidies what a killed writer left; after it, nothing unnamed may stay.
        const problems: string[] = [];
        const write = await secret(world, ["create", "omega", "-"], world.newValue("omega", 1));
        if (write.code !== 0)
          problems.push(`a later secret create exited ${write.code}: ${stderrGist(write.stderr)}`);
        problems.push(...(await strays(world)));
        problems.push(...diskLeaks(world));
        return problems;
      },
    } satisfies Scenario;
  });
}
