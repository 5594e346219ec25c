// Intent: two `down`s of the same project at once (two terminals, a script and a user) both end
// well: a container the other `down` is already removing (the engine's 409 "removal of container
// ... is already in progress") or has removed (404) counts as removed, as does a network already
// gone; nothing of the project is left, its secret material neither.
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, images, tempProject } from "./helpers.js";
import { engineResources, IDLE, materialGone, randomValue, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();
afterAll(cleanupTempProjects);

/** Eight services sharing a secret, the last depending on the first. */
function compose(): string {
  const services = Array.from({ length: 8 }, (_, i) =>
    [
      `  s${i}:`,
      `    image: ${images.busybox}`,
      `    command: ${IDLE}`,
      "    secrets: [token]",
      ...(i === 7 ? ["    depends_on: [s0]"] : []),
    ].join("\n"),
  );
  return `services:\n${services.join("\n")}\nsecrets:\n  token:\n    file: ./token.txt\n`;
}

describe("two downs of the same project at once", () => {
  for (const flags of [["-t", "0"], []]) {
    it(`down ${flags.join(" ") || "(graceful)"}: both exit 0 and nothing is left`, async () => {
      const name = await project("down-twice");
      const dir = await tempProject({ "compose.yaml": compose(), "token.txt": randomValue("twice") });
      const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
      expect(up.code, up.stderr).toBe(0);
      const [first, second] = await Promise.all([
        cli(["-p", name, "down", ...flags], { cwd: dir }),
        cli(["-p", name, "down", ...flags], { cwd: dir }),
      ]);
      expect(first.code, first.stderr).toBe(0);
      expect(second.code, second.stderr).toBe(0);
      expect(`${first.stderr}${second.stderr}`).not.toMatch(/Error|error:/);
      expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
      expect(materialGone(name)).toBe(true);
    });
  }
});
