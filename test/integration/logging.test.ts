// Intent: `logging` reaches the container (HostConfig.LogConfig), a change of it recreates the
// container, and a driver whose log the engine cannot read back makes `logs` and attached `up` say
// so in one line naming the service and the driver, while the other services' output still shows.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, docker, images, tempProject, waitFor } from "./helpers.js";
import { trackProjects } from "./secrets-helpers.js";

const newProject = trackProjects();

function project(logging: string, command = `["sh", "-c", "echo hello-from-web && sleep 600"]`): string {
  return `
services:
  web:
    image: ${images.busybox}
    command: ${command}
    init: true
${logging}
  quiet:
    image: ${images.busybox}
    command: ["sh", "-c", "echo hello-from-quiet && sleep 600"]
    init: true
    logging:
      driver: none
`;
}

describe("logging", () => {
  it("sets the driver and its options (numbers as strings); a change recreates the container", async () => {
    const name = await newProject("logging");
    const logging = `    logging:
      driver: local
      options:
        max-size: 1m
        max-file: 2
`;
    const dir = await tempProject({ "compose.yaml": project(logging) });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain("warning");
    const info = await docker.getContainer(`${name}-web-1`).inspect();
    expect(info.HostConfig.LogConfig).toEqual({
      Type: "local",
      Config: { "max-size": "1m", "max-file": "2" },
    });

    const config = await cli(["-p", name, "config", "--format", "json"], { cwd: dir });
    const printed = JSON.parse(config.stdout) as { services: Record<string, { logging?: unknown }> };
    expect(printed.services["web"]!.logging).toEqual({
      driver: "local",
      options: { "max-size": "1m", "max-file": "2" },
    });

    await waitFor(
      async () => (await cli(["-p", name, "logs", "web"], { cwd: dir })).stdout.includes("hello-from-web"),
      { what: "web's output through the local driver" },
    );

    const unchanged = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(unchanged.stderr).not.toContain(`Container ${name}-web-1  Recreate`);
    await writeFile(path.join(dir, "compose.yaml"), project(logging.replace("max-size: 1m", "max-size: 2m")));
    const recreated = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(recreated.code, recreated.stderr).toBe(0);
    expect(recreated.stderr).toContain(`Container ${name}-web-1  Recreated`);
    const after = await docker.getContainer(`${name}-web-1`).inspect();
    expect(after.HostConfig.LogConfig?.Config).toEqual({ "max-size": "2m", "max-file": "2" });
  });

  it("logs says in one line that a driver keeps nothing to read, and shows the other services", async () => {
    const name = await newProject("logging");
    const dir = await tempProject({ "compose.yaml": project("") });
    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    const result = await waitFor(
      async () => {
        const logs = await cli(["-p", name, "logs"], { cwd: dir });
        return logs.stdout.includes("hello-from-web") && logs;
      },
      { what: "web's output" },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("hello-from-quiet");
    const warnings = result.stderr.split("\n").filter((line) => line.startsWith("warning:"));
    expect(warnings).toEqual([
      expect.stringContaining(
        `warning: service "quiet" (container ${name}-quiet-1): logging driver "none" keeps no log the engine can read back`,
      ),
    ]);

    const only = await cli(["-p", name, "logs", "quiet"], { cwd: dir });
    expect(only.code).toBe(0);
    expect(only.stderr).toContain('logging driver "none"');
    expect(only.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("attached up says so too, and still follows the other containers to their end", async () => {
    const name = await newProject("logging");
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ["sh", "-c", "sleep 1; echo hello-from-web"]
  quiet:
    image: ${images.busybox}
    command: ["sh", "-c", "sleep 1; echo hello-from-quiet"]
    logging:
      driver: none
`,
    });
    const result = await cli(["-p", name, "up"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("hello-from-web");
    expect(result.stdout).not.toContain("hello-from-quiet");
    expect(result.stdout).toContain("quiet-1 exited with code 0");
    expect(result.stderr).toContain(`service "quiet" (container ${name}-quiet-1): logging driver "none"`);
  });
});
