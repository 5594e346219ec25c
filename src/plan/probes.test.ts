// Leftover env-shim probes: `down` and `up` plan one forced removal each, by the probe's own label.
import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import { planDown } from "./down-plan.js";
import { formatPlan } from "./format.js";
import { emptyState, type ObservedState } from "./state.js";
import { planUp } from "./up-plan.js";

const withProbes: ObservedState = {
  ...emptyState("demo"),
  probes: [
    { id: "p2", name: "demo-shim-probe-bbbb" },
    { id: "p1", name: "demo-shim-probe-aaaa" },
  ],
};

describe("leftover env-shim probes", () => {
  it("down removes each one (forced, with its anonymous volumes), before the networks", () => {
    const plan = planDown({
      ...withProbes,
      networks: { demo_default: { id: "n1", name: "demo_default", project: "demo", key: "default" } },
    });
    expect(formatPlan(plan)).toBe(
      [
        "[] -> #1 probe:demo-shim-probe-aaaa, RemoveContainer, leftover env-shim probe",
        "[] -> #2 probe:demo-shim-probe-bbbb, RemoveContainer, leftover env-shim probe",
        "[1,2] -> #3 network:default, RemoveNetwork, project down",
        "",
      ].join("\n"),
    );
    expect(plan.nodes[0]!.operation).toEqual({
      type: "RemoveContainer",
      container: { id: "p1", name: "demo-shim-probe-aaaa" },
      volumes: true,
      force: true,
    });
  });

  it("down from the files removes them too, and with none there is nothing to do", () => {
    const project = makeProject("demo", [makeService("web", { image: "x" })]);
    expect(planDown(withProbes, { project }).nodes.map((node) => node.resource)).toEqual([
      "probe:demo-shim-probe-aaaa",
      "probe:demo-shim-probe-bbbb",
    ]);
    expect(planDown(emptyState("demo"), { project }).nodes).toEqual([]);
  });

  it("up removes them beside what it creates, and also with --no-start", () => {
    const project = makeProject("demo", [makeService("web", { image: "x" })]);
    const state: ObservedState = { ...withProbes, images: { x: "sha256:x" } };
    for (const noStart of [false, true]) {
      const removals = planUp(project, state, { noStart }).nodes.filter((node) =>
        node.resource.startsWith("probe:"),
      );
      expect(removals.map((node) => [node.resource, node.operation.type, node.dependsOn])).toEqual([
        ["probe:demo-shim-probe-aaaa", "RemoveContainer", []],
        ["probe:demo-shim-probe-bbbb", "RemoveContainer", []],
      ]);
    }
  });
});
