// Intent: `down` removes the project's secret material and unmounts its tmpfs; an `up` killed with
// SIGKILL at any point leaves a state that the next `up` completes and the next `down` removes
// completely; and `down` removes material left behind with no container at all. Proven by the
// mount table, the material directory, the engine's labels and a search of the host for the bytes.
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { sampled } from "../sampling.js";
import { cli, docker, images, PROJECT_LABEL, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  filesContaining,
  IDLE,
  materialDir,
  mountsUnder,
  randomValue,
  sha256,
  spawnCli,
  trackProjects,
} from "./secrets-helpers.js";
import {
  holderName,
  materialFiles,
  materialGoneOn,
  materialPresentOn,
  materialServices,
  onEachDeliveryPath,
  type DeliveryPath,
} from "./delivery-paths.js";

const project = trackProjects();

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

/**
 * What a reboot does to the project's tmpfs: gone, the containers still there. On the engine's side
 * an engine restart does the same: the holder stops (RestartPolicy no), its tmpfs volume unmounts.
 */
async function loseMaterial(via: DeliveryPath, name: string): Promise<void> {
  if (via === "engine") {
    await docker.getContainer(holderName(name)).kill();
    await docker.getContainer(holderName(name)).wait();
    return;
  }
  execFileSync("umount", ["-l", materialDir(name)]);
  execFileSync("rm", ["-rf", "--one-file-system", materialDir(name)]);
}

const roots = ["/run/composec", "/var/lib/docker", "/tmp", "/var/tmp"];

/** Nothing of the project anywhere: engine, mount table, material directory, bytes on the host. */
async function expectNothingLeft(
  via: DeliveryPath,
  name: string,
  dir: string,
  values: string[],
  when: string,
): Promise<void> {
  expect(await engineResources(name), when).toEqual({ containers: 0, networks: 0, volumes: 0 });
  expect(mountsUnder(materialDir(name)), `${when}: tmpfs still mounted`).toEqual([]);
  expect(await materialGoneOn(via, name), `${when}: material left`).toBe(true);
  for (const [i, value] of values.entries()) {
    expect(
      filesContaining(value, roots, [path.basename(dir)]),
      `${when}: files holding secret #${i}`,
    ).toEqual([]);
  }
}

