// up's plan for a project network whose settings changed since it was made (config-hash label).
import { describe, expect, it } from "vitest";
import { configHash, networkConfigHash } from "../model/config-hash.js";
import { makeNetwork, makeProject, makeService } from "../model/project-builder.js";
import type { Project, Service } from "../model/project.js";
import { formatPlan } from "./format.js";
import type { AttachedContainer, ObservedContainer, ObservedNetwork, ObservedState } from "./state.js";
import { planUp, type UpPlanOptions } from "./up-plan.js";

const IMAGE_ID = "sha256:busybox";
const web = makeService("web", { image: "busybox", command: ["sleep", "1000"] });
const db = makeService("db", { image: "busybox" });
/** The project as the network was made: default network without a subnet. */
const before = makeProject("demo", [db, web]);
/** The files now: the default network asks for a subnet. */
const after: Project = {
  ...before,
  networks: {
    default: makeNetwork("demo", "default", {
      ipam: { config: [{ subnet: "10.99.0.0/24", auxAddresses: {} }], options: {} },
    }),
  },
};

function running(project: Project, service: Service, overrides: Partial<ObservedContainer> = {}) {
  return {
    id: `${service.name}1`.padEnd(64, "0"),
    name: `${project.name}-${service.name}-1`,
    service: service.name,
    number: 1,
    oneoff: false,
    state: "running",
    configHash: configHash(project, service),
    imageId: IMAGE_ID,
    dependsOn: [],
    labels: {},
    ...overrides,
  } satisfies ObservedContainer;
}

function attachedOf(container: ObservedContainer, project = "demo"): AttachedContainer {
  return { id: container.id, name: container.name, project, oneoff: container.oneoff };
}

/** What observe() sees: the network as `before` made it, with these containers on it. */
function observed(containers: ObservedContainer[], network: Partial<ObservedNetwork> = {}): ObservedState {
  return {
    projectName: "demo",
    containers,
    networks: {
      demo_default: {
        id: "net1",
        name: "demo_default",
        project: "demo",
        key: "default",
        configHash: networkConfigHash(before.networks["default"]!),
        attached: containers.map((container) => attachedOf(container)),
        ...network,
      },
    },
    volumes: {},
    images: { busybox: IMAGE_ID },
  };
}

function plan(project: Project, state: ObservedState, options: UpPlanOptions = {}) {
  return planUp(project, state, options);
}

