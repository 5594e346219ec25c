// Intent: `start`, `stop`, `restart`, `kill`, `rm` and `create` through the built CLI against the
// real engine: what each does to the containers (seen with the Engine API), dependency order,
// flags (-t, -s, -f, -v), dry runs that change nothing, and clear errors for what is not there.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

const LABEL = "com.docker.compose.project";
let name: string;
beforeEach(async () => {
  name = uniqueProjectName("life");
  await removeProjectResources(name);
});
// db's anonymous /scratch volume: a `down` without -v keeps it (as Compose does), and nothing labels
// it, so removeProjectResources cannot find it afterwards.
const anonymousVolumes: string[] = [];
afterEach(async () => {
  await removeProjectResources(name);
  for (const volume of anonymousVolumes.splice(0))
    await docker
      .getVolume(volume)
      .remove()
      .catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      });
  await cleanupTempProjects();
});

// `web` depends on a healthy `db`; both stop at once under their init.
const project = `
services:
  web:
    image: ${images.busybox}
    command: sleep 600
    init: true
    depends_on:
      db:
        condition: service_healthy
  db:
    image: ${images.busybox}
    command: sleep 600
    init: true
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
    volumes:
      - /scratch
`;

async function states(): Promise<Record<string, string>> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } });
  return Object.fromEntries(containers.map((c) => [(c.Names[0] ?? "").slice(1), c.State]));
}

async function startedAt(container: string): Promise<number> {
  return Date.parse((await docker.getContainer(container).inspect()).State.StartedAt);
}

async function upProject(): Promise<string> {
  const dir = await tempProject({ "compose.yaml": project });
  const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
  expect(up.code, up.stderr).toBe(0);
  const db = await docker.getContainer(`${name}-db-1`).inspect();
  anonymousVolumes.push(...db.Mounts.filter((mount) => mount.Type === "volume").map((mount) => mount.Name!));
  return dir;
}

describe("stop and start", () => {
  it("stop stops dependents first, start starts dependencies first and waits for health", async () => {
    const dir = await upProject();
    const stop = await cli(["-p", name, "stop", "-t", "5"], { cwd: dir });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe("");
    expect(await states()).toEqual({ [`${name}-web-1`]: "exited", [`${name}-db-1`]: "exited" });
    const lines = stop.stderr.split("\n");
    expect(lines.indexOf(`Container ${name}-web-1  Stopped`)).toBeLessThan(
      lines.indexOf(`Container ${name}-db-1  Stopping`),
    );

    const dry = await cli(["-p", name, "--dry-run", "start"], { cwd: dir });
    expect(dry.stdout).toBe(
      [
        `[] -> #1 service:db:1, StartContainer, not running`,
        `[1] -> #2 service:db:1, WaitContainer, web needs it healthy`,
        `[2] -> #3 service:web:1, StartContainer, not running`,
        "",
      ].join("\n"),
    );
    expect(await states()).toEqual({ [`${name}-web-1`]: "exited", [`${name}-db-1`]: "exited" });

    const start = await cli(["-p", name, "start"], { cwd: dir });
    expect(start.code, start.stderr).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "running", [`${name}-db-1`]: "running" });
    expect(start.stderr).toContain(`Container ${name}-db-1  Healthy`);
    expect(await startedAt(`${name}-web-1`)).toBeGreaterThan(await startedAt(`${name}-db-1`));
  });

  it("named services only; a service without containers, or an unknown one, is an error", async () => {
    const dir = await upProject();
    expect((await cli(["-p", name, "stop", "web"], { cwd: dir })).code).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "exited", [`${name}-db-1`]: "running" });
    expect((await cli(["-p", name, "start", "web"], { cwd: dir })).code).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "running", [`${name}-db-1`]: "running" });

    const unknown = await cli(["-p", name, "stop", "nope"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such service: "nope"');
    await cli(["-p", name, "down"], { cwd: dir });
    const nothing = await cli(["-p", name, "start", "web"], { cwd: dir });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('service "web" has no container to start');
  });

  it("work from labels alone when the project's files are gone (-p)", async () => {
    await upProject();
    const stop = await cli(["-p", name, "stop"], { cwd: "/" });
    expect(stop.code, stop.stderr).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "exited", [`${name}-db-1`]: "exited" });
    expect((await cli(["-p", name, "start"], { cwd: "/" })).code).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "running", [`${name}-db-1`]: "running" });
  });
});

