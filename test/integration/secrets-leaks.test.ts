// Intent: secret bytes go nowhere but the project's tmpfs and the containers that list them:
// never into `docker inspect` (env, labels, command, mounts), composec's own output, a container's
// writable layer, or any disk file on the host; and after `down` nothing of them is left anywhere,
// the tmpfs included. Values are random and recognisable; they are searched for, never printed.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { docker, images, PROJECT_LABEL, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  DISK_ROOTS,
  expectNoDiskCopies,
  expectNoFilesHolding,
  IDLE,
  materialDir,
  mountsUnder,
  randomValue,
  scrub,
  sha256,
  trackProjects,
} from "./secrets-helpers.js";
import { materialGoneOn, onEachDeliveryPath, secretsVolume } from "./delivery-paths.js";

const project = trackProjects();

onEachDeliveryPath((via) => {
  describe("secret values never leak", () => {
    it("not in inspect, output, writable layers or host files; nothing left after down", async () => {
      const name = await project("leak");
      const values = {
        file: randomValue("leak-file"),
        env: randomValue("leak-env"),
        dotenv: randomValue("leak-dotenv"),
        absolute: randomValue("leak-abs"),
      };
      const all = Object.values(values);
      const dir = await tempProject({
        "file.txt": values.file,
        "abs.txt": values.absolute,
        ".env": `DOTENV_SECRET=${values.dotenv}\n`,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    environment:
      TOKEN_FILE: /run/secrets/from_env
    labels:
      purpose: leak-test
    secrets:
      - from_file
      - from_env
      - from_dotenv
      - source: absolute
        target: /etc/app/key
        uid: "1000"
        mode: 0400
  readonly:
    image: ${images.busybox}
    read_only: true
    command: ${IDLE}
    secrets:
      - from_env
      - source: from_dotenv
        target: /etc/ro-key
  plain:
    image: ${images.busybox}
    command: ${IDLE}
secrets:
  from_file:
    file: ./file.txt
  from_env:
    environment: SHELL_SECRET
  from_dotenv:
    environment: DOTENV_SECRET
  absolute:
    file: ./abs.txt
`,
      });
      const env = { SHELL_SECRET: values.env };
      const run = (args: string[]) => cliOk(["-p", name, ...args], { cwd: dir, env, hide: all });
      const outputs: [string, string][] = [];
      const record = (label: string, result: { stdout: string; stderr: string }) => {
        outputs.push([`${label} stdout`, result.stdout], [`${label} stderr`, result.stderr]);
      };

      record(
        "up --dry-run",
        await cliOk(["--dry-run", "-p", name, "up", "-d"], { cwd: dir, env, hide: all }),
      );
      record("up -d", await run(["up", "-d"]));
      const containers = [`${name}-app-1`, `${name}-readonly-1`, `${name}-plain-1`];
      // The delivery worked (else the rest proves nothing).
      expect(await digestIn(containers[0]!, "/run/secrets/from_file")).toBe(sha256(values.file));
      expect(await digestIn(containers[0]!, "/run/secrets/from_env")).toBe(sha256(values.env));
      expect(await digestIn(containers[0]!, "/run/secrets/from_dotenv")).toBe(sha256(values.dotenv));
      expect(await digestIn(containers[0]!, "/etc/app/key")).toBe(sha256(values.absolute));
      expect(await digestIn(containers[1]!, "/etc/ro-key")).toBe(sha256(values.dotenv));

      record("up -d again", await run(["up", "-d"]));
      record("ps", await run(["ps"]));
      record("ps --format json", await run(["ps", "--format", "json"]));
      record("config", await run(["config"]));
      record("config --format json", await run(["config", "--format", "json"]));

      for (const container of containers) {
        const info = await docker.getContainer(container).inspect();
        const parts = {
          "Config.Env": info.Config.Env,
          "Config.Labels": info.Config.Labels,
          "Config.Cmd": info.Config.Cmd,
          "Config.Entrypoint": info.Config.Entrypoint,
          Mounts: info.Mounts,
          HostConfig: info.HostConfig,
          "whole inspect": info,
        };
        for (const [part, data] of Object.entries(parts)) {
          const text = JSON.stringify(data);
          for (const [kind, value] of Object.entries(values)) {
            expect(text.includes(value), `${container} ${part} holds the ${kind} secret`).toBe(false);
            expect(
              text.includes(sha256(value)),
              `${container} ${part} holds a sha256 of the ${kind} secret`,
            ).toBe(false);
          }
        }
      }

      // The writable layers (only the mount points themselves) and, while running, no disk file of
      // the engine's, ours or the temp dir's holds a value (the project's own source files aside:
      // they are the user's).
      // On the engine's side the values are on the holder's tmpfs volume, mounted under the
      // engine's data root: that mount is memory, the rest of the data root is disk.
      await expectNoDiskCopies(
        containers,
        values,
        dir,
        undefined,
        via === "engine" ? [secretsVolume(name)] : [],
      );
      const roots = DISK_ROOTS;
      const skip = [path.basename(dir)];

      const down = await run(["down", "-t", "0"]);
      record("down", down);
      for (const [label, text] of outputs) {
        for (const [kind, value] of Object.entries(values)) {
          expect(text.includes(value), `composec ${label} holds the ${kind} secret`).toBe(false);
        }
        expect(scrub(text, all)).toBe(text);
      }

      // After down: the tmpfs is unmounted and gone, and no file under /run/composec, the engine's
      // directory or the temp dirs holds a value.
      expect(await materialGoneOn(via, name)).toBe(true);
      expect(mountsUnder(materialDir(name))).toEqual([]);
      const containersLeft = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${PROJECT_LABEL}=${name}`] }),
      });
      expect(containersLeft).toEqual([]);
      expectNoFilesHolding(values, ["/run/composec", ...roots], skip, "after down");
    });
  });
});
