import { describe, expect, it } from "vitest";
import { ProjectError } from "../errors.js";
import { configHash } from "../model/config-hash.js";
import { makeNetwork, makeProject, makeService, makeVolume } from "../model/project-builder.js";
import type { Project, Service } from "../model/project.js";
import { formatPlan } from "./format.js";
import type { ObservedContainer, ObservedState } from "./state.js";
import { planUp, type UpPlanOptions } from "./up-plan.js";

const IMAGE_ID = "sha256:busybox";

function state(
  project: Project,
  containers: ObservedContainer[] = [],
  extra: Partial<ObservedState> = {},
): ObservedState {
  const images: Record<string, string | null> = {};
  for (const service of Object.values(project.services)) if (service.image) images[service.image] = IMAGE_ID;
  return { projectName: project.name, containers, networks: {}, volumes: {}, images, ...extra };
}

/** A container as `up` would have left it for `service` of `project`. */
function running(
  project: Project,
  service: Service,
  number = 1,
  overrides: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: `${service.name}${number}`.padEnd(64, "0"),
    name: `${project.name}-${service.name}-${number}`,
    service: service.name,
    number,
    oneoff: false,
    state: "running",
    configHash: configHash(project, service),
    imageId: IMAGE_ID,
    dependsOn: Object.keys(service.dependsOn),
    labels: {},
    ...overrides,
  };
}

function existingNetworks(project: Project): ObservedState["networks"] {
  return Object.fromEntries(
    Object.values(project.networks).map((network) => [
      network.name,
      { id: network.name, name: network.name, project: project.name },
    ]),
  );
}

function text(project: Project, observed: ObservedState, options: UpPlanOptions = {}): string {
  return formatPlan(planUp(project, observed, options));
}

const web = makeService("web", { image: "busybox", command: ["sleep", "1000"] });
const db = makeService("db", { image: "busybox" });

describe("planUp on a new project", () => {
  it("creates the network, then creates and starts each container", () => {
    const project = makeProject("demo", [web]);
    expect(text(project, state(project))).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:web:1, CreateContainer, no existing container",
        "[2] -> #3 service:web:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("creates named volumes and one container per replica", () => {
    const worker = makeService("worker", {
      image: "busybox",
      replicas: 2,
      volumes: [{ type: "volume", source: "data", target: "/data", readOnly: false, nocopy: false }],
    });
    const project = makeProject("demo", [worker]);
    expect(text(project, state(project))).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[] -> #2 volume:data, CreateVolume, not found",
        "[1,2] -> #3 service:worker:1, CreateContainer, no existing container",
        "[3] -> #4 service:worker:1, StartContainer, created",
        "[1,2] -> #5 service:worker:2, CreateContainer, no existing container",
        "[5] -> #6 service:worker:2, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("starts a dependent after its dependency started, and after it is healthy when asked", () => {
    const api = makeService("api", {
      image: "busybox",
      dependsOn: {
        db: { condition: "service_healthy", required: true, restart: false },
        cache: { condition: "service_started", required: true, restart: false },
      },
    });
    const cache = makeService("cache", { image: "busybox" });
    const project = makeProject("demo", [api, cache, db]);
    expect(text(project, state(project))).toBe(
      [
        "[] -> #1 network:default, CreateNetwork, not found",
        "[1] -> #2 service:cache:1, CreateContainer, no existing container",
        "[2] -> #3 service:cache:1, StartContainer, created",
        "[1] -> #4 service:db:1, CreateContainer, no existing container",
        "[4] -> #5 service:db:1, StartContainer, created",
        "[1] -> #6 service:api:1, CreateContainer, no existing container",
        "[5] -> #7 service:db:1, WaitContainer, api needs it healthy",
        "[3,6,7] -> #8 service:api:1, StartContainer, created",
        "",
      ].join("\n"),
    );
  });

  it("waits for a one-shot dependency to complete", () => {
    const migrate = makeService("migrate", { image: "busybox" });
    const app = makeService("app", {
      image: "busybox",
      dependsOn: { migrate: { condition: "service_completed_successfully", required: true, restart: false } },
    });
    const project = makeProject("demo", [app, migrate]);
    const plan = planUp(project, state(project));
    expect(formatPlan(plan)).toContain("[3] -> #5 service:migrate:1, WaitContainer, app needs it completed");
    expect(formatPlan(plan)).toContain("[4,5] -> #6 service:app:1, StartContainer, created");
  });
});