describe("restart and kill", () => {
  it("restart restarts running containers and starts stopped ones, dependencies first", async () => {
    const dir = await upProject();
    await cli(["-p", name, "stop", "web"], { cwd: dir });
    const before = await startedAt(`${name}-db-1`);
    const restart = await cli(["-p", name, "restart", "-t", "1"], { cwd: dir });
    expect(restart.code, restart.stderr).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "running", [`${name}-db-1`]: "running" });
    expect(await startedAt(`${name}-db-1`)).toBeGreaterThan(before);
    const lines = restart.stderr.split("\n");
    expect(lines.indexOf(`Container ${name}-db-1  Started`)).toBeLessThan(
      lines.indexOf(`Container ${name}-web-1  Restarting`),
    );
  });

  it("kill sends SIGKILL by default, -s another signal, to running containers only", async () => {
    const dir = await upProject();
    const term = await cli(["-p", name, "kill", "-s", "SIGTERM", "web"], { cwd: dir });
    expect(term.code).toBe(0);
    const web = await docker.getContainer(`${name}-web-1`).wait();
    expect(web.StatusCode).toBe(143);
    const kill = await cli(["-p", name, "kill"], { cwd: dir });
    expect(kill.code).toBe(0);
    expect(kill.stderr).toContain(`Container ${name}-db-1  Killed`);
    expect(kill.stderr).not.toContain(`${name}-web-1`);
    expect((await docker.getContainer(`${name}-db-1`).inspect()).State.ExitCode).toBe(137);
    const again = await cli(["-p", name, "kill"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("no running container to kill");
    const bad = await cli(["-p", name, "kill", "-s", "NOT A SIGNAL"], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});

describe("rm", () => {
  it("removes stopped containers only, asks first unless -f, -s stops first, -v takes anonymous volumes", async () => {
    const dir = await upProject();
    await cli(["-p", name, "stop", "web"], { cwd: dir });

    const declined = await cli(["-p", name, "rm"], { cwd: dir, input: "n\n" });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toContain(`Going to remove ${name}-web-1`);
    expect(declined.stderr).toContain("Nothing removed");
    expect(Object.keys(await states())).toHaveLength(2);

    const accepted = await cli(["-p", name, "rm"], { cwd: dir, input: "y\n" });
    expect(accepted.code).toBe(0);
    expect(await states()).toEqual({ [`${name}-db-1`]: "running" });

    const nothing = await cli(["-p", name, "rm", "-f"], { cwd: dir });
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toContain("No stopped containers");

    const db = await docker.getContainer(`${name}-db-1`).inspect();
    const volume = db.Mounts.find((mount) => mount.Destination === "/scratch")?.Name as string;
    expect(volume).toBeTruthy();
    const stopFirst = await cli(["-p", name, "rm", "-f", "-s", "-v"], { cwd: dir });
    expect(stopFirst.code, stopFirst.stderr).toBe(0);
    expect(await states()).toEqual({});
    await expect(docker.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe("create", () => {
  it("creates networks and containers without starting them; up then starts them unchanged", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const create = await cli(["-p", name, "create"], { cwd: dir });
    expect(create.code, create.stderr).toBe(0);
    expect(create.stderr).toContain(`Container ${name}-web-1  Created`);
    expect(create.stderr).not.toContain("Started");
    expect(await states()).toEqual({ [`${name}-web-1`]: "created", [`${name}-db-1`]: "created" });
    await docker.getNetwork(`${name}_default`).inspect();

    const id = (await docker.getContainer(`${name}-web-1`).inspect()).Id;
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(await states()).toEqual({ [`${name}-web-1`]: "running", [`${name}-db-1`]: "running" });
    expect((await docker.getContainer(`${name}-web-1`).inspect()).Id).toBe(id);
  });

  it("--scale creates that many containers; --dry-run prints the plan and creates nothing", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const dry = await cli(["-p", name, "--dry-run", "create", "--scale", "db=2", "db"], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("service:db:2, CreateContainer");
    expect(dry.stdout).not.toContain("StartContainer");
    expect(await states()).toEqual({});
    const create = await cli(["-p", name, "create", "--scale", "db=2", "db"], { cwd: dir });
    expect(create.code).toBe(0);
    expect(await states()).toEqual({ [`${name}-db-1`]: "created", [`${name}-db-2`]: "created" });
  });
});
