// Intent: a delivered file removed by hand from the material (under a running, unchanged service)
// is written again by the next `up`, with the same bytes, without recreating the container; the
// plan says why (`secret X missing`), and `--dry-run` shows that and changes nothing.
// On both delivery paths (the engine side's store finds missing files in the holder's listing).
import { rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { images, tempProject } from "./helpers.js";
import { cliOk, digestIn, identity, IDLE, randomValue, sha256, trackProjects } from "./secrets-helpers.js";
import { materialRoot, onEachDeliveryPath } from "./delivery-paths.js";
import { existsSync } from "node:fs";
import { pathFor } from "../../src/materialize/layout.js";

const project = trackProjects();

onEachDeliveryPath((via) => {
  describe("a delivered file removed by hand", () => {
    it("is written again by the next up, same bytes, same container; --dry-run says why", async () => {
      const name = await project("missing-file");
      const values = { live: randomValue("miss-live"), fixed: randomValue("miss-fixed") };
      const dir = await tempProject({
        "live.txt": values.live,
        "fixed.txt": values.fixed,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - live
      - source: fixed
        target: /etc/app/fixed
secrets:
  live:
    file: ./live.txt
  fixed:
    file: ./fixed.txt
`,
      });
      const hide = Object.values(values);
      const up = (args: string[] = []) => cliOk([...args, "-p", name, "up", "-d"], { cwd: dir, hide });
      await up();
      const app = `${name}-app-1`;
      const before = await identity(app);
      const root = await materialRoot(via, name);
      const live = path.join(root, pathFor("app", "/run/secrets/live"));
      // An absolute target's file: the container's single-file mount keeps the removed inode.
      const fixed = path.join(root, pathFor("app", "/etc/app/fixed"));
      expect([existsSync(live), existsSync(fixed)]).toEqual([true, true]);
      await rm(live);
      await rm(fixed);
      expect((await digestIn(app, "/run/secrets/live")) === sha256(values.live)).toBe(false);

      const dry = await up(["--dry-run"]);
      expect(dry.stdout).toMatch(
        /\] -> #\d+ service:app, DeliverSecrets, secret live missing; secret fixed missing at \/etc\/app\/fixed\n/,
      );
      expect([existsSync(live), existsSync(fixed)]).toEqual([false, false]);

      const result = await up();
      expect(result.code).toBe(0);
      expect(await digestIn(app, "/run/secrets/live")).toBe(sha256(values.live));
      expect(await digestIn(app, "/etc/app/fixed")).toBe(sha256(values.fixed));
      expect(await identity(app)).toEqual(before);
      expect(existsSync(fixed)).toBe(true);
      // Up to date again: the next plan has nothing to deliver.
      expect((await up(["--dry-run"])).stdout).not.toContain("DeliverSecrets");
    });
  });
});
