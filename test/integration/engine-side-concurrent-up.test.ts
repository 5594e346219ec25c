// Intent: several `up`s of one project started together (a CI script and a watch tool, say), each
// with its own value of a secret, all succeed on either delivery path: none removes what another is
// staging, the last commit wins whole, the container ends with the bytes of one of the values, and
// nothing is left in staging.
import { expect, it } from "vitest";
import { cli, images, tempProject } from "./helpers.js";
import { cliOk, digestIn, IDLE, randomValue, scrub, sha256, trackProjects } from "./secrets-helpers.js";
import { materialFiles, onEachDeliveryPath } from "./delivery-paths.js";
import { STAGING_DIR } from "../../src/materialize/layout.js";

const project = trackProjects();
/** Targets of the one secret: a delivery stages this many files, so that it takes a while. */
const TARGETS = 8;
/** Starts a little apart, so that one `up` looks at staging while another is filling it. */
const STAGGER_MS = 20;

onEachDeliveryPath((via) => {
  it("ups at once with different values: all exit 0, the container holds one value whole, staging is empty", async () => {
    const name = await project("concurrent-up");
    // Each `up` from its own directory (the same project name), with its own value file.
    const values = ["first", "second", "third"].map((tag) => randomValue(tag).repeat(20_000));
    const targets = Array.from(
      { length: TARGETS },
      (_, i) => `      - source: token\n        target: t${i}\n`,
    );
    const dirs = await Promise.all(
      values.map((value) =>
        tempProject({
          "token.txt": value,
          "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
${targets.join("")}secrets:
  token:
    file: ./token.txt
`,
        }),
      ),
    );
    // The project exists first (`up`s that all create its network or container race in the
    // engine, as with docker compose); then the others deliver new values at once.
    await cliOk(["-p", name, "up", "-d"], { cwd: dirs[0]!, hide: values });
    const results = await Promise.all(
      dirs.slice(1).map(async (dir, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * STAGGER_MS));
        return cli(["-p", name, "up", "-d"], { cwd: dir });
      }),
    );
    for (const result of results) expect(result.code, scrub(result.stderr, values)).toBe(0);
    const digest = await digestIn(`${name}-app-1`, "/run/secrets/t0");
    expect(values.slice(1).map((value) => sha256(value))).toContain(digest);
    for (let i = 1; i < TARGETS; i++)
      expect(await digestIn(`${name}-app-1`, `/run/secrets/t${i}`)).toBe(digest);
    const files = await materialFiles(via, name);
    expect([...files.keys()].filter((path) => path.startsWith(`${STAGING_DIR}/`))).toEqual([]);
  });
});
