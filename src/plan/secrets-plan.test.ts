import { describe, expect, it } from "vitest";
import { configHash } from "../model/config-hash.js";
import { makeProject, makeService } from "../model/project-builder.js";
import type { Project, Service, ServiceSecret } from "../model/project.js";
import { formatPlan } from "./format.js";
import {
  describeRecreate,
  oneoffDelivery,
  planSecrets,
  RELOAD_SIGNAL_EXTENSION,
  type FreshMaterial,
} from "./secrets-plan.js";
import type { ObservedContainer, ObservedMaterial, ObservedState } from "./state.js";
import { planUp } from "./up-plan.js";

const IMAGE_ID = "sha256:busybox";
const grant = (source: string, target: string): ServiceSecret => ({
  source,
  target,
  uid: 0,
  gid: 0,
  mode: 0o444,
});

const web = makeService("web", {
  image: "busybox",
  secrets: [grant("db", "/run/secrets/db"), grant("tls", "/etc/tls/key.pem")],
  configs: [grant("app_conf", "/etc/app.conf")],
});
const project = makeProject("demo", [web, makeService("plain", { image: "busybox" })]);

/** Digests as the material executor computes them (opaque strings here). */
function fresh(digests: Partial<Record<string, string>> = {}): FreshMaterial {
  return {
    web: [
      { kind: "secret", source: "db", target: "/run/secrets/db", digest: digests.db ?? "d1" },
      { kind: "secret", source: "tls", target: "/etc/tls/key.pem", digest: digests.tls ?? "t1" },
      { kind: "config", source: "app_conf", target: "/etc/app.conf", digest: digests.conf ?? "c1" },
    ],
  };
}

const inPlace: ObservedMaterial = {
  delivered: { web: { "/run/secrets/db": "d1", "/etc/tls/key.pem": "t1", "/etc/app.conf": "c1" } },
  services: ["web"],
};

function running(
  p: Project,
  service: Service,
  overrides: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: `${service.name}1`.padEnd(64, "0"),
    name: `${p.name}-${service.name}-1`,
    service: service.name,
    number: 1,
    oneoff: false,
    state: "running",
    configHash: configHash(p, service),
    imageId: IMAGE_ID,
    dependsOn: [],
    labels: {},
    ...overrides,
  };
}

function state(p: Project, containers: ObservedContainer[], material?: ObservedMaterial): ObservedState {
  return {
    projectName: p.name,
    containers,
    networks: { demo_default: { id: "n", name: "demo_default", project: p.name } },
    volumes: {},
    images: { busybox: IMAGE_ID },
    ...(material === undefined ? {} : { material }),
  };
}

