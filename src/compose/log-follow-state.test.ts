import { describe, expect, it } from "vitest";
import { engineTime, LogFollowState } from "./log-follow-state.js";

// Engine times in seconds; a container's runs: start at 10, die at 20, start at 21, ...
describe("LogFollowState", () => {
  it("reads a restarted container again from the end of the run it showed, once", () => {
    const state = new LogFollowState();
    state.track("a");
    state.opened("a", { running: true, startedAt: 10 });
    state.died("a", 20, true);
    // The old stream may not have ended yet when the start arrives: it is read once it has.
    expect(state.started("a", 21)).toBeUndefined();
    expect(state.closed("a")).toEqual({ id: "a", since: 20 });
    state.opened("a", { running: true, startedAt: 21 });
    expect(state.done()).toBe(false);
    state.died("a", 30, false);
    expect(state.closed("a")).toBeUndefined();
    expect(state.done()).toBe(true);
  });

  it("a restart seen after the old stream ended is read at once", () => {
    const state = new LogFollowState();
    state.track("a");
    state.opened("a", { running: true, startedAt: 10 });
    expect(state.closed("a")).toBeUndefined();
    state.died("a", 20, false);
    expect(state.done()).toBe(true);
    expect(state.started("a", 21)).toEqual({ id: "a", since: 20 });
    expect(state.done()).toBe(false);
  });

  it("a start reported for the run the first stream reads needs no second stream", () => {
    const state = new LogFollowState();
    // Started between listening and listing: listed, and reported while its stream was opening.
    state.track("a");
    expect(state.started("a", 10.001)).toBeUndefined();
    state.opened("a", { running: true, startedAt: 10 });
    expect(state.closed("a")).toBeUndefined();
  });

  it("runs that began and ended while a stream was opening are in what it reads", () => {
    const state = new LogFollowState();
    state.track("a");
    state.started("a", 5);
    state.died("a", 6, true);
    state.started("a", 7);
    state.opened("a", { running: true, startedAt: 7 });
    expect(state.closed("a")).toBeUndefined();
  });

  it("a container stopped when following began is read from where it stopped when it starts", () => {
    const state = new LogFollowState();
    state.track("a");
    state.opened("a", { running: false, finishedAt: 5 });
    expect(state.closed("a")).toBeUndefined();
    // Compose keeps following a stopped container: it may start again.
    expect(state.done()).toBe(false);
    expect(state.started("a", 8)).toEqual({ id: "a", since: 5 });
  });

  it("a container created or started while following is read from its first line", () => {
    const state = new LogFollowState();
    state.track("a");
    state.opened("a", { running: true, startedAt: 1 });
    state.created("b");
    expect(state.started("b", 3)).toEqual({ id: "b", since: undefined });
    expect(state.started("c", 4)).toEqual({ id: "c", since: undefined });
  });

  it("a restart loop is read again from the first run not shown, with one stream at a time", () => {
    const state = new LogFollowState();
    state.track("a");
    state.opened("a", { running: true, startedAt: 10 });
    state.died("a", 11, true);
    expect(state.started("a", 12)).toBeUndefined();
    state.died("a", 13, true);
    expect(state.started("a", 14)).toBeUndefined();
    expect(state.closed("a")).toEqual({ id: "a", since: 11 });
    // The new stream opened during the run that began at 14: it covers the runs at 12 and 14.
    state.opened("a", { running: true, startedAt: 14 });
    expect(state.closed("a")).toBeUndefined();
  });

  it("a created container keeps following alive (it may replace one that stops) until it is removed", () => {
    const state = new LogFollowState();
    state.track("old");
    state.opened("old", { running: true, startedAt: 1 });
    state.created("new");
    state.died("old", 5, false);
    state.closed("old");
    expect(state.done()).toBe(false);
    state.destroyed("new");
    expect(state.done()).toBe(true);
  });

  it("a stream that fails before it opened reads a run started meanwhile from the die before it", () => {
    const state = new LogFollowState();
    state.track("a");
    state.died("a", 4, true);
    state.started("a", 5);
    expect(state.closed("a")).toEqual({ id: "a", since: 4 });
  });

  it("nothing to follow is done at once", () => {
    expect(new LogFollowState().done()).toBe(true);
  });
});

describe("engineTime", () => {
  it("reads the engine's RFC 3339 times with nanoseconds, and not Go's zero time", () => {
    expect(engineTime("at", "2024-01-02T03:04:05.5Z")).toEqual({ at: 1704164645.5 });
    expect(engineTime("at", "2024-01-02T03:04:05Z")).toEqual({ at: 1704164645 });
    expect(engineTime("at", "0001-01-01T00:00:00Z")).toEqual({});
    expect(engineTime("at", "garbage")).toEqual({});
  });
});