describe("planUp with a project network whose config changed", () => {
  const containers = [running(before, db), running(before, web)];

  it("does nothing when the network's hash matches the files", () => {
    const result = plan(before, observed(containers));
    expect(formatPlan(result)).toBe("");
    expect(result.errors).toEqual([]);
  });

  it("removes the attached containers, recreates the network, then makes the containers again", () => {
    const result = plan(after, observed(containers));
    expect(result.errors).toEqual([]);
    expect(formatPlan(result)).toBe(
      [
        "[] -> #1 service:db:1, StopContainer, network default config changed",
        "[1] -> #2 service:db:1, RemoveContainer, network default config changed",
        "[] -> #3 service:web:1, StopContainer, network default config changed",
        "[3] -> #4 service:web:1, RemoveContainer, network default config changed",
        "[2,4] -> #5 network:default, RemoveNetwork, config changed",
        "[5] -> #6 network:default, CreateNetwork, config changed, recreated",
        "[2,6] -> #7 service:db:1, CreateContainer, network default config changed",
        "[7] -> #8 service:db:1, StartContainer, created",
        "[4,6] -> #9 service:web:1, CreateContainer, network default config changed",
        "[9] -> #10 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("recreates a network with nothing on it without touching containers elsewhere", () => {
    const result = plan(after, observed(containers, { attached: [] }));
    expect(formatPlan(result)).toBe(
      [
        "[] -> #1 network:default, RemoveNetwork, config changed",
        "[1] -> #2 network:default, CreateNetwork, config changed, recreated",
        "",
      ].join("\n"),
    );
  });

  it("leaves a network made before it carried a config hash as it is", () => {
    const result = plan(after, observed(containers, { configHash: undefined }));
    expect(formatPlan(result)).toBe("");
  });

  it("refuses, naming them, when another project's containers are on the network", () => {
    const stranger = { id: "x".repeat(64), name: "other-app-1", project: "other", oneoff: false };
    const state = observed(containers);
    state.networks["demo_default"]!.attached!.push(stranger);
    const result = plan(after, state);
    expect(result.errors).toEqual([
      "network demo_default: config changed and it must be recreated, but other containers are on it: other-app-1 (project other); stop and remove them or disconnect them (docker network disconnect demo_default <container>), then run up again",
    ]);
    expect(formatPlan(result)).not.toContain("RemoveNetwork");
  });

  it("refuses when a service this up does not bring up has containers on it", () => {
    const result = plan(after, observed(containers), { services: ["web"], noDeps: true });
    expect(result.errors).toEqual([
      "network demo_default: config changed and it must be recreated, but containers of services this up does not start are on it: demo-db-1; run up for db as well (or for every service)",
    ]);
  });

  it("removes a stopped container without a stop, and makes it again", () => {
    const stopped = running(before, web, { state: "exited" });
    const result = plan(after, observed([running(before, db), stopped]));
    expect(formatPlan(result)).toContain(
      "[] -> #3 service:web:1, RemoveContainer, network default config changed",
    );
    expect(formatPlan(result)).toContain(
      "[3,5] -> #8 service:web:1, CreateContainer, network default config changed",
    );
  });

  it("refuses when a one-off run container of the project is on it", () => {
    const oneoff = running(before, web, {
      id: "r".repeat(64),
      name: "demo-web-run-1",
      oneoff: true,
      number: 0,
    });
    const result = plan(after, observed([...containers, oneoff]));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain("demo-web-run-1 (a one-off run container)");
    expect(formatPlan(result)).toBe("");
  });

  it("removes a container on two changed networks once, and makes it again after both", () => {
    const two = makeService("web", {
      image: "busybox",
      networks: { default: { aliases: [] }, back: { aliases: [] } },
    });
    const old = makeProject("demo", [two]);
    const pool = (subnet: string) => ({ config: [{ subnet, auxAddresses: {} }], options: {} });
    const now: Project = {
      ...old,
      networks: {
        default: makeNetwork("demo", "default", { ipam: pool("10.98.0.0/24") }),
        back: makeNetwork("demo", "back", { internal: true }),
      },
    };
    const container = running(old, two);
    const state = observed([container]);
    state.networks["demo_back"] = {
      id: "net2",
      name: "demo_back",
      project: "demo",
      key: "back",
      configHash: networkConfigHash(old.networks["back"]!),
      attached: [attachedOf(container)],
    };
    expect(formatPlan(plan(now, state))).toBe(
      [
        "[] -> #1 service:web:1, StopContainer, network back config changed",
        "[1] -> #2 service:web:1, RemoveContainer, network back config changed",
        "[2] -> #3 network:back, RemoveNetwork, config changed",
        "[3] -> #4 network:back, CreateNetwork, config changed, recreated",
        "[2] -> #5 network:default, RemoveNetwork, config changed",
        "[5] -> #6 network:default, CreateNetwork, config changed, recreated",
        "[2,4,6] -> #7 service:web:1, CreateContainer, network back config changed",
        "[7] -> #8 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("keeps the network and warns under --no-recreate", () => {
    const result = plan(after, observed(containers), { noRecreate: true });
    expect(formatPlan(result)).toBe("");
    expect(result.warnings).toEqual([
      "network demo_default: config changed, kept as it is (--no-recreate, or a one-off run); `composec up` recreates it",
    ]);
  });

  it("never touches an external network", () => {
    const external: Project = {
      ...after,
      networks: { default: { ...after.networks["default"]!, external: true, name: "demo_default" } },
    };
    expect(formatPlan(plan(external, observed(containers)))).toBe("");
  });
});
