// Intent: an engine that accepts a connection and then never answers (a `GET /networks` that hung
// was seen on Engine 20.10) makes a command fail within COMPOSE_HTTP_TIMEOUT, exit 1, with one
// error naming the call that got no answer, instead of waiting forever; and `up` / `down` against
// the engine once it answers again finish the work cleanly.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, images, tempProject, type CliResult } from "./helpers.js";
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
});