describe("planUp on an existing project", () => {
  const project = makeProject("demo", [web, db]);
  const networks = existingNetworks(project);

  it("does nothing when every container runs with its current config", () => {
    const plan = planUp(project, state(project, [running(project, db), running(project, web)], { networks }));
    expect(formatPlan(plan)).toBe("");
    expect(plan.unchanged.map((entry) => `${entry.name} ${entry.state}`)).toEqual([
      "demo-db-1 running",
      "demo-web-1 running",
    ]);
  });

  it("starts a stopped container", () => {
    const observed = state(project, [running(project, db, 1, { state: "exited" }), running(project, web)], {
      networks,
    });
    expect(text(project, observed)).toBe("[] -> #1 service:db:1, StartContainer, not running\n");
  });

  it("recreates a changed service: new container first, then stop, remove, rename, start", () => {
    const old = running(project, web, 1, { configHash: "stale" });
    const observed = state(project, [running(project, db), old], { networks });
    expect(text(project, observed)).toBe(
      [
        "[] -> #1 service:web:1, CreateContainer, config changed [recreate:web:1]",
        "[1] -> #2 service:web:1, StopContainer, replaced by #1 [recreate:web:1]",
        "[2] -> #3 service:web:1, RemoveContainer, replaced by #1 [recreate:web:1]",
        "[3] -> #4 service:web:1, RenameContainer, take the old name [recreate:web:1]",
        "[4] -> #5 service:web:1, StartContainer, recreated",
        "",
      ].join("\n"),
    );
    const create = planUp(project, observed).nodes[0]!.operation;
    expect(create).toMatchObject({
      type: "CreateContainer",
      createAs: `${old.id.slice(0, 12)}_demo-web-1`,
      name: "demo-web-1",
    });
  });

  it("recreates a container whose image changed", () => {
    const observed = state(
      project,
      [running(project, db), running(project, web, 1, { imageId: "sha256:old" })],
      { networks },
    );
    expect(text(project, observed)).toContain("#1 service:web:1, CreateContainer, image changed");
  });

  it("--force-recreate recreates the named services only; --no-recreate keeps changed ones", () => {
    const observed = state(
      project,
      [running(project, db), running(project, web, 1, { configHash: "stale" })],
      { networks },
    );
    const forced = text(project, observed, { forceRecreate: true, services: ["db"] });
    expect(forced).toContain("service:db:1, CreateContainer, forced (--force-recreate)");
    expect(forced).not.toContain("service:web");
    expect(text(project, observed, { noRecreate: true })).toBe("");
  });

  it("scales down extra replicas", () => {
    const observed = state(project, [running(project, db), running(project, web), running(project, web, 2)], {
      networks,
    });
    expect(text(project, observed, { timeoutSeconds: 3 })).toBe(
      [
        "[] -> #1 service:web:2, StopContainer, scale down",
        "[1] -> #2 service:web:2, RemoveContainer, scale down",
        "",
      ].join("\n"),
    );
    expect(planUp(project, observed, { timeoutSeconds: 3 }).nodes[0]!.operation).toMatchObject({
      timeoutSeconds: 3,
    });
  });

  it("warns about orphans, and removes them with --remove-orphans", () => {
    const orphan = running(project, makeService("old", { image: "busybox" }));
    const observed = state(project, [running(project, db), running(project, web), orphan], { networks });
    const plan = planUp(project, observed);
    expect(formatPlan(plan)).toBe("");
    expect(plan.warnings[0]).toContain("Found orphan containers (demo-old-1)");
    expect(text(project, observed, { removeOrphans: true })).toBe(
      [
        "[] -> #1 orphan:demo-old-1, StopContainer, orphaned container",
        "[1] -> #2 orphan:demo-old-1, RemoveContainer, orphaned container",
        "",
      ].join("\n"),
    );
  });

  it("resolves a duplicate left by an interrupted recreate in favour of the canonical name", () => {
    const canonical = running(project, web);
    const leftover = running(project, web, 1, {
      id: "f".repeat(64),
      name: `ffffffffffff_demo-web-1`,
      state: "created",
    });
    const observed = state(project, [running(project, db), canonical, leftover], { networks });
    expect(text(project, observed)).toBe(
      "[] -> #1 service:web:1, RemoveContainer, duplicate container number\n",
    );
  });
});

