// Intent: a project network whose settings changed in the files is recreated by `up` (as Compose
// v2 does, by its config-hash label), with the project's containers on it made anew and running
// with their secrets; an unchanged project touches nothing; `--dry-run` shows the steps and does
// none; an external network is never touched; another project's container on the network stops
// `up` before anything is removed. Proven by the engine's inspect of networks and containers.
import { randomInt } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, docker, images, PROJECT_LABEL, TEST_LABEL, tempProject } from "./helpers.js";
import { cliOk, digestIn, IDLE, randomValue, sha256, trackProjects } from "./secrets-helpers.js";
import { materialGoneOn, onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();
const CONFIG_HASH = "com.docker.compose.config-hash";

/** A /24 unlikely to be taken by another test's network on this shared engine. */
const subnet = (): string => `10.${randomInt(100, 250)}.${randomInt(0, 255)}.0/24`;

/** The compose file with `back`'s settings given as YAML lines (indented under the network). */
function compose(network: string[]): string {
  return [
    "services:",
    "  app:",
    `    image: ${images.busybox}`,
    `    command: ${IDLE}`,
    "    networks: [back]",
    "    secrets: [token]",
    "networks:",
    "  back:",
    ...network.map((line) => `    ${line}`),
    "secrets:",
    "  token:",
    "    file: ./token.txt",
    "",
  ].join("\n");
}

async function networkOf(name: string) {
  return docker.getNetwork(name).inspect() as Promise<{
    Id: string;
    Internal: boolean;
    Options: Record<string, string>;
    Labels: Record<string, string>;
    IPAM: { Config: { Subnet?: string }[] | null };
  }>;
}

async function containerOf(name: string) {
  const info = await docker.getContainer(name).inspect();
  return { id: info.Id, running: info.State.Running, networks: Object.keys(info.NetworkSettings.Networks) };
}

describe("up with a project network whose config changed", () => {
  onEachDeliveryPath((via) => {
    it("recreates the network and its service's container; unchanged files touch nothing", async () => {
      const name = await project("netcfg");
      const token = randomValue("netcfg");
      const first = subnet();
      const dir = await tempProject({
        "compose.yaml": compose(["ipam:", `  config: [{ subnet: "${first}" }]`]),
      });
      await writeFile(path.join(dir, "token.txt"), token);
      const run = (...args: string[]) => cliOk(["-p", name, ...args], { cwd: dir, hide: [token] });
      await run("up", "-d");
      const netName = `${name}_back`;
      const container = `${name}-app-1`;
      const made = await networkOf(netName);
      expect(made.Labels[CONFIG_HASH]).toMatch(/^[0-9a-f]{64}$/);
      const before = await containerOf(container);

      // Unchanged: the same network and container.
      await run("up", "-d");
      expect((await networkOf(netName)).Id).toBe(made.Id);
      expect((await containerOf(container)).id).toBe(before.id);

      // A new subnet, a driver option and internal: the dry run names the steps and does none.
      const second = subnet();
      await writeFile(
        path.join(dir, "compose.yaml"),
        compose([
          "internal: true",
          "driver_opts:",
          '  com.docker.network.bridge.enable_icc: "true"',
          "ipam:",
          `  config: [{ subnet: "${second}" }]`,
        ]),
      );
      const dry = await run("--dry-run", "up", "-d");
      expect(dry.stdout).toContain("network:back, RemoveNetwork, config changed");
      expect(dry.stdout).toContain("network:back, CreateNetwork, config changed, recreated");
      expect(dry.stdout).toContain("service:app:1, RemoveContainer, network back config changed");
      expect((await networkOf(netName)).Id).toBe(made.Id);
      expect(await containerOf(container)).toEqual(before);

      await run("up", "-d");
      const remade = await networkOf(netName);
      expect(remade.Id).not.toBe(made.Id);
      expect(remade.Internal).toBe(true);
      expect(remade.Options).toMatchObject({ "com.docker.network.bridge.enable_icc": "true" });
      expect(remade.IPAM.Config?.map((pool) => pool.Subnet)).toEqual([second]);
      expect(remade.Labels[CONFIG_HASH]).not.toBe(made.Labels[CONFIG_HASH]);
      const after = await containerOf(container);
      expect(after.id).not.toBe(before.id);
      expect(after.running).toBe(true);
      expect(after.networks).toEqual([netName]);
      expect(await digestIn(container, "/run/secrets/token")).toBe(sha256(token));

      // And once made, up leaves the new network alone.
      await run("up", "-d");
      expect((await networkOf(netName)).Id).toBe(remade.Id);
      expect((await containerOf(container)).id).toBe(after.id);

      // The recreate left no material of the old container behind: down removes all of it.
      await run("down", "-t", "0");
      expect(await materialGoneOn(via, name)).toBe(true);
    });
  });

  it("refuses, naming it, when another project's container is on the network; nothing changes", async () => {
    // Taken down first: the network cannot go while the other project's container is on it.
    const other = await project("netcfg-other");
    const name = await project("netcfg-foreign");
    const token = randomValue("netcfg");
    const dir = await tempProject({
      "compose.yaml": compose(["driver_opts:", '  com.docker.network.driver.mtu: "1400"']),
    });
    await writeFile(path.join(dir, "token.txt"), token);
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [token] });
    const netName = `${name}_back`;
    const made = await networkOf(netName);
    const before = await containerOf(`${name}-app-1`);
    // A container of another project, made on the network by hand (as a shared network allows).
    const stranger = await docker.createContainer({
      name: `${other}-x-1`,
      Image: images.busybox,
      Cmd: ["sleep", "1000"],
      Labels: { [PROJECT_LABEL]: other, [TEST_LABEL]: "1" },
      HostConfig: { NetworkMode: netName },
    });
    await stranger.start();
    // And one made on it but never started: the engine lists no endpoint for it, it is on it all the same.
    await docker.createContainer({
      name: `${other}-y-1`,
      Image: images.busybox,
      Cmd: ["sleep", "1000"],
      Labels: { [PROJECT_LABEL]: other, [TEST_LABEL]: "1" },
      HostConfig: { NetworkMode: netName },
    });

    await writeFile(
      path.join(dir, "compose.yaml"),
      compose(["driver_opts:", '  com.docker.network.driver.mtu: "1300"']),
    );
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`network ${netName}: config changed and it must be recreated`);
    expect(result.stderr).toContain(`${other}-x-1 (project ${other}), ${other}-y-1 (project ${other})`);
    expect(result.stderr).not.toContain(token);
    expect((await networkOf(netName)).Id).toBe(made.Id);
    expect(await containerOf(`${name}-app-1`)).toEqual(before);
    expect((await containerOf(`${other}-x-1`)).running).toBe(true);
  });

  it("never touches an external network, whatever the files say of it", async () => {
    const name = await project("netcfg-ext");
    const external = `${name}-shared`;
    const created = await docker.createNetwork({
      Name: external,
      Labels: { [TEST_LABEL]: "1", [PROJECT_LABEL]: name },
    });
    try {
      const dir = await tempProject({ "compose.yaml": compose(["external: true", `name: ${external}`]) });
      await writeFile(path.join(dir, "token.txt"), randomValue("netcfg"));
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const before = await containerOf(`${name}-app-1`);
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const seen = await networkOf(external);
      expect(seen.Id).toBe(created.id);
      expect(seen.Labels[CONFIG_HASH]).toBeUndefined();
      expect((await containerOf(`${name}-app-1`)).id).toBe(before.id);
      await cliOk(["-p", name, "down", "-t", "0"], { cwd: dir });
      expect((await networkOf(external)).Id).toBe(created.id);
    } finally {
      await docker
        .getNetwork(external)
        .remove()
        .catch(() => undefined);
    }
  });
});
