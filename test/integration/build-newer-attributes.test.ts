// Intent: the newer `build:` attributes through the built CLI and the real engine: one entry of
// `platforms` is the platform built for, and an attribute the Engine API 1.41 build cannot
// carry (provenance, ssh, ...) is refused before anything is built or created, naming what it needs.
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  runInImage,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

const projects: string[] = [];
afterAll(async () => {
  for (const name of projects) {
    const built = await docker.listImages({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${name}`] }),
    });
    for (const image of built)
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
  }
  await cleanupTempProjects();
});

describe("newer build attributes", () => {
  it("build.platforms with one platform builds for it", async () => {
    const name = uniqueProjectName("bplat");
    projects.push(name);
    const dir = await tempProject({
      Dockerfile: `FROM ${images.busybox}\nRUN echo built > /built\n`,
      "compose.yaml": `
services:
  app:
    build:
      context: .
      platforms: [linux/amd64]
`,
    });
    const built = await cli(["-p", name, "build"], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    const inspected = await docker.getImage(`${name}-app`).inspect();
    expect(`${inspected.Os}/${inspected.Architecture}`).toBe("linux/amd64");
    const read = await runInImage(`${name}-app`, ["cat", "/built"]);
    expect(read.stdout).toBe("built\n");
  });

  it("an attribute POST /build cannot carry is refused before anything is made", async () => {
    const name = uniqueProjectName("bprov");
    projects.push(name);
    const dir = await tempProject({
      Dockerfile: `FROM ${images.busybox}\n`,
      "compose.yaml": `
services:
  app:
    build:
      context: .
      provenance: true
      ssh: [default]
      ulimits: {nofile: 1024}
`,
    });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      "services.app.build.ssh: composec cannot build with ssh: it needs SSH agent forwarding over the BuildKit session",
    );
    expect(up.stderr).toContain(
      "services.app.build.provenance: composec cannot build with provenance: it needs BuildKit attestations (buildx, BuildKit 0.11 or newer), which POST /build of Engine API 1.41 does not offer",
    );
    expect(up.stderr).toContain("services.app.build.ulimits: composec cannot build with ulimits");
    // Each refusal points at the line that wrote it.
    expect(up.stderr).toMatch(/compose\.yaml:6:\d+ services\.app\.build\.provenance: /);
    expect(up.stderr).toMatch(/compose\.yaml:7:\d+ services\.app\.build\.ssh: /);
    expect(up.stderr).toMatch(/compose\.yaml:8:\d+ services\.app\.build\.ulimits: /);
    const made = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${name}`] },
    });
    expect(made).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${name}`] } })).toEqual(
      [],
    );
  });
});