onEachDeliveryPath((via) => {
  describe("cleanup", () => {
    it("down removes the material and unmounts the tmpfs", async () => {
      const name = await project("clean-down");
      const values = [randomValue("clean-file"), randomValue("clean-env")];
      const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
      const env = { CLEANUP_SECRET: values[1]! };
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
      expect(await materialPresentOn(via, name)).toBe(true);
      expect(await materialServices(via, name, "services")).toEqual(["app", "worker"]);
      await cliOk(["-p", name, "down"], { cwd: dir, env, hide: values });
      await expectNothingLeft(via, name, dir, values, "after down");
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
      // On the engine's side the holder went with the containers; its volume stays until down.
      expect(await engineResources(name)).toEqual({
        containers: 0,
        networks: 0,
        volumes: via === "engine" ? 1 : 0,
      });
      if (via === "local") expect(mountsUnder(materialDir(name))).toEqual([materialDir(name)]);
      // From the project directory, and by name alone from elsewhere: both must clean.
      await cliOk(["-p", name, "down"], { cwd: dir, env, hide: values });
      await expectNothingLeft(via, name, dir, values, "after down in the project directory");

      await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
      for (const info of await docker.listContainers({ all: true, filters })) {
        await docker.getContainer(info.Id).remove({ force: true });
      }
      await cliOk(["-p", name, "down"], { hide: values });
      await expectNothingLeft(via, name, dir, values, "after down by project name");
    });

    // CLARIFICATIONS 13: a reboot or a dockerd restart empties the tmpfs while containers remain.
    // `up` delivers again and recreates the containers whose mounts point at nothing.
    it("material lost under running containers: up delivers again and recreates them", async () => {
      const name = await project("clean-lost");
      const values = [randomValue("lost-file"), randomValue("lost-env")];
      const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
      const env = { CLEANUP_SECRET: values[1]! };
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
      const before = (await docker.getContainer(`${name}-app-1`).inspect()).Id;
      await loseMaterial(via, name);
      expect(await materialPresentOn(via, name)).toBe(false);
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
      expect((await docker.getContainer(`${name}-app-1`).inspect()).Id).not.toBe(before);
      expect(await digestIn(`${name}-app-1`, "/run/secrets/from_file")).toBe(sha256(values[0]!));
      expect(await digestIn(`${name}-app-1`, "/etc/app/key")).toBe(sha256(values[0]!));
      expect(await digestIn(`${name}-worker-1`, "/run/secrets/from_env")).toBe(sha256(values[1]!));
      await cliOk(["-p", name, "down", "-t", "0"], { cwd: dir, env, hide: values });
      await expectNothingLeft(via, name, dir, values, "after down");
    });

    // CLARIFICATIONS 13: "`ps` shows services whose material is missing".
    it("ps tells which services lost their secret material", async () => {
      const name = await project("clean-ps");
      const values = [randomValue("ps-file"), randomValue("ps-env")];
      const dir = await tempProject({ "compose.yaml": compose, "secret.txt": values[0]! });
      const env = { CLEANUP_SECRET: values[1]! };
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: values });
      const healthy = await cliOk(["-p", name, "ps"], { cwd: dir, env, hide: values });
      expect(healthy.stdout + healthy.stderr).not.toMatch(/missing|lost/i);
      await loseMaterial(via, name);
      const result = await cliOk(["-p", name, "ps"], { cwd: dir, env, hide: values });
      const text = result.stdout + result.stderr;
      expect(text, "ps says nothing about the missing material").toMatch(/secret|material/i);
      expect(text).toMatch(/missing|lost|gone/i);
      expect(text).toContain("app");
      expect(text).toContain("worker");
    });

    // A service removed from the file leaves an orphan container that `up` keeps running (with a
    // warning, as Compose does): its secrets must stay until the container goes; `up
    // --remove-orphans` then removes container and material together.
    it("an orphan left running keeps its secrets; --remove-orphans removes its material", async () => {
      const name = await project("clean-orphan-svc");
      const value = randomValue("orphan-svc");
      const yaml = (services: string[]) =>
        "services:\n" +
        services
          .map((s) => `  ${s}:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [s]\n`)
          .join("") +
        "secrets:\n  s:\n    file: ./s.txt\n";
      const dir = await tempProject({ "compose.yaml": yaml(["keep", "gone"]), "s.txt": value });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
      await writeFile(path.join(dir, "compose.yaml"), yaml(["keep"]));
      const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
      expect(result.stderr).toMatch(/orphan/i);
      expect((await docker.getContainer(`${name}-gone-1`).inspect()).State.Running).toBe(true);
      expect(await digestIn(`${name}-gone-1`, "/run/secrets/s"), "the running orphan lost its secret").toBe(
        sha256(value),
      );
      expect(await digestIn(`${name}-keep-1`, "/run/secrets/s")).toBe(sha256(value));

      await cliOk(["-p", name, "up", "-d", "--remove-orphans"], { cwd: dir, hide: [value] });
      expect(await materialServices(via, name, "services")).toEqual(["keep"]);
      expect(await digestIn(`${name}-keep-1`, "/run/secrets/s")).toBe(sha256(value));
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
      await expectNothingLeft(via, name, dir, values, "after the timing run");

      const killUpAfter = async (ms: number): Promise<void> => {
        const child = spawnCli(["-p", name, "up", "-d"], dir, env);
        const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, ms));
        child.kill("SIGKILL");
        await closed;
      };

      const phases: string[] = [];
      // Two of the six points per run in CI (the crash suite, test/crash/, kills `up` anywhere too).
      const fractions = sampled(`cleanup (${via}): up killed`, [0.15, 0.35, 0.5, 0.65, 0.8, 0.95], 2);
      for (const fraction of fractions) {
        const ms = Math.round(full * fraction);
        const when = `killed after ${ms} ms of ${Math.round(full)}`;
        // A new value each round, so a stale file from an earlier round would show.
        values[0] = randomValue(`kill-file-${ms}`);
        await writeFile(path.join(dir, "secret.txt"), values[0]);

        await killUpAfter(ms);
        // Where the kill landed, to show the rounds cover different phases of `up`.
        const left = await engineResources(name);
        phases.push(
          `${ms} ms: material ${(await materialPresentOn(via, name)) ? "in place" : "absent"}, ` +
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
        const staging = [...(await materialFiles(via, name)).keys()].filter((f) => f.startsWith(".staging"));
        expect(staging, `${when}: staging`).toEqual([]);
        expect(await materialPresentOn(via, name), `${when}: material in place`).toBe(true);
        if (via === "local")
          expect(mountsUnder(materialDir(name)), `${when}: one tmpfs`).toEqual([materialDir(name)]);

        // Killed again from a running project, then down: nothing left.
        await killUpAfter(ms);
        const down = await cli(["-p", name, "down", "-t", "0"], { cwd: dir, env });
        expect(down.code, `${when}: down exited ${down.code}`).toBe(0);
        await expectNothingLeft(via, name, dir, values, `${when}, then down`);
      }
      console.log(`full up -d: ${Math.round(full)} ms; state after each kill: ${phases.join("; ")}`);
    }, 600_000);
  });
});