describe("planSecrets", () => {
  it("a service never delivered: everything is written, existing containers are remade", () => {
    const plan = planSecrets({ project, selected: ["web", "plain"], fresh: fresh() });
    expect(plan.services.web!.reasons).toEqual(["not delivered yet"]);
    expect(plan.services.web!.liveTargets).toEqual(["/run/secrets/db"]);
    expect(plan.services.web!.absoluteTargets).toEqual(["/etc/tls/key.pem", "/etc/app.conf"]);
    expect(plan.services.plain).toBeUndefined();
    expect(describeRecreate(plan.recreate.web!)).toBe("secrets delivered anew");
  });

  it("unchanged material: no reason, no recreate", () => {
    const plan = planSecrets({ project, selected: ["web"], fresh: fresh(), observed: inPlace });
    expect(plan.services.web!.reasons).toEqual([]);
    expect(plan.services.web!.liveTargets).toEqual([]);
    expect(plan.recreate).toEqual({});
  });

  it("a secret changed under /run/secrets changes in place, without a recreate", () => {
    const plan = planSecrets({ project, selected: ["web"], fresh: fresh({ db: "d2" }), observed: inPlace });
    expect(plan.services.web!.reasons).toEqual(["secret db changed"]);
    expect(plan.services.web!.liveTargets).toEqual(["/run/secrets/db"]);
    expect(plan.recreate).toEqual({});
  });

  it("a secret or config changed at an absolute target recreates, naming both kinds", () => {
    const plan = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ tls: "t2", conf: "c2" }),
      observed: inPlace,
    });
    expect(plan.services.web!.reasons).toEqual([
      "secret tls changed at /etc/tls/key.pem",
      "config app_conf changed at /etc/app.conf",
    ]);
    expect(plan.recreate.web).toEqual({
      kind: "absolute-changed",
      files: [
        { kind: "secret", target: "/etc/tls/key.pem" },
        { kind: "config", target: "/etc/app.conf" },
      ],
    });
    expect(describeRecreate(plan.recreate.web!)).toBe(
      "secret and config changed at /etc/tls/key.pem, /etc/app.conf",
    );
  });

  it("a config alone changed at an absolute target says config", () => {
    const plan = planSecrets({ project, selected: ["web"], fresh: fresh({ conf: "c2" }), observed: inPlace });
    expect(describeRecreate(plan.recreate.web!)).toBe("config changed at /etc/app.conf");
  });

  it("a file no longer granted and a new grant are reasons to write", () => {
    const observed: ObservedMaterial = {
      delivered: { web: { ...inPlace.delivered.web, "/run/secrets/old": "o1" } },
      services: ["web"],
    };
    const added = { ...fresh(), web: [...fresh().web!.filter((f) => f.source !== "db")] };
    added.web!.push({ kind: "secret", source: "api", target: "/run/secrets/api", digest: "a1" });
    const plan = planSecrets({ project, selected: ["web"], fresh: added, observed });
    expect(plan.services.web!.reasons).toEqual([
      "secret api not in place",
      "file at /run/secrets/db removed",
      "file at /run/secrets/old removed",
    ]);
  });

  it("a delivered file gone from the store is a reason to write it again, not a change", () => {
    const observed: ObservedMaterial = {
      ...inPlace,
      missing: { web: ["/run/secrets/db", "/etc/tls/key.pem"] },
    };
    const plan = planSecrets({ project, selected: ["web"], fresh: fresh(), observed });
    expect(plan.services.web!.reasons).toEqual([
      "secret db missing",
      "secret tls missing at /etc/tls/key.pem",
    ]);
    expect(plan.services.web!.liveTargets).toEqual([]);
    expect(plan.services.web!.absoluteTargets).toEqual([]);
    expect(plan.recreate).toEqual({});
    // Missing and changed: the change is the reason (its bytes are written anyway).
    const changed = planSecrets({ project, selected: ["web"], fresh: fresh({ db: "d2" }), observed });
    expect(changed.services.web!.reasons).toEqual([
      "secret db changed",
      "secret tls missing at /etc/tls/key.pem",
    ]);
  });

  it("no key in place yet (empty digests): everything counts as changed", () => {
    const plan = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ db: "", tls: "", conf: "" }),
      observed: inPlace,
    });
    expect(plan.services.web!.liveTargets).toEqual(["/run/secrets/db"]);
    expect(plan.recreate.web?.kind).toBe("absolute-changed");
  });

  it("a changed secret read into a variable recreates (an environment cannot change in place)", () => {
    const withEnv = { ...web, envSecrets: { DB_PASSWORD: "/run/secrets/db" } };
    const p = makeProject("demo", [withEnv]);
    const plan = planSecrets({
      project: p,
      selected: ["web"],
      fresh: fresh({ db: "d2" }),
      observed: inPlace,
    });
    expect(describeRecreate(plan.recreate.web!)).toBe("secret read into DB_PASSWORD changed");
    const unchanged = planSecrets({ project: p, selected: ["web"], fresh: fresh(), observed: inPlace });
    expect(unchanged.recreate).toEqual({});
  });

  it("material of services gone goes, unless kept (orphans still running); a one-off removes nothing", () => {
    const observed: ObservedMaterial = {
      delivered: { ...inPlace.delivered, gone: {} },
      services: ["gone", "web"],
    };
    const args = { project, selected: ["web"], fresh: fresh(), observed };
    expect(planSecrets({ ...args, keep: new Set() }).remove).toEqual(["gone"]);
    expect(planSecrets({ ...args, keep: new Set(["gone"]) }).remove).toEqual([]);
    expect(planSecrets(args).remove).toEqual([]);
  });

  it("the mounts are the service's directory and one file per absolute target, in the store's layout", () => {
    const mounts = planSecrets({ project, selected: ["web"], fresh: fresh() }).services.web!.mounts;
    expect(mounts.dir).toBe("services/web");
    expect(mounts.files.map((file) => file.target)).toEqual(["/etc/tls/key.pem", "/etc/app.conf"]);
    expect(mounts.files.every((file) => file.path.startsWith("files/web/"))).toBe(true);
  });

  it("a one-off delivers its service's material, with the reason or as checked", () => {
    const changed = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ db: "d2" }),
      observed: inPlace,
    });
    expect(oneoffDelivery(changed, "web")).toEqual({
      type: "DeliverSecrets",
      service: "web",
      reasons: ["secret db changed"],
    });
    const same = planSecrets({ project, selected: ["web"], fresh: fresh(), observed: inPlace });
    expect(oneoffDelivery(same, "web")?.reasons).toEqual(["in place; checked for new containers"]);
    expect(oneoffDelivery(same, "plain")).toBeUndefined();
  });
});

