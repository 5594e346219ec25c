import { describe, expect, it } from "vitest";
import { StaleTaskError } from "../engine/client.js";
import { EngineError } from "../errors.js";
import type { Plan } from "../plan/types.js";
import {
  containerToReplace,
  executeReplacingStaleTasks,
  replacingStaleTasks,
  staleTaskContainer,
} from "./stale-task.js";

const web = { id: "a1", name: "demo-web-1" };
const stale = (container = web): StaleTaskError =>
  new StaleTaskError(
    `container ${container.name}: the engine still holds a task for it`,
    container,
    undefined,
  );
/** As execute and up pass it on: wrapped, with what was done before it. */
const wrapped = (error: Error): EngineError =>
  new EngineError(`${error.message}\ndone before it: nothing`, { cause: error });
const plan = (name: string): Plan => ({ nodes: [], unchanged: [], warnings: [name], errors: [] });

describe("containerToReplace", () => {
  it("is the container whose start met a stale task, found through the causes", () => {
    expect(staleTaskContainer(wrapped(stale()))).toEqual(web);
    expect(containerToReplace(wrapped(stale()), new Set())).toEqual(web);
  });

  it("is nothing once that container was replaced: the error stays", () => {
    expect(containerToReplace(stale(), new Set(["demo-web-1"]))).toBeUndefined();
  });

  it("is nothing for any other failure", () => {
    expect(
      containerToReplace(new EngineError("container demo-web-1: port is already allocated"), new Set()),
    ).toBeUndefined();
    expect(containerToReplace(new Error("boom"), new Set())).toBeUndefined();
    expect(containerToReplace("task abc: already exists", new Set())).toBeUndefined();
  });
});

describe("executeReplacingStaleTasks", () => {
  it("removes the container, plans again and carries out the new plan, with one warning", async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const plans = await executeReplacingStaleTasks(plan("first"), {
      execute: async (current) => {
        calls.push(`execute ${current.warnings[0]}`);
        if (current.warnings[0] === "first") throw wrapped(stale());
      },
      remove: async (container) => {
        calls.push(`remove ${container.id}`);
      },
      replan: async () => {
        calls.push("replan");
        return plan("second");
      },
      onWarning: (message) => warnings.push(message),
    });
    expect(calls).toEqual(["execute first", "remove a1", "replan", "execute second"]);
    expect(plans.map((done) => done.warnings[0])).toEqual(["first", "second"]);
    expect(warnings).toEqual([
      "container demo-web-1: the engine still held a task for it from a start that a dockerd restart cut short; replacing the container (removed, created anew, started)",
    ]);
  });

  it("replaces each container once: the same failure again is the error", async () => {
    const calls: string[] = [];
    const failure = executeReplacingStaleTasks(plan("first"), {
      execute: async () => {
        calls.push("execute");
        throw wrapped(stale());
      },
      remove: async () => {
        calls.push("remove");
      },
      replan: async () => plan("again"),
    });
    await expect(failure).rejects.toThrow("the engine still holds a task for it");
    expect(calls).toEqual(["execute", "remove", "execute"]);
  });

  it("replaces another container that meets it in the new plan", async () => {
    const db = { id: "b2", name: "demo-db-1" };
    const removed: string[] = [];
    let round = 0;
    await executeReplacingStaleTasks(plan("first"), {
      execute: async () => {
        round++;
        if (round === 1) throw stale(web);
        if (round === 2) throw stale(db);
      },
      remove: async (container) => {
        removed.push(container.name);
      },
      replan: async () => plan("again"),
    });
    expect(removed).toEqual(["demo-web-1", "demo-db-1"]);
  });

  it("passes any other failure on untouched, and a new plan that cannot succeed fails", async () => {
    const other = new EngineError("container demo-web-1: port is already allocated");
    await expect(
      executeReplacingStaleTasks(plan("first"), {
        execute: async () => {
          throw other;
        },
        remove: async () => {},
        replan: async () => plan("again"),
      }),
    ).rejects.toBe(other);
    await expect(
      executeReplacingStaleTasks(plan("first"), {
        execute: async (current) => {
          if (current.warnings[0] === "first") throw stale();
        },
        remove: async () => {},
        replan: async () => ({ ...plan("again"), errors: ["service web: image missing"] }),
      }),
    ).rejects.toThrow("service web: image missing");
  });
});

describe("replacingStaleTasks (start, restart: work other than a plan)", () => {
  it("replaces the container once and runs the work left, which the caller computes", async () => {
    const db = { id: "b2", name: "demo-db-1" };
    const calls: string[] = [];
    const warnings: string[] = [];
    const restarted = new Set<string>();
    const work = await replacingStaleTasks([web, db], {
      run: async (containers) => {
        for (const container of containers) {
          calls.push(`restart ${container.name}`);
          if (container.name === "demo-web-1") throw wrapped(stale());
          restarted.add(container.name);
        }
      },
      replace: async (container) => {
        calls.push(`replace ${container.name}`);
        restarted.add(container.name);
      },
      next: async () => [web, db].filter((container) => !restarted.has(container.name)),
      onWarning: (message) => warnings.push(message),
    });
    expect(calls).toEqual(["restart demo-web-1", "replace demo-web-1", "restart demo-db-1"]);
    expect(work.map((containers) => containers.map((container) => container.name))).toEqual([
      ["demo-web-1", "demo-db-1"],
      ["demo-db-1"],
    ]);
    expect(warnings).toHaveLength(1);
  });

  it("any other failure is the error, with nothing replaced", async () => {
    const replaced: string[] = [];
    const failure = replacingStaleTasks([web], {
      run: async () => {
        throw new EngineError("container demo-web-1: port is already allocated");
      },
      replace: async (container) => {
        replaced.push(container.name);
      },
      next: async () => [],
    });
    await expect(failure).rejects.toThrow("port is already allocated");
    expect(replaced).toEqual([]);
  });
});
