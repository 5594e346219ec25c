// Intent: convergence is judged from the tasks as Swarm reports them: done only when the wanted
// number of tasks run the current spec (new secret versions included) and no update is going on;
// a failed update or tasks that keep failing end the wait with the task's own error.
import { describe, expect, it } from "vitest";
import { convergence, progressBar, type ServiceTarget } from "./converge.js";
import type { ObservedTask, ServiceSpec } from "./types.js";

const spec = (secret: string): ServiceSpec => ({
  Name: "s_web",
  Labels: {},
  TaskTemplate: {
    ContainerSpec: {
      Image: "img:1",
      Secrets: [
        { File: { Name: "pw", UID: "0", GID: "0", Mode: 0o444 }, SecretID: "id", SecretName: secret },
      ],
    },
  },
  Mode: { Replicated: { Replicas: 2 } },
});

const task = (over: Partial<ObservedTask>): ObservedTask => ({
  id: Math.random().toString(36),
  serviceId: "S",
  desiredState: "running",
  state: "running",
  message: "",
  timestamp: "2026-01-01T00:00:10Z",
  createdAt: "2026-01-01T00:00:10Z",
  image: "img:1",
  refersTo: ["s_pw_new"],
  ...over,
});

const target: ServiceTarget = { name: "s_web", id: "S", spec: spec("s_pw_new"), replicas: 2 };
const since = "2026-01-01T00:00:05Z";

describe("convergence", () => {
  it("is done when every wanted task runs the current spec", () => {
    expect(convergence([target], [task({}), task({})], since)).toEqual([
      { name: "s_web", running: 2, replicas: 2, done: true },
    ]);
  });

  it("is not done while a task still runs the old secret version or an update runs", () => {
    const [mixed] = convergence([target], [task({}), task({ refersTo: ["s_pw_old"] })], since);
    expect(mixed).toMatchObject({ running: 1, done: false });
    const [updating] = convergence([{ ...target, updateState: "updating" }], [task({}), task({})], since);
    expect(updating!.done).toBe(false);
  });

  it("fails with the update's message when Swarm paused or rolled back the update", () => {
    const [paused] = convergence(
      [{ ...target, updateState: "paused", updateMessage: "update paused due to failure" }],
      [],
      since,
    );
    expect(paused!.failure).toBe("update paused: update paused due to failure");
  });

  it("fails with the last task error once tasks keep failing since the deploy started", () => {
    const failing = [1, 2, 3].map((n) =>
      task({
        state: "rejected",
        desiredState: "shutdown",
        error: `No such image: img:1 (${n})`,
        timestamp: `2026-01-01T00:00:1${n}Z`,
      }),
    );
    const before = task({ state: "failed", desiredState: "shutdown", timestamp: "2026-01-01T00:00:01Z" });
    const [two] = convergence([target], [before, ...failing.slice(0, 2)], since);
    expect(two!.failure).toBeUndefined();
    const [three] = convergence([target], failing, since);
    expect(three!.failure).toBe("3 tasks failed; the last: No such image: img:1 (3) (rejected)");
  });
});

describe("progressBar", () => {
  it("draws running over wanted", () => {
    expect(progressBar(0, 2, 10)).toBe("[>         ] 0/2");
    expect(progressBar(1, 2, 10)).toBe("[=====>    ] 1/2");
    expect(progressBar(2, 2, 10)).toBe("[==========] 2/2");
  });
});
