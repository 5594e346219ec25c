// Waiting on containers: healthy (`service_healthy`, `--wait`), exited with 0
// (`service_completed_successfully`), running (`--wait` without a healthcheck). Time is injected
// (Clock) so the waits can be tested without sleeping.
import { setTimeout as delay } from "node:timers/promises";
import { EngineError, InterruptedError } from "../errors.js";
import type { Engine } from "./client.js";

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError("interrupted");
      throw error;
    }
  },
};

export interface WaitOptions {
  clock?: Clock;
  /** How often to look (default 250 ms: health checks of tests run every second or so). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Give up at this time (clock milliseconds): a `--wait-timeout`. */
  deadline?: number;
}

type Ref = { id: string; name: string };

/** Resolves once the container's health is `healthy`; an unhealthy, exited or unchecked one fails. */
export async function waitHealthy(engine: Engine, container: Ref, options: WaitOptions = {}): Promise<void> {
  await poll(
    engine,
    container,
    options,
    (info) => {
      const health = info.State.Health?.Status;
      if (health === undefined) {
        throw new EngineError(
          `container ${container.name} has no healthcheck configured; add one, or depend on it with condition: service_started`,
          {
            resource: `container ${container.name}`,
          },
        );
      }
      if (health === "healthy") return true;
      if (health === "unhealthy") {
        throw new EngineError(`container ${container.name} is unhealthy${lastProbe(info)}`, {
          resource: `container ${container.name}`,
        });
      }
      if (!info.State.Running) {
        throw new EngineError(
          `container ${container.name} exited (code ${info.State.ExitCode}) before becoming healthy`,
          { resource: `container ${container.name}` },
        );
      }
      return false;
    },
    "healthy",
  );
}

/** Resolves once the container runs (and is healthy, when it has a healthcheck): `up --wait`. */
export async function waitRunningOrHealthy(
  engine: Engine,
  container: Ref,
  options: WaitOptions = {},
): Promise<void> {
  await poll(
    engine,
    container,
    options,
    (info) => {
      const health = info.State.Health?.Status;
      if (health === "unhealthy") {
        throw new EngineError(`container ${container.name} is unhealthy${lastProbe(info)}`, {
          resource: `container ${container.name}`,
        });
      }
      if (!info.State.Running && info.State.Status !== "created" && info.State.Status !== "restarting") {
        throw new EngineError(`container ${container.name} exited (code ${info.State.ExitCode})`, {
          resource: `container ${container.name}`,
        });
      }
      return info.State.Running && (health === undefined || health === "healthy");
    },
    "running",
  );
}

/** Resolves when the container exits with 0; another code fails, naming the service. */
export async function waitCompleted(engine: Engine, container: Ref, service: string): Promise<void> {
  const code = await engine.waitContainer(container);
  if (code !== 0) {
    throw new EngineError(
      `service "${service}" didn't complete successfully: exit ${code} (container ${container.name})`,
      {
        resource: `container ${container.name}`,
      },
    );
  }
}

async function poll(
  engine: Engine,
  container: Ref,
  options: WaitOptions,
  done: (info: Awaited<ReturnType<Engine["inspectContainer"]>>) => boolean,
  goal: string,
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? 250;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError("interrupted");
    if (done(await engine.inspectContainer(container))) return;
    if (options.deadline !== undefined && clock.now() >= options.deadline) {
      throw new EngineError(`container ${container.name} did not become ${goal} in time`, {
        resource: `container ${container.name}`,
      });
    }
    await clock.sleep(interval, options.signal);
  }
}

/** `: <output of the last failed probe>`, trimmed, when the engine kept one. */
function lastProbe(info: Awaited<ReturnType<Engine["inspectContainer"]>>): string {
  const log = info.State.Health?.Log ?? [];
  const last = log[log.length - 1];
  const output = last?.Output?.trim();
  return output ? ` (last check: ${output.slice(0, 200)})` : "";
}
