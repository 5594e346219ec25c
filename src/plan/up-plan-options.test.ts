// planUp's options for `up --no-deps`, `up --scale`, `create` (no starts) and `subset.keepNodes`.
import { describe, expect, it } from "vitest";
import { ProjectError } from "../errors.js";
import { makeProject, makeService } from "../model/project-builder.js";
import { formatPlan } from "./format.js";
import type { ObservedState } from "./state.js";
import { keepNodes } from "./subset.js";
import { planUp } from "./up-plan.js";

const project = makeProject("demo", [
  makeService("web", {
    image: "busybox",
    dependsOn: { db: { condition: "service_healthy", required: true, restart: false } },
  }),
  makeService("db", { image: "busybox" }),
]);

const empty: ObservedState = {
  projectName: "demo",
  containers: [],
  networks: {},
  volumes: {},
  images: { busybox: "sha256:busybox" },
};

describe("planUp options", () => {
  it("--no-deps plans the named service alone, without waiting for its dependencies", () => {
    expect(formatPlan(planUp(project, empty, { services: ["web"], noDeps: true }))).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:web:1, CreateContainer, no existing container",
        "[2] -> #3 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("--scale replaces the replica count", () => {
    const plan = formatPlan(planUp(project, empty, { services: ["db"], scale: { db: 2 } }));
    expect(plan).toContain("service:db:2, CreateContainer");
    expect(() => planUp(project, empty, { scale: { nope: 2 } })).toThrow(ProjectError);
  });

  it("noStart (create) keeps the creations in order and drops starts and waits", () => {
    expect(formatPlan(planUp(project, empty, { noStart: true }))).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:db:1, CreateContainer, no existing container",
        "[1] -> #3 service:web:1, CreateContainer, no existing container",
        "",
      ].join("\n"),
    );
  });
});

describe("keepNodes", () => {
  it("a kept node depending on a dropped one depends on what that one depended on", () => {
    const nodes = planUp(project, empty).nodes;
    const kept = keepNodes(nodes, (node) => node.operation.type !== "WaitContainer");
    expect(formatPlan({ nodes: kept })).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:db:1, CreateContainer, no existing container",
        "[2] -> #3 service:db:1, StartContainer, created",
        "[1] -> #4 service:web:1, CreateContainer, no existing container",
        "[3,4] -> #5 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });
});