describe("planUp with selected services", () => {
  const api = makeService("api", {
    image: "busybox",
    dependsOn: { db: { condition: "service_started", required: true, restart: false } },
  });
  const project = makeProject("demo", [api, db, web]);

  it("plans the named services and their dependencies only", () => {
    const plan = text(project, state(project), { services: ["api"] });
    expect(plan).toContain("service:api:1");
    expect(plan).toContain("service:db:1");
    expect(plan).not.toContain("service:web:1");
  });

  it("refuses an unknown service, naming the valid ones", () => {
    expect(() => planUp(project, state(project), { services: ["nope"] })).toThrow(ProjectError);
    expect(() => planUp(project, state(project), { services: ["nope"] })).toThrow(
      'no such service: "nope"; the project\'s services are: api, db, web',
    );
  });
});

describe("planUp errors and warnings (nothing may run)", () => {
  it("reports a missing image for a container it must create, unless the pull step fetches it", () => {
    const project = makeProject("demo", [makeService("web", { image: "nothere:1" })]);
    const observed = { ...state(project), images: { "nothere:1": null } };
    expect(planUp(project, observed).errors).toEqual([
      'service "web": image "nothere:1" is not present on the engine; pull it first (composec pull web), or load or build it (docker load, docker build)',
    ]);
    const pulled = planUp(project, observed, { pulling: ["nothere:1"] });
    expect(pulled.errors).toEqual([]);
    expect(formatPlan(pulled)).toContain("CreateContainer");
  });

  it("reports a missing external network and volume", () => {
    const service = makeService("web", {
      image: "busybox",
      networks: { outside: { aliases: [] } },
      volumes: [{ type: "volume", source: "shared", target: "/shared", readOnly: false, nocopy: false }],
    });
    const project = makeProject("demo", [service], {
      networks: { outside: makeNetwork("demo", "outside", { name: "outside", external: true }) },
      volumes: { shared: makeVolume("demo", "shared", { name: "shared", external: true }) },
    });
    const plan = planUp(project, state(project));
    expect(plan.errors).toEqual([
      'network "outside" is declared external but does not exist; create it (docker network create outside) or remove external: true',
      'volume "shared" is declared external but does not exist; create it (docker volume create shared) or remove external: true',
    ]);
  });

  it("warns when a network of that name belongs to something else", () => {
    const project = makeProject("demo", [web]);
    const networks = { demo_default: { id: "n", name: "demo_default" } };
    expect(planUp(project, state(project, [], { networks })).warnings).toEqual([
      "a network named demo_default exists but was not created by Compose; set external: true to use an existing network",
    ]);
  });

  it("refuses container_name with several replicas", () => {
    const project = makeProject("demo", [
      makeService("web", { image: "busybox", containerName: "x", replicas: 2 }),
    ]);
    expect(planUp(project, state(project)).errors[0]).toContain('container_name "x" names one container');
  });
});
