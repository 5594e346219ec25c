// Intent: `down` removes the project's secret material and unmounts its tmpfs; an `up` killed with
// SIGKILL at any point leaves a state that the next `up` completes and the next `down` removes
// completely; and `down` removes material left behind with no container at all. Proven by the
// mount table, the material directory, the engine's labels and a search of the host for the bytes.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  PROJECT_LABEL,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  filesContaining,
  IDLE,
  materialDir,
  materialGone,
  mountsUnder,
  randomValue,
  sha256,
  spawnCli,
} from "./secrets-helpers.js";

const projects: string[] = [];
async function project(prefix: string): Promise<string> {
  const name = uniqueProjectName(prefix);
  projects.push(name);
  await removeProjectResources(name);
  return name;
}

afterEach(async () => {
  for (const name of projects.splice(0)) {
    await cli(["-p", name, "down", "-t", "0"]);
    await removeProjectResources(name);
  }
  await cleanupTempProjects();
});

const compose = `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - from_file
      - from_env
      - source: from_file
        target: /etc/app/key
  worker:
    image: ${images.busybox}
    command: ${IDLE}
    depends_on: [app]
    secrets:
      - from_env
secrets:
  from_file:
    file: ./secret.txt
  from_env:
    environment: CLEANUP_SECRET
`;

const roots = ["/run/composec", "/var/lib/docker", "/tmp", "/var/tmp"];

/** Nothing of the project anywhere: engine, mount table, material directory, bytes on the host. */
async function expectNothingLeft(name: string, dir: string, values: string[], when: string): Promise<void> {
  expect(await engineResources(name), when).toEqual({ containers: 0, networks: 0, volumes: 0 });
  expect(mountsUnder(materialDir(name)), `${when}: tmpfs still mounted`).toEqual([]);
  expect(materialGone(name), `${when}: material directory left`).toBe(true);
  for (const [i, value] of values.entries()) {
    expect(
      filesContaining(value, roots, [path.basename(dir)]),
      `${when}: files holding secret #${i}`,
    ).toEqual([]);
  }
}

describe("cleanup", () => {
  it("down removes the material and unmounts the tmpfs", async () => {
    const name = await project("clean-down");
    const values = [randomValue("clean-file"), randomValue("clean-env")];
    const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
    const env = { CLEANUP_SECRET: values[1]! };
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
    expect(mountsUnder(materialDir(name))).toEqual([materialDir(name)]);
    expect((await readdir(path.join(materialDir(name), "services"))).sort()).toEqual(["app", "worker"]);
    await cliOk(["-p", name, "down"], { cwd: dir, env, hide: values });
    await expectNothingLeft(name, dir, values, "after down");
  });

  // A crash leaves material but no container (killed between delivering and creating, or the
  // containers removed by hand): `down` still removes it, even with nothing on the engine.
  it("down after a crash that left no containers still removes the material", async () => {
    const name = await project("clean-orphan");
    const values = [randomValue("orphan-file"), randomValue("orphan-env")];
    const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
    const env = { CLEANUP_SECRET: values[1]! };
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
    const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${name}`] });
    for (const info of await docker.listContainers({ all: true, filters })) {
      await docker.getContainer(info.Id).remove({ force: true });
    }
    for (const info of await docker.listNetworks({ filters })) await docker.getNetwork(info.Id).remove();
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(mountsUnder(materialDir(name))).toEqual([materialDir(name)]);
    // From the project directory, and by name alone from elsewhere: both must clean.
    await cliOk(["-p", name, "down"], { cwd: dir, env, hide: values });
    await expectNothingLeft(name, dir, values, "after down in the project directory");

    await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
    for (const info of await docker.listContainers({ all: true, filters })) {
      await docker.getContainer(info.Id).remove({ force: true });
    }
    await cliOk(["-p", name, "down"], { hide: values });
    await expectNothingLeft(name, dir, values, "after down by project name");
  });

  // kill -9 at several points of `up` (spread over how long a whole `up` takes here): each time the
  // next `up -d` converges (containers running with the right bytes, no staging left), a kill of
  // that `up` followed by `down` leaves nothing, and so does the final `down`.
  it("up killed with SIGKILL at any point: the next up converges and down leaves nothing", async () => {
    const name = await project("clean-kill");
    const values = [randomValue("kill-file"), randomValue("kill-env")];
    const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
    const env = { CLEANUP_SECRET: values[1]! };

    // How long a full `up -d` of this project takes from nothing, on this machine, now.
    const start = performance.now();
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
    const full = performance.now() - start;
    await cliOk(["-p", name, "down", "-t", "0"], { cwd: dir, env, hide: values });
    await expectNothingLeft(name, dir, values, "after the timing run");

    const killUpAfter = async (ms: number): Promise<void> => {
      const child = spawnCli(["-p", name, "up", "-d"], dir, env);
      const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, ms));
      child.kill("SIGKILL");
      await closed;
    };

    const phases: string[] = [];
    for (const fraction of [0.15, 0.35, 0.5, 0.65, 0.8, 0.95]) {
      const ms = Math.round(full * fraction);
      const when = `killed after ${ms} ms of ${Math.round(full)}`;
      // A new value each round, so a stale file from an earlier round would show.
      values[0] = randomValue(`kill-file-${ms}`);
      await writeFile(path.join(dir, "secret.txt"), values[0]);

      await killUpAfter(ms);
      // Where the kill landed, to show the rounds cover different phases of `up`.
      const left = await engineResources(name);
      phases.push(
        `${ms} ms: material ${mountsUnder(materialDir(name)).length > 0 ? "mounted" : "absent"}, ` +
          `${left.containers} container(s), ${left.networks} network(s)`,
      );
      const again = await cli(["-p", name, "up", "-d"], { cwd: dir, env });
      expect(again.code, `${when}: up -d afterwards exited ${again.code}`).toBe(0);
      for (const service of ["app", "worker"]) {
        const info = await docker.getContainer(`${name}-${service}-1`).inspect();
        expect(info.State.Running, `${when}: ${service} running`).toBe(true);
      }
      expect(await digestIn(`${name}-app-1`, "/run/secrets/from_file"), when).toBe(sha256(values[0]));
      expect(await digestIn(`${name}-app-1`, "/etc/app/key"), when).toBe(sha256(values[0]));
      expect(await digestIn(`${name}-worker-1`, "/run/secrets/from_env"), when).toBe(sha256(values[1]!));
      expect(await readdir(path.join(materialDir(name), ".staging")), `${when}: staging`).toEqual([]);
      expect(mountsUnder(materialDir(name)), `${when}: one tmpfs`).toEqual([materialDir(name)]);

      // Killed again from a running project, then down: nothing left.
      await killUpAfter(ms);
      const down = await cli(["-p", name, "down", "-t", "0"], { cwd: dir, env });
      expect(down.code, `${when}: down exited ${down.code}`).toBe(0);
      await expectNothingLeft(name, dir, values, `${when}, then down`);
    }
    console.log(`full up -d: ${Math.round(full)} ms; state after each kill: ${phases.join("; ")}`);
  }, 600_000);
});
