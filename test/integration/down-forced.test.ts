// Intent: `down -t 0` removes each running container with one forced remove (the engine kills and
// removes in one call: no `stop` event), dependents first; plain `down` still stops each container
// first (a `stop` event per container), so a container that wants its grace time gets it.
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, docker, images, PROJECT_LABEL, tempProject } from "./helpers.js";
import { engineResources, IDLE, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();
afterAll(cleanupTempProjects);

const compose = `
services:
  db:
    image: ${images.busybox}
    command: ${IDLE}
  web:
    image: ${images.busybox}
    command: ${IDLE}
    depends_on: [db]
  done:
    image: ${images.busybox}
    command: ["true"]
`;

/** The engine's container events (action, container name) for `name` between `since` and now. */
async function containerEvents(name: string, since: number): Promise<string[]> {
  const stream = await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ["container"], label: [`${PROJECT_LABEL}=${name}`] },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; Actor: { Attributes: { name: string } } })
    .map((event) => `${event.Action} ${event.Actor.Attributes.name}`);
}

async function upAndSettle(name: string): Promise<string> {
  const dir = await tempProject({ "compose.yaml": compose });
  const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
  expect(up.code, up.stderr).toBe(0);
  // `done` exits at once: it is the container not running that `down` meets.
  await docker.getContainer(`${name}-done-1`).wait();
  return dir;
}

describe("down", () => {
  it("-t 0: one forced remove per container, no stop, dependents first; nothing left", async () => {
    const name = await project("down-t0");
    const dir = await upAndSettle(name);
    const since = Math.floor(Date.now() / 1000);
    const down = await cli(["-p", name, "down", "-t", "0"], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).not.toContain("Stopping");
    expect(down.stderr).toContain(`Container ${name}-web-1  Removed`);
    const events = await containerEvents(name, since);
    expect(events.filter((event) => event.startsWith("stop "))).toEqual([]);
    expect(events.filter((event) => event.startsWith("destroy ")).sort()).toEqual([
      `destroy ${name}-db-1`,
      `destroy ${name}-done-1`,
      `destroy ${name}-web-1`,
    ]);
    expect(events.indexOf(`destroy ${name}-web-1`)).toBeLessThan(events.indexOf(`kill ${name}-db-1`));
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("without -t 0, stops each running container first, and removes the exited one", async () => {
    const name = await project("down-graceful");
    const dir = await upAndSettle(name);
    const since = Math.floor(Date.now() / 1000);
    const down = await cli(["-p", name, "down"], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    const events = await containerEvents(name, since);
    expect(events.filter((event) => event.startsWith("stop ")).sort()).toEqual([
      `stop ${name}-db-1`,
      `stop ${name}-web-1`,
    ]);
    expect(events.filter((event) => event.startsWith("destroy "))).toHaveLength(3);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
