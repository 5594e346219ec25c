// What `logs -f` reads and from when, decided apart from the engine calls (./logs.ts makes those).
// The inputs are the project's container events in the engine's order and what each log stream
// found when it opened; the output is "read this container's log, following it, from then on".
//
// Every line must be shown once: not twice when a restarted container's log is read again (its
// old lines are still in it), and not missed when a container prints before its `start` event is
// seen. So a re-read starts at the end of the run shown last (its `die`, whose time is after its
// last line: the engine drains a container's output before it reports the exit), never at the new
// run's start time. A stream following a running container covers that run and every earlier one;
// a `start` seen before that run's `die` is one of those, and needs no second stream.
//
// It also says when following is over, as Compose does: the containers there were at the start (in
// any state), and those created or started since, are followed until they exit for good (a `die`
// after which the container is not restarting) or are removed.
//
// Times are the engine's clock in Unix seconds, with fractions.

/** Read a container's log from `since` (absent: from its first line), following it. */
export interface Attach {
  id: string;
  since: number | undefined;
}

/** What the container was when its log stream opened. */
export interface Opened {
  running: boolean;
  /** The start of the current run (when running). */
  startedAt?: number;
  /** The end of the last run (when not running); absent if it never ran. */
  finishedAt?: number;
}

interface Start {
  time: number;
  /** The container's last `die` before this `start`, in the engine's order. */
  lastDie: number | undefined;
}

type Coverage =
  /** Never read: every start is new. */
  | { kind: "none" }
  /** A stream is being opened; starts seen meanwhile are judged once it says what it found. */
  | { kind: "opening"; starts: Start[] }
  /** Read while running: that run and all before it. */
  | { kind: "run"; startedAt: number }
  /** Read while stopped: everything printed until it stopped. */
  | { kind: "until"; finishedAt: number | undefined };

interface Tracked {
  /** May print more: followed and not yet gone for good. */
  alive: boolean;
  /** A log stream is open (or opening). */
  open: boolean;
  coverage: Coverage;
  lastDie: number | undefined;
  /** A run the open stream does not cover: read again from `since` once it closes. */
  again: { since: number | undefined } | undefined;
}

export class LogFollowState {
  readonly #tracked = new Map<string, Tracked>();

  /** A container there was when following began; its stream is opened now (with the user's options). */
  track(id: string): void {
    this.#tracked.set(id, {
      alive: true,
      open: true,
      coverage: { kind: "opening", starts: [] },
      lastDie: undefined,
      again: undefined,
    });
  }

  /** A container was created: followed from now on (it will start, or replace one that stops). */
  created(id: string): void {
    this.#get(id).alive = true;
  }

  /** A container started: the stream to open for it, if none covers this run yet. */
  started(id: string, time: number): Attach | undefined {
    const tracked = this.#get(id);
    tracked.alive = true;
    const start = { time, lastDie: tracked.lastDie };
    if (tracked.coverage.kind === "opening") {
      tracked.coverage.starts.push(start);
      return undefined;
    }
    if (covers(tracked.coverage, start)) return undefined;
    return this.#readAgain(id, tracked, sinceFor(tracked.coverage, start));
  }

  /** A container's process exited; `alive`: the engine is restarting it (or already has). */
  died(id: string, time: number, alive: boolean): void {
    const tracked = this.#tracked.get(id);
    if (tracked === undefined) return;
    tracked.lastDie = Math.max(tracked.lastDie ?? time, time);
    tracked.alive = alive;
  }

  /** A container was removed: it prints nothing more. */
  destroyed(id: string): void {
    const tracked = this.#tracked.get(id);
    if (tracked === undefined) return;
    tracked.alive = false;
    tracked.again = undefined;
    if (!tracked.open) this.#tracked.delete(id);
  }

  /** The stream being opened found the container so. */
  opened(id: string, found: Opened): void {
    const tracked = this.#tracked.get(id);
    if (tracked === undefined || tracked.coverage.kind !== "opening") return;
    const starts = tracked.coverage.starts;
    tracked.coverage =
      found.running && found.startedAt !== undefined
        ? { kind: "run", startedAt: found.startedAt }
        : { kind: "until", finishedAt: found.finishedAt };
    for (const start of starts) {
      if (!covers(tracked.coverage, start)) this.#readAgain(id, tracked, sinceFor(tracked.coverage, start));
    }
  }

  /** A stream ended (the container stopped, or reading failed): the next one to open, if any. */
  closed(id: string): Attach | undefined {
    const tracked = this.#tracked.get(id);
    if (tracked === undefined) return undefined;
    tracked.open = false;
    if (tracked.coverage.kind === "opening") {
      // It never said what it found (the container vanished, or the engine failed), so what it
      // showed is unknown: a start seen meanwhile is read from the die before it.
      const [first] = tracked.coverage.starts;
      tracked.coverage = { kind: "none" };
      if (first !== undefined) tracked.again ??= { since: first.lastDie };
    }
    const again = tracked.again;
    if (again === undefined) return undefined;
    tracked.again = undefined;
    return this.#open(id, tracked, again.since);
  }

  /** Nothing more can be printed: every container has exited for good, and no stream is open. */
  done(): boolean {
    for (const tracked of this.#tracked.values()) if (tracked.alive || tracked.open) return false;
    return true;
  }

  #get(id: string): Tracked {
    let tracked = this.#tracked.get(id);
    if (tracked === undefined) {
      tracked = {
        alive: true,
        open: false,
        coverage: { kind: "none" },
        lastDie: undefined,
        again: undefined,
      };
      this.#tracked.set(id, tracked);
    }
    return tracked;
  }

  #readAgain(id: string, tracked: Tracked, since: number | undefined): Attach | undefined {
    if (tracked.open) {
      // The first uncovered run decides where to start: later ones come after it in the log.
      tracked.again ??= { since };
      return undefined;
    }
    return this.#open(id, tracked, since);
  }

  #open(id: string, tracked: Tracked, since: number | undefined): Attach {
    tracked.open = true;
    tracked.coverage = { kind: "opening", starts: [] };
    return { id, since };
  }
}

/** Whether what a stream read includes the run that `start` began. */
function covers(coverage: Coverage, start: Start): boolean {
  switch (coverage.kind) {
    case "none":
    case "opening":
      return false;
    case "run":
      // That run's `die` comes before any later `start` in the engine's order.
      return start.lastDie === undefined || start.lastDie < coverage.startedAt;
    case "until":
      return coverage.finishedAt !== undefined && start.time <= coverage.finishedAt;
  }
}

/** Where to read from for a run not covered: the end of the run before it, or what was read. */
function sinceFor(coverage: Coverage, start: Start): number | undefined {
  if (start.lastDie !== undefined) return start.lastDie;
  return coverage.kind === "until" ? coverage.finishedAt : undefined;
}

/** `{ [key]: Unix seconds }` for an engine time (RFC 3339 with nanoseconds); nothing for Go's zero time. */
export function engineTime<K extends string>(key: K, text: string | undefined): Partial<Record<K, number>> {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text ?? "");
  if (match === null) return {};
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  // "0001-01-01T00:00:00Z": it never started, or never stopped.
  if (!(seconds > 0)) return {};
  return { [key]: seconds + Number(`0${match[2] ?? ""}`) } as Partial<Record<K, number>>;
}
