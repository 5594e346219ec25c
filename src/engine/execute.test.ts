import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { makeProject, makeService } from "../model/project-builder.js";
import { planDown } from "../plan/down-plan.js";
import { emptyState, type ObservedContainer } from "../plan/state.js";
import { planUp } from "../plan/up-plan.js";
import type { Engine } from "./client.js";
import { execute } from "./execute.js";

/** An engine that records calls and lets the test decide when each container create finishes. */
function fakeEngine(options: { failStart?: string } = {}) {
  const calls: string[] = [];
  const pending = new Map<string, () => void>();
  let ids = 0;
  const engine = {
    endpoint: { kind: "unix", socketPath: "/fake" },
    createNetwork: async (body: { Name: string }) => {
      calls.push(`createNetwork ${body.Name}`);
      return "net";
    },
    createContainer: (body: { name: string }) => {
      calls.push(`create ${body.name}`);
      return new Promise<string>((resolve) => pending.set(body.name, () => resolve(`id${++ids}`)));
    },
    connectNetwork: async () => {},
    startContainer: async (container: { name: string }) => {
      if (container.name === options.failStart) {
        throw new EngineError(`container ${container.name}: no such file or directory`);
      }
      calls.push(`start ${container.name}`);
    },
  } as unknown as Engine;
  return { engine, calls, release: (name: string) => pending.get(name)?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("execute", () => {
  const project = makeProject("demo", [
    makeService("a", { image: "busybox" }),
    makeService("b", { image: "busybox" }),
    makeService("c", {
      image: "busybox",
      dependsOn: { a: { condition: "service_started", required: true, restart: false } },
    }),
  ]);
  const plan = planUp(project, { ...emptyState("demo"), images: { busybox: "sha256:b" } });

  it("runs independent services in parallel and a dependent after its dependency started", async () => {
    const fake = fakeEngine();
    const run = execute(plan, fake.engine, { project });
    await tick();
    // All three creates are under way at once: they depend only on the network.
    expect(fake.calls).toEqual([
      "createNetwork demo_default",
      "create demo-a-1",
      "create demo-b-1",
      "create demo-c-1",
    ]);
    fake.release("demo-c-1");
    await tick();
    expect(fake.calls).not.toContain("start demo-c-1");
    fake.release("demo-a-1");
    await tick();
    expect(fake.calls.slice(-2)).toEqual(["start demo-a-1", "start demo-c-1"]);
    fake.release("demo-b-1");
    await run;
    expect(fake.calls).toContain("start demo-b-1");
  });

  it("stops at the first failure and says what had been done", async () => {
    const fake = fakeEngine({ failStart: "demo-a-1" });
    const run = execute(plan, fake.engine, { project });
    for (const name of ["demo-a-1", "demo-b-1", "demo-c-1"]) fake.release(name);
    await tick();
    for (const name of ["demo-a-1", "demo-b-1", "demo-c-1"]) fake.release(name);
    const error = await run.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toMatch(
      /^container demo-a-1: no such file or directory\ndone before it: /,
    );
    expect((error as Error).message).toContain("network demo_default created");
    expect(fake.calls).not.toContain("start demo-c-1");
  });

  describe("with COMPOSE_PARALLEL_LIMIT", () => {
    const many = makeProject(
      "many",
      Array.from({ length: 6 }, (_, i) => makeService(`s${i}`, { image: "busybox" })),
    );
    const manyPlan = planUp(many, { ...emptyState("many"), images: { busybox: "sha256:b" } });
    const creates = (calls: string[]) => calls.filter((call) => call.startsWith("create "));

    it("keeps at most that many steps with the engine at once, and still does them all", async () => {
      const fake = fakeEngine();
      const run = execute(manyPlan, fake.engine, { project: many, parallelLimit: 2 });
      await tick();
      expect(creates(fake.calls)).toEqual(["create many-s0-1", "create many-s1-1"]);
      // A finished create frees its turn: the next create (or the start after it) goes in.
      fake.release("many-s0-1");
      await tick();
      await tick();
      expect(creates(fake.calls)).toHaveLength(3);
      for (let i = 0; i < 6; i++) {
        for (let round = 0; round < 3; round++) {
          fake.release(`many-s${i}-1`);
          await tick();
        }
      }
      await run;
      for (let i = 0; i < 6; i++) expect(fake.calls).toContain(`start many-s${i}-1`);
    });

    it("lets four times as many container removes through, then the network after them all", async () => {
      const containers = Array.from({ length: 6 }, (_, i): ObservedContainer => ({
        id: `c${i}`,
        name: `many-s${i}-1`,
        service: `s${i}`,
        number: 1,
        oneoff: false,
        state: "running",
        imageId: "sha256:b",
        dependsOn: [],
        labels: {},
      }));
      const state = {
        ...emptyState("many"),
        containers,
        networks: { many_default: { id: "n", name: "many_default", project: "many", key: "default" } },
      };
      const downPlan = planDown(state, { project: many, timeoutSeconds: 0 });
      const calls: string[] = [];
      const pending: (() => void)[] = [];
      const engine = {
        endpoint: { kind: "unix", socketPath: "/fake" },
        removeContainer: (container: { name: string }) => {
          calls.push(`remove ${container.name}`);
          return new Promise<void>((resolve) => pending.push(resolve));
        },
        removeNetwork: async (name: string) => {
          calls.push(`removeNetwork ${name}`);
        },
      } as unknown as Engine;
      const run = execute(downPlan, engine, { parallelLimit: 1 });
      await tick();
      expect(calls).toHaveLength(4);
      pending.shift()?.();
      await tick();
      await tick();
      expect(calls).toHaveLength(5);
      while (pending.length > 0 || calls.length < 6) {
        pending.shift()?.();
        await tick();
      }
      await run;
      expect(calls.filter((call) => call.startsWith("remove "))).toHaveLength(6);
      expect(calls.at(-1)).toBe("removeNetwork many_default");
    });

    it("takes the limit from the engine when the caller gives none", async () => {
      const fake = fakeEngine();
      const engine = Object.assign(Object.create(null) as object, fake.engine, { parallelLimit: 1 });
      const run = execute(manyPlan, engine as Engine, { project: many });
      await tick();
      expect(creates(fake.calls)).toEqual(["create many-s0-1"]);
      for (let i = 0; i < 6; i++) {
        fake.release(`many-s${i}-1`);
        await tick();
        await tick();
      }
      await run;
      expect(creates(fake.calls)).toHaveLength(6);
    });

    it("does not begin a step that waited for its turn once another failed", async () => {
      const fake = fakeEngine({ failStart: "many-s0-1" });
      const run = execute(manyPlan, fake.engine, { project: many, parallelLimit: 1 });
      // One at a time, in turn: the six creates, then s0's start (which fails), then the others'.
      for (let i = 0; i < 6; i++) {
        await tick();
        fake.release(`many-s${i}-1`);
      }
      const error = await run.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect((error as Error).message).toMatch(/^container many-s0-1: no such file or directory/);
      expect(creates(fake.calls)).toHaveLength(6);
      // The five starts queued behind the failed one never began.
      expect(fake.calls.filter((call) => call.startsWith("start "))).toEqual([]);
    });
  });
});