describe("planUp with a secrets plan", () => {
  /** The plan of `up web` with unchanged values, as compose/up.ts makes it. */
  const up = (p: Project, observed: ObservedState): string => {
    const secrets = planSecrets({
      project: p,
      selected: ["web"],
      fresh: fresh(),
      observed: observed.material,
      keep: new Set(observed.containers.map((container) => container.service)),
    });
    return formatPlan(planUp(p, observed, { services: ["web"], secrets }));
  };

  it("new: the delivery comes before the container that mounts it; absolute targets commit after its start", () => {
    const plan = planUp(project, state(project, []), {
      services: ["web"],
      secrets: planSecrets({ project, selected: ["web"], fresh: fresh() }),
    });
    expect(formatPlan(plan)).toBe(
      [
        "[] -> #1 service:web, DeliverSecrets, not delivered yet",
        "[1] -> #2 service:web:1, CreateContainer, no existing container",
        "[2] -> #3 service:web:1, StartContainer, created",
        "[3] -> #4 secrets, CommitMaterial, new containers hold the new files of web",
        "",
      ].join("\n"),
    );
    const create = plan.nodes[1]!.operation;
    expect(create.type === "CreateContainer" && create.secretMounts?.dir).toBe("services/web");
  });

  it("unchanged and running: nothing to do", () => {
    const observed = state(project, [running(project, web)], inPlace);
    expect(up(project, observed)).toBe("");
  });

  it("changed in place: one delivery that updates the running container, no recreate, no signal", () => {
    const observed = state(project, [running(project, web)], inPlace);
    const secrets = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ db: "d2" }),
      observed: inPlace,
    });
    const plan = planUp(project, observed, { services: ["web"], secrets });
    expect(formatPlan(plan)).toBe("[] -> #1 service:web, DeliverSecrets, secret db changed\n");
    expect(plan.nodes[0]!.operation).toMatchObject({
      updatedIn: ["demo-web-1"],
      liveTargets: ["/run/secrets/db"],
    });
  });

  it("a file removed by hand under a running container: delivered again, no recreate, no signal", () => {
    const reloading = { ...web, extensions: { [RELOAD_SIGNAL_EXTENSION]: "SIGHUP" } };
    const p = makeProject("demo", [reloading]);
    const missing: ObservedMaterial = {
      ...inPlace,
      missing: { web: ["/etc/app.conf", "/run/secrets/db"] },
    };
    const observed = state(p, [running(p, reloading)], missing);
    expect(up(p, observed)).toBe(
      "[] -> #1 service:web, DeliverSecrets, secret db missing; config app_conf missing at /etc/app.conf\n",
    );
  });

  it("changed in place with x-composec-reload-signal: the running container is signalled after", () => {
    const reloading = { ...web, extensions: { [RELOAD_SIGNAL_EXTENSION]: "SIGHUP" } };
    const p = makeProject("demo", [reloading]);
    const secrets = planSecrets({
      project: p,
      selected: ["web"],
      fresh: fresh({ db: "d2" }),
      observed: inPlace,
    });
    expect(
      formatPlan(planUp(p, state(p, [running(p, reloading)], inPlace), { services: ["web"], secrets })),
    ).toBe(
      [
        "[] -> #1 service:web, DeliverSecrets, secret db changed",
        "[1] -> #2 service:web:1, SignalContainer, secrets changed in place (SIGHUP)",
        "",
      ].join("\n"),
    );
    // A paused container is not signalled (it would not handle it); it still sees the new file.
    const paused = planUp(p, state(p, [running(p, reloading, { state: "paused" })], inPlace), {
      services: ["web"],
      secrets,
    });
    expect(formatPlan(paused)).toBe("[] -> #1 service:web, DeliverSecrets, secret db changed\n");
  });

  it("changed at an absolute target: delivered, the container recreated, the change committed after", () => {
    const secrets = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ tls: "t2" }),
      observed: inPlace,
    });
    const plan = formatPlan(
      planUp(project, state(project, [running(project, web)], inPlace), { services: ["web"], secrets }),
    );
    expect(plan).toContain("[] -> #1 service:web, DeliverSecrets, secret tls changed at /etc/tls/key.pem");
    expect(plan).toContain(
      "[1] -> #2 service:web:1, CreateContainer, secret changed at /etc/tls/key.pem [recreate:web:1]",
    );
    // Recorded only once the new container took the name and runs: a kill before leaves it to the next up.
    expect(plan).toContain("[6] -> #7 secrets, CommitMaterial, new containers hold the new files of web");
  });

  it("--no-recreate keeps the container and commits nothing (the next up still sees the change)", () => {
    const secrets = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ tls: "t2" }),
      observed: inPlace,
    });
    const plan = planUp(project, state(project, [running(project, web)], inPlace), {
      services: ["web"],
      secrets,
      noRecreate: true,
    });
    expect(formatPlan(plan)).toBe(
      "[] -> #1 service:web, DeliverSecrets, secret tls changed at /etc/tls/key.pem\n",
    );
  });

  it("unchanged material but a new container: checked and mounted", () => {
    const secrets = planSecrets({ project, selected: ["web"], fresh: fresh(), observed: inPlace });
    const changed = running(project, web, { configHash: "old" });
    const plan = formatPlan(
      planUp(project, state(project, [changed], inPlace), { services: ["web"], secrets }),
    );
    expect(plan).toContain("[] -> #1 service:web, DeliverSecrets, in place; checked for new containers");
    expect(plan).toContain("[1] -> #2 service:web:1, CreateContainer, config changed [recreate:web:1]");
    expect(plan).not.toContain("CommitMaterial");
  });

  it("material lost (containers exist, nothing delivered): recreated as delivered anew", () => {
    const secrets = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh(),
      observed: { delivered: {}, services: [] },
    });
    const plan = formatPlan(
      planUp(project, state(project, [running(project, web)]), { services: ["web"], secrets }),
    );
    expect(plan).toContain("service:web:1, CreateContainer, secrets delivered anew [recreate:web:1]");
  });

  it("a service gone: its material is removed", () => {
    const observed = state(project, [running(project, web)], { ...inPlace, services: ["gone", "web"] });
    expect(up(project, observed)).toBe("[] -> #1 service:gone, RemoveMaterial, no secrets for it any more\n");
  });

  it("a stopped container with changed material starts after the delivery", () => {
    const secrets = planSecrets({
      project,
      selected: ["web"],
      fresh: fresh({ db: "d2" }),
      observed: inPlace,
    });
    const stopped = running(project, web, { state: "exited" });
    expect(
      formatPlan(planUp(project, state(project, [stopped], inPlace), { services: ["web"], secrets })),
    ).toBe(
      [
        "[] -> #1 service:web, DeliverSecrets, secret db changed",
        "[1] -> #2 service:web:1, StartContainer, not running",
        "",
      ].join("\n"),
    );
  });
});
