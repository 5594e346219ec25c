// docker-modem's debug output (`DEBUG=modem`) prints whole requests, a pull's registry credentials
// included (the X-Registry-Auth header). composec's engine client loads dockerode with it off.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, socketPath } from "./helpers.js";

describe("the engine client under DEBUG", () => {
  it("prints no request of dockerode's transport, even with DEBUG=modem", () => {
    const client = path.join(repoRoot, "dist/engine/client.js");
    const probe = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { createDocker } = await import(${JSON.stringify(client)});
         await createDocker({ kind: "unix", socketPath: ${JSON.stringify(socketPath)} }).listContainers();
         process.stdout.write("listed");`,
      ],
      { encoding: "utf8", env: { ...process.env, DEBUG: "modem,other" } },
    );
    expect(probe.stdout).toBe("listed");
    expect(probe.stderr).not.toContain("modem");
  });
});
