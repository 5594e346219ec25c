// Intent: a probe container the env-var shim left behind (composec killed between creating and
// removing it) is no orphan forever: `down` removes it, with the project's files or from its name
// alone, and so does the next `up`. Found by its own label, io.composec.shim-probe=<project>.
import { afterEach, describe, expect, it } from "vitest";
import { cli, docker, images, tempProject } from "./helpers.js";
import { IDLE, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();
const made: string[] = [];

// Whatever a failing test leaves: only the probes this file made, by id.
afterEach(async () => {
  for (const id of made.splice(0)) {
    await docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
});

/** A probe as a killed run leaves it: created from the image, never started, with the probe label. */
async function leftoverProbe(name: string): Promise<string> {
  const container = await docker.createContainer({
    name: `${name}-shim-probe-0badf00d`,
    Image: images.busybox,
    Entrypoint: ["/bin/sh"],
    Cmd: [],
    Labels: { "io.composec.shim-probe": name },
    NetworkDisabled: true,
  });
  made.push(container.id);
  expect(await probes(name)).toEqual([container.id]);
  return container.id;
}

async function probes(name: string): Promise<string[]> {
  const found = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`io.composec.shim-probe=${name}`] }),
  });
  return found.map((container) => container.Id);
}

const compose = `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
`;

describe("leftover env-shim probe", () => {
  it("down removes it, from the files and from the project name alone", { timeout: 60_000 }, async () => {
    const name = await project("probe-down");
    const dir = await tempProject({ "compose.yaml": compose });
    await leftoverProbe(name);
    const dry = await cli(["-p", name, "--dry-run", "down"], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `probe:${name}-shim-probe-0badf00d, RemoveContainer, leftover env-shim probe`,
    );
    expect(await probes(name)).toHaveLength(1);
    const down = await cli(["-p", name, "down"], { cwd: dir });
    expect(down.code, down.stderr).toBe(0);
    expect(await probes(name)).toEqual([]);

    // Nothing of the project but the probe, and no files: `down -p` still finds it.
    await leftoverProbe(name);
    const byName = await cli(["-p", name, "down"]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(await probes(name)).toEqual([]);
  });

  it("the next up removes it and starts the project", { timeout: 60_000 }, async () => {
    const name = await project("probe-up");
    const dir = await tempProject({ "compose.yaml": compose });
    await leftoverProbe(name);
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(await probes(name)).toEqual([]);
    const app = await docker.getContainer(`${name}-app-1`).inspect();
    expect(app.State.Running).toBe(true);
  });
});
