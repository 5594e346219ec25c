// Intent: `attach: false` and `label_file` as a user meets them through the built CLI against the
// real engine: an attached `up` shows only the attached services' output, and labels read from a
// label file are on the created container (the service's own `labels` winning).
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

let name: string;
beforeEach(async () => {
  name = uniqueProjectName("attach");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

describe("attach and label_file", () => {
  it("an attached up leaves out attach: false; label files label the container", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  shown:
    image: ${images.busybox}
    command: ["sh", "-c", "sleep 1; echo shown says hi"]
    label_file: ./web.labels
    labels:
      team: own
  hidden:
    image: ${images.busybox}
    command: ["sh", "-c", "echo hidden says hi"]
    attach: false
`,
      "web.labels": "com.example.tier=front\nteam=from-file\n",
    });
    const up = await cli(["-p", name, "up", "--no-color"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain("shown-1  | shown says hi");
    expect(up.stdout).not.toContain("hidden");

    const [container] = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${name}`, "com.docker.compose.service=shown"] },
    });
    const labels = (await docker.getContainer(container!.Id).inspect()).Config.Labels;
    expect(labels["com.example.tier"]).toBe("front");
    expect(labels["team"]).toBe("own");
    // The hidden service ran all the same.
    const logs = await cli(["-p", name, "logs", "hidden"], { cwd: dir });
    expect(logs.stdout).toContain("hidden says hi");
  });
});
