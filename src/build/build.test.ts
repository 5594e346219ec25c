// What a build asks the engine for, decided without it: the POST /build parameters from `build:`,
// the services a `build` command selects, and the warning for build args that look like secrets.
import { describe, expect, it } from "vitest";
import { ProjectError } from "../errors.js";
import { makeProject, makeService } from "../model/project-builder.js";
import type { Build } from "../model/project.js";
import { COMPOSEC_VERSION } from "../version.js";
import type { BuildApi } from "./build-api.js";
import { buildQuery, secretLookingArgs, servicesNeedingBuild, servicesToBuild } from "./build.js";
import type { BuildContext } from "./context.js";

const build = (overrides: Partial<Build> = {}): Build => ({
  context: "/p",
  args: {},
  labels: {},
  tags: [],
  extraHosts: [],
  noCache: false,
  pull: false,
  cacheFrom: [],
  secrets: [],
  ...overrides,
});
const context: BuildContext = {
  dir: "/p",
  dockerfile: "Dockerfile",
  dockerfileShown: "/p/Dockerfile",
  dockerfileText: "",
};
const ids = { session: "s-1", build: "b-1" };

describe("buildQuery", () => {
  it("names the image <project>-<service> and labels it as Compose v2 does", () => {
    const service = makeService("myapp", { build: build() });
    const query = buildQuery(makeProject("demo", [service]), service, context, ids);
    expect(query).toEqual({
      version: "2",
      session: "s-1",
      buildid: "b-1",
      t: ["demo-myapp"],
      dockerfile: "Dockerfile",
      labels: {
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "myapp",
        "com.docker.compose.version": COMPOSEC_VERSION,
      },
    });
  });

  it("passes every build attribute under the engine's name for it", () => {
    const service = makeService("web", {
      image: "registry.example/web:2",
      platform: "linux/amd64",
      build: build({
        args: { A: "1", UNSET: null },
        labels: { team: "x" },
        tags: ["web:extra"],
        target: "prod",
        network: "host",
        shmSize: 67108864,
        extraHosts: ["db:10.0.0.2"],
        noCache: true,
        pull: true,
        cacheFrom: ["web:cache"],
      }),
    });
    const query = buildQuery(
      makeProject("demo", [service]),
      service,
      { ...context, dockerfile: "docker/Dockerfile" },
      ids,
    );
    expect(query).toMatchObject({
      t: ["registry.example/web:2", "web:extra"],
      dockerfile: "docker/Dockerfile",
      buildargs: { A: "1" },
      labels: { team: "x", "com.docker.compose.service": "web" },
      target: "prod",
      networkmode: "host",
      shmsize: 67108864,
      extrahosts: ["db:10.0.0.2"],
      nocache: true,
      pull: true,
      cachefrom: '["web:cache"]',
      platform: "linux/amd64",
    });
  });

  it("lets --no-cache and --pull add to what the file says", () => {
    const service = makeService("web", { build: build() });
    const query = buildQuery(makeProject("demo", [service]), service, context, ids, {
      noCache: true,
      pull: true,
    });
    expect(query.nocache).toBe(true);
    expect(query.pull).toBe(true);
  });

  it("never passes a secret as a build argument: build secrets go to the session only", () => {
    const service = makeService("web", {
      build: build({ secrets: [{ source: "npm_token", target: "npm_token" }] }),
    });
    const query = buildQuery(makeProject("demo", [service]), service, context, ids);
    expect(query.buildargs).toBeUndefined();
    expect(JSON.stringify(query)).not.toContain("npm_token");
  });
});

describe("servicesToBuild", () => {
  const project = makeProject("demo", [
    makeService("web", { build: build() }),
    makeService("db", { image: "redis" }),
    makeService("worker", { build: build() }),
  ]);

  it("selects every service with a build section by default", () => {
    expect(servicesToBuild(project).map((s) => s.name)).toEqual(["web", "worker"]);
  });

  it("refuses an unknown service and one without a build section, together", () => {
    let error: unknown;
    try {
      servicesToBuild(project, ["nope", "db"]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).problems.map((p) => p.message)).toEqual([
      'no such service: "nope" (services: web, db, worker)',
      'service "db" has no build section; it runs image "redis"',
    ]);
  });
});

describe("secretLookingArgs", () => {
  it("warns about args named like secrets, by path, never with the value", () => {
    const service = makeService("web", {
      build: build({
        args: {
          NPM_TOKEN: "v-123",
          DB_PASSWORD: "v-456",
          API_KEY: "v-789",
          VERSION: "1",
          UNSET_SECRET: null,
        },
      }),
    });
    const warnings = secretLookingArgs(makeProject("demo", [service]), [service]);
    expect(warnings.map((w) => w.path)).toEqual([
      "services.web.build.args.NPM_TOKEN",
      "services.web.build.args.DB_PASSWORD",
      "services.web.build.args.API_KEY",
    ]);
    expect(warnings[0]!.message).toMatch(/build\.secrets/);
    expect(JSON.stringify(warnings)).not.toMatch(/v-\d/);
  });
});

describe("servicesNeedingBuild", () => {
  const project = makeProject("demo", [
    makeService("web", { build: build() }),
    makeService("worker", { build: build(), image: "acme/worker:1" }),
    makeService("tool", { build: build(), pullPolicy: "build" }),
    makeService("db", { image: "redis" }),
  ]);
  const present = new Set(["demo-web", "demo-tool"]);
  const engine = {
    openSession: () => Promise.reject(new Error("not used")),
    inspectImage: (reference: string) => Promise.resolve(present.has(reference) ? ({} as never) : undefined),
  } as unknown as BuildApi;
  const all = ["web", "worker", "tool", "db"];

  it("builds what is missing, and pull_policy: build always", async () => {
    expect(await servicesNeedingBuild(project, engine, all)).toEqual(["worker", "tool"]);
  });

  it("--build builds every service with a build section; --no-build none", async () => {
    expect(await servicesNeedingBuild(project, engine, all, { build: true })).toEqual([
      "web",
      "worker",
      "tool",
    ]);
    expect(await servicesNeedingBuild(project, engine, all, { noBuild: true })).toEqual([]);
  });
});
