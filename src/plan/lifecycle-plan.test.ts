import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import { formatPlan } from "./format.js";
import { planRemove, planStart, planStop } from "./lifecycle-plan.js";
import type { ObservedContainer, ObservedState } from "./state.js";

function container(
  service: string,
  number: number,
  overrides: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: `${service}${number}`,
    name: `demo-${service}-${number}`,
    service,
    number,
    oneoff: false,
    state: "exited",
    imageId: "sha256:x",
    dependsOn: [],
    labels: {},
    ...overrides,
  };
}

function state(containers: ObservedContainer[]): ObservedState {
  return {
    projectName: "demo",
    containers,
    networks: { demo_default: { id: "n1", name: "demo_default", project: "demo", key: "default" } },
    volumes: {},
    images: {},
  };
}

const project = makeProject("demo", [
  makeService("web", {
    dependsOn: {
      db: { condition: "service_healthy", required: true, restart: false },
      cache: { condition: "service_started", required: true, restart: false },
    },
  }),
  makeService("db"),
  makeService("cache"),
]);

describe("planStart", () => {
  it("starts dependencies first and waits for the conditions depends_on names", () => {
    const observed = state([container("web", 1), container("db", 1), container("cache", 1)]);
    expect(formatPlan(planStart(observed, { project }))).toBe(
      [
        "[] -> #1 service:cache:1, StartContainer, not running",
        "[] -> #2 service:db:1, StartContainer, not running",
        "[2] -> #3 service:db:1, WaitContainer, web needs it healthy",
        "[1,3] -> #4 service:web:1, StartContainer, not running",
        "",
      ].join("\n"),
    );
  });

  it("leaves running containers alone, still waits for their health, and skips one-off containers", () => {
    const observed = state([
      container("web", 1),
      container("db", 1, { state: "running" }),
      container("web", 0, { oneoff: true, name: "demo-web-run-abc" }),
    ]);
    expect(formatPlan(planStart(observed, { project }))).toBe(
      [
        "[] -> #1 service:db:1, WaitContainer, web needs it healthy",
        "[1] -> #2 service:web:1, StartContainer, not running",
        "",
      ].join("\n"),
    );
  });

  it("starts only the services named, and orders by name without a project", () => {
    const observed = state([container("web", 1), container("db", 1), container("db", 2)]);
    expect(formatPlan(planStart(observed, { services: ["db"] }))).toBe(
      [
        "[] -> #1 service:db:1, StartContainer, not running",
        "[] -> #2 service:db:2, StartContainer, not running",
        "",
      ].join("\n"),
    );
  });
});

describe("planStop", () => {
  it("stops running containers only, dependents first, with -t on each", () => {
    const observed = state([
      container("web", 1, { state: "running", dependsOn: ["db"] }),
      container("db", 1, { state: "running" }),
      container("cache", 1),
    ]);
    const plan = planStop(observed, { project, timeoutSeconds: 3 });
    expect(formatPlan(plan)).toBe(
      ["[] -> #1 service:web:1, StopContainer, stop", "[1] -> #2 service:db:1, StopContainer, stop", ""].join(
        "\n",
      ),
    );
    expect(plan.nodes[0]!.operation).toMatchObject({ timeoutSeconds: 3 });
  });

  it("leaves orphans and one-off containers alone", () => {
    const observed = state([
      container("gone", 1, { state: "running" }),
      container("web", 0, { oneoff: true, state: "running", name: "demo-web-run-abc" }),
    ]);
    expect(planStop(observed, { project }).nodes).toEqual([]);
  });
});

describe("planRemove", () => {
  it("removes stopped containers, one-off ones too, and never a network", () => {
    const observed = state([
      container("web", 1, { state: "running" }),
      container("db", 1),
      container("web", 0, { oneoff: true, name: "demo-web-run-abc" }),
    ]);
    expect(formatPlan(planRemove(observed, { project }))).toBe(
      [
        "[] -> #1 oneoff:demo-web-run-abc, RemoveContainer, rm",
        "[] -> #2 service:db:1, RemoveContainer, rm",
        "",
      ].join("\n"),
    );
  });

  it("with stop (-s) stops running ones first; with volumes (-v) removes anonymous volumes", () => {
    const observed = state([container("web", 1, { state: "running" })]);
    const plan = planRemove(observed, { project, stop: true, volumes: true });
    expect(formatPlan(plan)).toBe(
      ["[] -> #1 service:web:1, StopContainer, rm", "[1] -> #2 service:web:1, RemoveContainer, rm", ""].join(
        "\n",
      ),
    );
    expect(plan.nodes[1]!.operation).toMatchObject({ volumes: true });
  });
});
