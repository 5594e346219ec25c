// Named crash points, for the crash-point suite (test/crash/) only: at each interesting moment of a
// command (material written but no container yet, a sealed value written but not the index, ...)
// the code calls crashPoint("name"). When COMPOSEC_TEST_CRASH_AT names that point, the process
// kills itself with SIGKILL there, as a power cut or `kill -9` would, so the suite can prove that
// whatever such a kill leaves, the next command handles.
//
// COMPOSEC_TEST_CRASH_AT=<name> crashes at the first time the point is reached; <name>@<n> at the
// n-th time (a point inside a loop: between the first and the second re-sealed value, say). The
// variable is read once, when this module loads; unset (as for every user), a crash point is one
// comparison of a constant with undefined.

/** Every crash point, with where it is and which commands of the suite reach it. */
export const CRASH_POINTS = {
  "up.secrets-resolved": {
    where: "up: every secret resolved in memory, nothing done on the engine or the tmpfs yet",
    commands: ["up", "up-rotate"],
  },
  "material.tmpfs-mounted": {
    where: "up: the project's tmpfs mounted, no material written on it yet",
    commands: ["up", "up-rotate"],
  },
  "material.staged": {
    where: "up: a secret's new bytes complete in the staging directory, not yet renamed into place",
    commands: ["up", "up-rotate"],
  },
  "up.delivered": {
    where: "up: all material written, no container created or changed yet",
    commands: ["up", "up-rotate"],
  },
  "engine.network-created": {
    where: "up: a network created, no container yet",
    commands: ["up"],
  },
  "engine.container-created": {
    where: "up: a container created, not yet connected or started (between creates)",
    commands: ["up", "up-rotate"],
  },
  "engine.container-started": {
    where: "up: a container started, others not yet",
    commands: ["up", "up-rotate"],
  },
  "engine.container-stopped": {
    where: "up (a recreate) and down: a container stopped, not yet removed",
    commands: ["up-rotate", "down"],
  },
  "engine.container-removed": {
    where: "up (a recreate) and down: a container removed, the next not yet (between removals)",
    commands: ["up-rotate", "down"],
  },
  "up.executed": {
    where: "up: the plan carried out, the digests of replaced absolute targets not yet recorded",
    commands: ["up", "up-rotate"],
  },
  "engine.network-removed": {
    where: "down: the project's network removed, the material not yet",
    commands: ["down"],
  },
  "down.engine-done": {
    where: "down: every container and network removed, the material and its tmpfs not yet",
    commands: ["down"],
  },
  "material.unmounted": {
    where: "down: the project's tmpfs unmounted, its directory not yet removed",
    commands: ["down"],
  },
  "store.locked": {
    where: "store: the lock taken, nothing read or written yet",
    commands: ["secret create", "secret rotate", "secret rollback", "secret rm", "secret key rotate"],
  },
  "store.sealed": {
    where: "store: a sealed value written and synced, the index not yet (key rotate: between values)",
    commands: ["secret create", "secret rotate", "secret rollback", "secret key rotate"],
  },
  "store.journaled": {
    where: "store: the change's journal written, the index (key rotate: store.json) not yet replaced",
    commands: ["secret create", "secret rotate", "secret rollback", "secret rm", "secret key rotate"],
  },
  "store.key-file-staged": {
    where: "store key rotate: the new key file written beside the old one, store.json not yet replaced",
    commands: ["secret key rotate"],
  },
  "store.committed": {
    where:
      "store: index.json (key rotate: store.json) replaced, the audit entry not yet appended (key rotate: the new key file not yet renamed)",
    commands: ["secret create", "secret rotate", "secret rollback", "secret rm", "secret key rotate"],
  },
  "store.audited": {
    where: "store: the audit entry appended, obsolete sealed files not yet deleted",
    commands: ["secret create", "secret rotate", "secret rollback", "secret rm", "secret key rotate"],
  },
  "build.session-open": {
    where: "build: the BuildKit session open, the build not yet requested",
    commands: ["build"],
  },
  "build.secret-served": {
    where: "build: BuildKit asked for a build secret and got it (the build is running)",
    commands: ["build"],
  },
  "build.stream-ended": {
    where: "build: the image built, the session not yet closed",
    commands: ["build"],
  },
  "build.session-closed": {
    where: "build: the session closed, the command not yet finished",
    commands: ["build"],
  },
} as const satisfies Record<string, { where: string; commands: readonly string[] }>;

export type CrashPointName = keyof typeof CRASH_POINTS;

const wanted = parse(process.env["COMPOSEC_TEST_CRASH_AT"]);
let hits = 0;

/** Kills this process with SIGKILL when COMPOSEC_TEST_CRASH_AT names `name` (tests only). */
export function crashPoint(name: CrashPointName): void {
  if (wanted === undefined || wanted.name !== name) return;
  if (++hits < wanted.count) return;
  process.kill(process.pid, "SIGKILL");
}

function parse(value: string | undefined): { name: string; count: number } | undefined {
  if (!value) return undefined;
  const match = /^(.+?)(?:@(\d+))?$/.exec(value);
  if (!match) return undefined;
  return { name: match[1]!, count: match[2] === undefined ? 1 : Number(match[2]) };
}
