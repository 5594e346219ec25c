// The helpers every integration test leans on: if cleanup by label missed something, tests would
// leak into each other; if cli() mangled exit codes or output, every CLI test would lie.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  PROJECT_LABEL,
  cleanupTempProjects,
  cli,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

afterAll(cleanupTempProjects);

describe("integration helpers", () => {
  it("uniqueProjectName gives distinct valid project names", () => {
    const a = uniqueProjectName("My Test!");
    const b = uniqueProjectName("My Test!");
    expect(a).not.toBe(b);
    for (const name of [a, b, uniqueProjectName("--x"), uniqueProjectName("")]) {
      expect(name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    }
  });

  it("tempProject writes nested files with exact bytes and modes", async () => {
    const bytes = Buffer.from([0, 255, 10, 13]);
    const dir = await tempProject({
      "compose.yaml": "services: {}\n",
      "secrets/raw.bin": bytes,
      "secrets/key": { content: "k", mode: 0o600 },
    });
    expect(await readFile(path.join(dir, "compose.yaml"), "utf8")).toBe("services: {}\n");
    expect(await readFile(path.join(dir, "secrets/raw.bin"))).toEqual(bytes);
    expect((await stat(path.join(dir, "secrets/key"))).mode & 0o777).toBe(0o600);
  });

  it("cli runs the built CLI and reports its exit code and output", async () => {
    const result = await cli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("cli feeds input to the CLI's stdin and keeps stdout and stderr apart", async () => {
    const input = `services:\n  web:\n    image: ${images.busybox}\n`;
    const ok = await cli(["-p", uniqueProjectName("stdin"), "-f", "-", "config"], { input });
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    expect(ok.stdout).toContain(images.busybox);
    const usage = await cli(["--no-such-flag"]);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe("");
    expect(usage.stderr).toContain("--no-such-flag");
  });

  it("removeProjectResources removes the project's containers, networks and volumes only", async () => {
    const project = uniqueProjectName("helpers");
    const other = uniqueProjectName("helpers-other");
    const labels = { [PROJECT_LABEL]: project };
    try {
      const network = await docker.createNetwork({ Name: `${project}_default`, Labels: labels });
      const volume = await docker.createVolume({ Name: `${project}_data`, Labels: labels });
      const container = await docker.createContainer({
        Image: images.busybox,
        Cmd: ["sleep", "300"],
        Labels: labels,
        HostConfig: { NetworkMode: `${project}_default`, Binds: [`${project}_data:/data`] },
      });
      await container.start();
      const survivor = await docker.createVolume({
        Name: `${other}_data`,
        Labels: { [PROJECT_LABEL]: other },
      });

      await removeProjectResources(project);

      await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(network.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getVolume(volume.name).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getVolume(survivor.name).inspect()).resolves.toBeTruthy();
      // Nothing left is not an error.
      await removeProjectResources(project);
    } finally {
      await removeProjectResources(project);
      await removeProjectResources(other);
    }
  });
});
