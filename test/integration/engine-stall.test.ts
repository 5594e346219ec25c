// Intent: an engine that accepts a connection and then never answers (a `GET /networks` that hung
// was seen on Engine 20.10) makes a command fail within COMPOSE_HTTP_TIMEOUT, exit 1, with one
// error naming the call that got no answer, instead of waiting forever; and `up` / `down` against
// the engine once it answers again finish the work cleanly.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  PROJECT_LABEL,
  tempProject,
  type CliResult,
} from "./helpers.js";
import { engineResources, IDLE, trackProjects } from "./secrets-helpers.js";
import { startStallProxy, type StallProxy } from "./stall-proxy.js";

const project = trackProjects();
afterAll(cleanupTempProjects);

let proxy: StallProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const compose = `
services:
  db:
    image: ${images.busybox}
    command: ${IDLE}
  web:
    image: ${images.busybox}
    command: ${IDLE}
    depends_on: [db]
`;

/** Runs the CLI against the proxy with a 2 s timeout; returns its result and how long it took. */
async function viaProxy(args: string[], cwd: string): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const result = await cli(args, {
    cwd,
    env: { DOCKER_HOST: `unix://${proxy!.socket}`, COMPOSE_HTTP_TIMEOUT: "2" },
    timeoutMs: 60_000,
  });
  return { ...result, ms: Date.now() - started };
}

/** The stalled call's error: the CLI exited 1 soon after the 2 s deadline, naming the call. */
function expectStalledOn(result: CliResult & { ms: number }, call: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(`did not answer ${call.source} within 2 s \\(COMPOSE_HTTP_TIMEOUT=2\\)`),
  );
  expect(result.ms).toBeGreaterThanOrEqual(2_000);
  // Start-up, the calls before the stall and the 2 s deadline: far from a hang.
  expect(result.ms).toBeLessThan(20_000);
}

describe("an engine that stops answering", () => {
  it("a socket that accepts and never answers anything: `up -d` and `ps` fail naming the call", async () => {
    proxy = await startStallProxy(() => true);
    const name = await project("stallall");
    const dir = await tempProject({ "compose.yaml": compose });
    const up = await viaProxy(["-p", name, "up", "-d"], dir);
    expectStalledOn(up, /[A-Z]+ \/\S+/);
    expect(proxy.stalled.length).toBeGreaterThan(0);
    expect(up.stderr).toContain(`the Docker Engine at unix://${proxy.socket}`);
    const ps = await viaProxy(["-p", name, "ps"], dir);
    expectStalledOn(ps, /[A-Z]+ \/\S+/);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("`up` stalled on GET /networks fails, then `up` on the answering engine finishes; `ps` and `down` the same", async () => {
    const name = await project("stallnet");
    const dir = await tempProject({ "compose.yaml": compose });

    proxy = await startStallProxy((method, p) => method === "GET" && /^\/networks(\/|$)/.test(p));
    const up = await viaProxy(["-p", name, "up", "-d"], dir);
    expectStalledOn(up, /GET \/networks\S*/);
    expect(proxy.stalled.every((call) => call.startsWith("GET /networks"))).toBe(true);

    // The engine answers again: `up` picks up from whatever the stalled one left.
    const resumed = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const running = await cli(["-p", name, "ps", "--format", "json"], { cwd: dir });
    expect(running.code, running.stderr).toBe(0);
    // One JSON object per line, as docker compose prints them.
    const states = running.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { Service: string; State: string })
      .map((c) => `${c.Service}:${c.State}`)
      .sort();
    expect(states).toEqual(["db:running", "web:running"]);

    // `ps` stalled on the container list.
    proxy.stall((method, p) => method === "GET" && p === "/containers/json");
    expectStalledOn(await viaProxy(["-p", name, "ps"], dir), /GET \/containers\/json/);

    // `down` stalled when it removes the network (after its containers are gone).
    proxy.stall((method, p) => method === "DELETE" && p.startsWith("/networks/"));
    const down = await viaProxy(["-p", name, "down", "-t", "0"], dir);
    expectStalledOn(down, /DELETE \/networks\/\S+/);
    expect(proxy.stalled.at(-1)).toBe(`DELETE /networks/${name}_default`);

    const cleaned = await cli(["-p", name, "down", "-t", "0"], { cwd: dir });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("`stop`, `restart` and `down` without -t end at the container's grace plus the timeout, naming the call", async () => {
    const name = await project("stallstop");
    // web's grace is 1 s (stop_grace_period): read from the container, it sets the stop's deadline.
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ${IDLE}
    stop_grace_period: 1s
  db:
    image: ${images.busybox}
    command: ${IDLE}
`,
    });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);

    proxy = await startStallProxy((method, p) => method === "POST" && /^\/containers\/[^/]+\/stop$/.test(p));
    // 1 s of grace plus COMPOSE_HTTP_TIMEOUT=2: the stop's deadline is 3 s.
    const stop = await viaProxy(["-p", name, "stop", "web"], dir);
    expect(stop.code, stop.stderr).toBe(1);
    expect(stop.stderr).toContain(
      `the Docker Engine at unix://${proxy.socket} did not answer POST /containers/`,
    );
    expect(stop.stderr).toMatch(
      /did not answer POST \/containers\/[0-9a-f]{64}\/stop within 3 s \(COMPOSE_HTTP_TIMEOUT=2\)/,
    );
    expect(stop.ms).toBeGreaterThanOrEqual(3_000);
    expect(stop.ms).toBeLessThan(20_000);

    proxy.stall((method, p) => method === "POST" && /^\/containers\/[^/]+\/restart$/.test(p));
    const restart = await viaProxy(["-p", name, "restart", "web"], dir);
    expect(restart.code, restart.stderr).toBe(1);
    expect(restart.stderr).toMatch(/did not answer POST \/containers\/[0-9a-f]{64}\/restart within 3 s/);
    expect(restart.ms).toBeGreaterThanOrEqual(3_000);
    expect(restart.ms).toBeLessThan(20_000);

    // `down` stalled on web's stop only (db's goes through and ends at once).
    const [web] = await docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${name}`, "com.docker.compose.service=web"] },
    });
    proxy.stall((method, p) => method === "POST" && p === `/containers/${web!.Id}/stop`);
    const down = await viaProxy(["-p", name, "down"], dir);
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toContain(`did not answer POST /containers/${web!.Id}/stop within 3 s`);
    expect(down.ms).toBeLessThan(20_000);

    // The engine answers again: the same commands, without -t, finish.
    const stopped = await cli(["-p", name, "stop", "web"], { cwd: dir });
    expect(stopped.code, stopped.stderr).toBe(0);
    const cleaned = await cli(["-p", name, "down"], { cwd: dir });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, 90_000);
});
