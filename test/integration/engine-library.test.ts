// Intent: the engine library (up, down, ps) against the real engine with hand-built projects:
// names and labels as Compose makes them, idempotence, recreation, dependency waits, and the
// engine errors users meet. The CLI tests cover the same ground as a user sees it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { down } from "../../src/compose/down.js";
import { ps } from "../../src/compose/ps.js";
import { up } from "../../src/compose/up.js";
import { createEngine, type DockerEngine } from "../../src/engine/client.js";
import type { ProgressEvent } from "../../src/engine/progress.js";
import { EngineError } from "../../src/errors.js";
import { makeProject, makeService } from "../../src/model/project-builder.js";
import {
  cleanupTempProjects,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

const engine = createEngine({ host: `unix:///var/run/docker.sock` });

let name: string;
beforeEach(async () => {
  name = uniqueProjectName("lib");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

const sleeper = (service: string, overrides = {}) =>
  makeService(service, {
    image: images.busybox,
    command: ["sleep", "600"],
    stopSignal: "SIGKILL",
    ...overrides,
  });

describe("up and down through the library", () => {
  it("creates the network and containers with Compose's names and labels, then removes them", async () => {
    const project = makeProject(name, [sleeper("web", { environment: { GREETING: "hi" } })]);
    const events: ProgressEvent[] = [];
    await up(project, engine, { onProgress: (event) => events.push(event) });

    const info = await docker.getContainer(`${name}-web-1`).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({
      "com.docker.compose.project": name,
      "com.docker.compose.service": "web",
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
    });
    expect(info.Config.Env).toContain("GREETING=hi");
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${name}_default`]);
    expect(info.NetworkSettings.Networks[`${name}_default`]?.Aliases).toEqual(
      expect.arrayContaining([`${name}-web-1`, "web"]),
    );
    expect(events.map((event) => `${event.resource} ${event.status}`)).toEqual([
      `Network ${name}_default Creating`,
      `Network ${name}_default Created`,
      `Container ${name}-web-1 Creating`,
      `Container ${name}-web-1 Created`,
      `Container ${name}-web-1 Starting`,
      `Container ${name}-web-1 Started`,
    ]);

    const result = await down(project, engine);
    expect(result.nothingToDo).toBe(false);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } }),
    ).toEqual([]);
    expect(await docker.listNetworks({ filters: { name: [`${name}_default`] } })).toEqual([]);
    expect((await down(name, engine)).nothingToDo).toBe(true);
  });

  it("leaves an unchanged service running, recreates a changed one", async () => {
    const project = makeProject(name, [sleeper("web")]);
    await up(project, engine);
    const first = await docker.getContainer(`${name}-web-1`).inspect();

    const again = await up(project, engine);
    expect(again.plan.nodes).toEqual([]);
    expect((await docker.getContainer(`${name}-web-1`).inspect()).Id).toBe(first.Id);

    const changed = makeProject(name, [sleeper("web", { environment: { CHANGED: "1" } })]);
    const result = await up(changed, engine);
    expect(result.plan.nodes.map((node) => node.operation.type)).toEqual([
      "CreateContainer",
      "StopContainer",
      "RemoveContainer",
      "RenameContainer",
      "StartContainer",
    ]);
    const second = await docker.getContainer(`${name}-web-1`).inspect();
    expect(second.Id).not.toBe(first.Id);
    expect(second.Config.Env).toContain("CHANGED=1");
    expect(second.State.Running).toBe(true);
  });

  it("starts dependents after a healthy dependency and a completed one-shot", async () => {
    const project = makeProject(name, [
      sleeper("db", {
        healthcheck: { test: ["CMD", "true"], disable: false, interval: 200_000_000, retries: 3 },
      }),
      makeService("migrate", { image: images.busybox, command: ["true"] }),
      sleeper("app", {
        dependsOn: {
          db: { condition: "service_healthy", required: true, restart: false },
          migrate: { condition: "service_completed_successfully", required: true, restart: false },
        },
      }),
    ]);
    const events: string[] = [];
    await up(project, engine, { onProgress: (event) => events.push(`${event.resource} ${event.status}`) });
    expect(events.indexOf(`Container ${name}-db-1 Healthy`)).toBeLessThan(
      events.indexOf(`Container ${name}-app-1 Starting`),
    );
    expect(events.indexOf(`Container ${name}-migrate-1 Exited`)).toBeLessThan(
      events.indexOf(`Container ${name}-app-1 Starting`),
    );
    const rows = await ps(name, engine, { all: true });
    expect(rows.map((row) => `${row.Service} ${row.State}`)).toEqual([
      "app running",
      "db running",
      "migrate exited",
    ]);
  });

  it("fails clearly when a one-shot dependency exits non-zero, and does not start the dependent", async () => {
    const project = makeProject(name, [
      makeService("migrate", { image: images.busybox, command: ["sh", "-c", "exit 3"] }),
      sleeper("app", {
        dependsOn: {
          migrate: { condition: "service_completed_successfully", required: true, restart: false },
        },
      }),
    ]);
    await expect(up(project, engine)).rejects.toThrow(
      `service "migrate" didn't complete successfully: exit 3`,
    );
    const app = await docker.getContainer(`${name}-app-1`).inspect();
    expect(app.State.Status).toBe("created");
  });

  it("refuses a missing image before creating anything", async () => {
    const project = makeProject(name, [
      sleeper("web"),
      // Tests never go to a registry: the image is missing and may not be pulled.
      makeService("ghost", { image: "composec-test/none:404", pullPolicy: "never" }),
    ]);
    await expect(up(project, engine)).rejects.toThrow(
      `service "ghost": image "composec-test/none:404" is not present on the engine`,
    );
    const filters = { label: [`com.docker.compose.project=${name}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
  });

  it("a secret that cannot be resolved stops up before anything is created", async () => {
    // The service grants "token", which the project does not define: resolving fails first.
    const project = makeProject(name, [
      sleeper("web", {
        secrets: [{ source: "token", target: "/run/secrets/token", uid: 0, gid: 0, mode: 0o444 }],
      }),
    ]);
    await expect(up(project, engine)).rejects.toThrow(`secret "token" is not defined`);
    expect(await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${name}`] } })).toEqual(
      [],
    );
  });

  it("says how to start the engine when its socket is missing", async () => {
    const missing = createEngine({ host: "unix:///tmp/composec-no-such.sock" });
    const attempt = up(makeProject(name, [sleeper("web")]), missing);
    await expect(attempt).rejects.toBeInstanceOf(EngineError);
    await expect(attempt).rejects.toThrow(
      "cannot reach the Docker Engine: no socket at /tmp/composec-no-such.sock; start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`)",
    );
  });
});

describe("builds through the library", () => {
  it("up builds a missing image over the engine client it was given, not a second one", async () => {
    const context = await tempProject({ Dockerfile: `FROM ${images.busybox}\nRUN echo built > /built\n` });
    const project = makeProject(name, [
      sleeper("app", {
        image: undefined,
        build: {
          context,
          args: {},
          labels: {},
          tags: [],
          extraHosts: [],
          noCache: false,
          pull: false,
          cacheFrom: [],
          secrets: [],
        },
      }),
    ]);
    // The dockerode client behind this very engine: a build over any other connection is not seen.
    const dial = vi.spyOn((engine as DockerEngine).docker.modem, "dial");
    try {
      await up(project, engine);
      expect(dial.mock.calls.map(([options]) => options.path)).toContain("/build?");
      const app = await docker.getContainer(`${name}-app-1`).inspect();
      expect(app.State.Running).toBe(true);
    } finally {
      dial.mockRestore();
      await docker
        .getImage(`${name}-app`)
        .remove({ force: true })
        .catch(() => {});
    }
  });
});
