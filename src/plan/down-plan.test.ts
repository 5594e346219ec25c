import { describe, expect, it } from "vitest";
import { makeProject, makeService } from "../model/project-builder.js";
import { planDown } from "./down-plan.js";
import { formatPlan } from "./format.js";
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
    state: "running",
    imageId: "sha256:x",
    dependsOn: [],
    labels: {},
    ...overrides,
  };
}

const observed: ObservedState = {
  projectName: "demo",
  containers: [container("web", 1, { dependsOn: ["db"] }), container("db", 1)],
  networks: {
    demo_default: { id: "n1", name: "demo_default", project: "demo", key: "default" },
    bridge: { id: "n0", name: "bridge" },
  },
  volumes: { demo_data: { name: "demo_data", project: "demo", key: "data" } },
  images: {},
};

describe("planDown", () => {
  it("stops dependents first, removes containers, then the network", () => {
    expect(formatPlan(planDown(observed))).toBe(
      [
        "[] -> #1 service:web:1, StopContainer, project down",
        "[1] -> #2 service:web:1, RemoveContainer, project down",
        "[1] -> #3 service:db:1, StopContainer, project down",
        "[3] -> #4 service:db:1, RemoveContainer, project down",
        "[2,4] -> #5 network:default, RemoveNetwork, project down",
        "",
      ].join("\n"),
    );
  });

  it("removes volumes only with -v, and passes -t to every stop", () => {
    const plan = planDown(observed, { volumes: true, timeoutSeconds: 2 });
    expect(formatPlan(plan)).toContain("[2,4] -> #6 volume:data, RemoveVolume, project down (-v)");
    expect(plan.nodes[0]!.operation).toEqual({
      type: "StopContainer",
      container: { id: "web1", name: "demo-web-1" },
      timeoutSeconds: 2,
    });
    expect(plan.nodes[1]!.operation).toMatchObject({ type: "RemoveContainer", volumes: true });
  });

  it("removes stopped containers without stopping them", () => {
    const plan = planDown({
      ...observed,
      containers: [container("db", 1, { state: "exited" })],
      networks: {},
    });
    expect(formatPlan(plan)).toBe("[] -> #1 service:db:1, RemoveContainer, project down\n");
  });

  it("with -t 0, removes each container with one forced remove, dependents first", () => {
    const plan = planDown(observed, { timeoutSeconds: 0 });
    expect(formatPlan(plan)).toBe(
      [
        "[] -> #1 service:web:1, RemoveContainer, project down",
        "[1] -> #2 service:db:1, RemoveContainer, project down",
        "[1,2] -> #3 network:default, RemoveNetwork, project down",
        "",
      ].join("\n"),
    );
    expect(plan.nodes[0]!.operation).toEqual({
      type: "RemoveContainer",
      container: { id: "web1", name: "demo-web-1" },
      volumes: false,
      force: true,
    });
  });

  it("gives a running container its stop when -t grants time, and a stopped one a forced remove", () => {
    const plan = planDown(
      { ...observed, containers: [container("web", 1), container("db", 1, { state: "exited" })] },
      { timeoutSeconds: 1 },
    );
    const operations = plan.nodes.map((node) => node.operation);
    expect(operations.filter((op) => op.type === "StopContainer")).toHaveLength(1);
    expect(operations).toContainEqual({
      type: "RemoveContainer",
      container: { id: "db1", name: "demo-db-1" },
      volumes: false,
      force: true,
    });
    expect(operations).toContainEqual({
      type: "RemoveContainer",
      container: { id: "web1", name: "demo-web-1" },
      volumes: false,
    });
  });

  it("with a project, leaves orphans unless asked and warns about them", () => {
    const project = makeProject("demo", [makeService("db", { image: "busybox" })]);
    const plan = planDown(observed, { project });
    expect(formatPlan(plan)).not.toContain("web");
    expect(plan.warnings[0]).toContain("Found orphan containers (demo-web-1)");
    expect(formatPlan(planDown(observed, { project, removeOrphans: true }))).toContain(
      "orphan:demo-web-1, StopContainer, orphaned container",
    );
  });

  it("has nothing to do for a project that does not exist", () => {
    expect(
      planDown({ projectName: "nope", containers: [], networks: {}, volumes: {}, images: {} }).nodes,
    ).toEqual([]);
  });
});
