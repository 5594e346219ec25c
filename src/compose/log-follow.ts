// `logs -f` over time: the containers there are when it begins, and those created, recreated or
// restarted while it runs (a second `up`, `--scale`, `start`, a restart policy), found through the
// engine's container events. LogFollowState decides what to read and from when; this file only
// makes the engine calls.
import type {
  ContainerDetails,
  ContainerEvent,
  ContainerListEntry,
  Engine,
  EventSubscription,
} from "../engine/client.js";
import { toObservedContainer } from "../engine/observe.js";
import { LABEL } from "../model/names.js";
import type { ObservedContainer } from "../plan/state.js";
import { engineTime, LogFollowState, type Attach } from "./log-follow-state.js";
import { containerLines, logContainers, type LogsOptions } from "./logs.js";

/** What containerLines hands over: the containers' lines (and what else it reports about them). */
type OnLine = Parameters<typeof containerLines>[3];

/** The user's choice of lines, for the logs there are when following begins. */
export type FollowOptions = Pick<LogsOptions, "tail" | "since" | "timestamps">;

export interface ProjectFollower {
  /** The containers there were when following began, sorted by name. */
  readonly containers: ObservedContainer[];
  /**
   * Calls `onLine` for the lines `options` selects of those containers' logs, then for what they
   * print next and everything containers created, recreated or restarted meanwhile print, each
   * line once. Ends when every container has exited for good or was removed (as Compose's
   * `logs -f`: one stopped before following began may still start), or when `signal` aborts.
   */
  follow(options: FollowOptions, onLine: OnLine, signal?: AbortSignal): Promise<void>;
}

const ACTIONS = ["create", "start", "die", "destroy"];

/** Starts following the project's containers (these services', or all): call `follow` next. */
export async function followProject(
  projectName: string,
  engine: Engine,
  services: string[] = [],
): Promise<ProjectFollower> {
  // Listening before listing: a container started in between is both listed and reported (the
  // state tells the two apart), and nothing that happens after the listing goes unseen.
  const events = await engine.containerEvents(projectName, ACTIONS);
  let containers: ObservedContainer[];
  try {
    containers = await logContainers(projectName, engine, services);
  } catch (error) {
    events.close();
    throw error;
  }
  return {
    containers,
    follow: (options, onLine, signal) =>
      new Follower(engine, events, new Set(services), options, onLine).run(containers, signal),
  };
}

class Follower {
  readonly #state = new LogFollowState();
  /** Ends every open log stream when following is over. */
  readonly #reading = new AbortController();
  #open = 0;
  #watching = true;
  #failure: unknown;
  #end: () => void = () => {};

  constructor(
    private readonly engine: Engine,
    private readonly events: EventSubscription,
    private readonly services: Set<string>,
    private readonly options: FollowOptions,
    private readonly onLine: OnLine,
  ) {}

  async run(containers: ObservedContainer[], signal: AbortSignal | undefined): Promise<void> {
    const ended = new Promise<void>((resolve) => (this.#end = resolve));
    const stop = (): void => this.#stop();
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      for (const container of containers) {
        this.#state.track(container.id);
        this.#read({ id: container.id, since: undefined }, this.options);
      }
      void this.#watch();
      this.#settle();
      await ended;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
    if (this.#failure !== undefined && signal?.aborted !== true) throw this.#failure;
  }

  #stop(): void {
    this.events.close();
    this.#reading.abort();
    this.#end();
  }

  /** Ends once nothing more can be read, or a failure left us unable to tell. */
  #settle(): void {
    if (this.#open > 0) return;
    if (this.#state.done() || !this.#watching || this.#failure !== undefined) this.#stop();
  }

  /** Reads one container's log until it stops; then whatever the state says to read next. */
  #read(attach: Attach, first?: FollowOptions): void {
    this.#open++;
    void this.#readOnce(attach, first)
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#open--;
        const next = this.#state.closed(attach.id);
        if (next !== undefined && !this.#reading.signal.aborted && this.#failure === undefined) {
          this.#read(next);
        }
        this.#settle();
      });
  }

  async #readOnce(attach: Attach, first: FollowOptions | undefined): Promise<void> {
    const info = await inspectIfThere(this.engine, attach.id);
    if (info === undefined || this.#reading.signal.aborted) return;
    this.#state.opened(attach.id, {
      running: info.State.Running,
      ...engineTime("startedAt", info.State.StartedAt),
      ...engineTime("finishedAt", info.State.FinishedAt),
    });
    // A container read again, or a new one, shows all it printed since: --tail and --since chose
    // among the lines there were when following began.
    const query: LogsOptions = first !== undefined ? { ...first } : {};
    if (first === undefined && attach.since !== undefined) query.since = attach.since;
    if (this.options.timestamps !== undefined) query.timestamps = this.options.timestamps;
    await containerLines(
      this.engine,
      fromInspect(info),
      { ...query, follow: true, tty: info.Config.Tty, signal: this.#reading.signal },
      this.onLine,
    );
  }

  async #watch(): Promise<void> {
    try {
      for await (const event of this.events) {
        if (this.#relevant(event)) await this.#onEvent(event);
        this.#settle();
      }
    } catch (error) {
      this.#failure ??= error;
    } finally {
      // Without events nothing new can be found: what is open is read to its end.
      this.#watching = false;
      this.#settle();
    }
  }

  async #onEvent(event: ContainerEvent): Promise<void> {
    switch (event.action) {
      case "create":
        this.#state.created(event.id);
        return;
      case "start": {
        const attach = this.#state.started(event.id, event.time);
        if (attach !== undefined) this.#read(attach);
        return;
      }
      case "die": {
        // Restarting (its restart policy, or `restart`): it comes back, so it is still followed.
        // Events are handled one at a time, so this answer is in place before the next event.
        const info = await inspectIfThere(this.engine, event.id);
        const alive = info !== undefined && (info.State.Running || info.State.Restarting);
        this.#state.died(event.id, event.time, alive);
        return;
      }
      case "destroy":
        this.#state.destroyed(event.id);
    }
  }

  #relevant(event: ContainerEvent): boolean {
    if (event.attributes[LABEL.oneoff] === "True") return false;
    return this.services.size === 0 || this.services.has(event.attributes[LABEL.service] ?? "");
  }
}

/** The container, or undefined once it is gone (removed between an event and this call). */
async function inspectIfThere(engine: Engine, id: string): Promise<ContainerDetails | undefined> {
  try {
    return await engine.inspectContainer({ id, name: id });
  } catch (error) {
    if ((error as { cause?: { statusCode?: unknown } }).cause?.statusCode === 404) return undefined;
    throw error;
  }
}

/** The container as `logs` shows it, from its inspection (its name now, after a recreation's rename). */
function fromInspect(info: ContainerDetails): ObservedContainer {
  return toObservedContainer({
    Id: info.Id,
    Names: [info.Name],
    Labels: info.Config.Labels ?? {},
    State: info.State.Status,
    ImageID: info.Image,
  } as ContainerListEntry);
}
