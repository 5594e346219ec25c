// Intent: Compose `configs` through the secret delivery path (issue 11, part 3). Every source
// (file, environment, inline content, external from the local store) reaches the container with
// exact bytes at its target (default `/<key>`), with uid, gid and mode; `run` gets them too; a
// changed value is picked up by the next `up` (live under /run/secrets, by recreation at an absolute
// target, nothing touched when nothing changed); the bytes are on the project's tmpfs only, never in
// a writable layer or a disk file, and gone after `down`; configs are not masked in logs; bad input
// creates nothing.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, docker, images, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  DISK_ROOTS,
  engineResources,
  expectNoDiskCopies,
  expectNoFilesHolding,
  filesContaining,
  identity,
  IDLE,
  lsIn,
  materialGone,
  randomValue,
  sha256,
  statIn,
  trackProjects,
} from "./secrets-helpers.js";
import { materialGoneOn, materialHolds, onEachDeliveryPath, secretsVolume } from "./delivery-paths.js";

const project = trackProjects();
let storeDir: string;
let storeEnv: Record<string, string>;

beforeAll(async () => {
  storeDir = await mkdtemp(path.join(os.tmpdir(), "composec-configs-store-"));
  storeEnv = {
    COMPOSEC_HOME: path.join(storeDir, "home"),
    COMPOSEC_KEY_FILE: path.join(storeDir, "master.key"),
  };
});
afterAll(async () => {
  await rm(storeDir, { recursive: true, force: true });
});

/** A service `app` granted every kind of config, at the default, relative, absolute and /run/secrets targets. */
const compose = (storeName: string) => `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    configs:
      - from_file
      - source: from_env
        target: etc/app/env.conf
        uid: "1000"
        gid: "1001"
        mode: 0440
      - source: inline
        target: /run/secrets/inline.conf
      - source: stored
        target: /opt/stored.conf
        mode: 0400
  printer:
    image: ${images.busybox}
    command: ["sh", "-c", "cat /printed.conf; echo; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    configs:
      - source: inline
        target: /printed.conf
configs:
  from_file:
    file: ./app.conf
  from_env:
    environment: APP_CONF
  inline:
    content: "greeting=\${GREETING}-$$HOME"
  stored:
    external: true
    name: ${storeName}
`;

async function configsProject(prefix: string) {
  const name = await project(prefix);
  const storeName = `conf-${name}`;
  const values = {
    file: Buffer.concat([Buffer.from(randomValue("cfg-file")), Buffer.from([0x0d, 0x0a, 0xff, 0x00])]),
    env: randomValue("cfg-env"),
    greeting: randomValue("cfg-greet"),
    stored: randomValue("cfg-stored"),
  };
  const created = await cli(["secret", "create", storeName, "-"], { env: storeEnv, input: values.stored });
  expect(created.code, created.stderr).toBe(0);
  const dir = await tempProject({ "compose.yaml": compose(storeName), "app.conf": values.file });
  const env = { ...storeEnv, APP_CONF: values.env, GREETING: values.greeting };
  const inline = `greeting=${values.greeting}-$HOME`;
  return { name, dir, env, values, inline, storeName, app: `${name}-app-1`, printer: `${name}-printer-1` };
}

onEachDeliveryPath((via) => {
  describe("configs delivered", () => {
    it("every source with exact bytes, target, uid, gid and mode; run too; not masked in logs; nothing on disk; gone after down", async () => {
      const p = await configsProject("cfg");
      const up = await cliOk(["-p", p.name, "up", "-d"], { cwd: p.dir, env: p.env });
      expect(up.stderr).not.toContain("not run");
      const expected: [string, Buffer | string, string][] = [
        ["/from_file", p.values.file, "0 0 444"],
        ["/etc/app/env.conf", p.values.env, "1000 1001 440"],
        ["/run/secrets/inline.conf", p.inline, "0 0 444"],
        ["/opt/stored.conf", p.values.stored, "0 0 400"],
      ];
      for (const [target, value, owner] of expected) {
        expect(await digestIn(p.app, target), target).toBe(sha256(value));
        expect(await statIn(p.app, target), target).toBe(owner);
      }
      // A store value a running config uses is protected like a secret's.
      const removal = await cli(["secret", "rm", p.storeName], { env: storeEnv });
      expect(removal.code).toBe(1);
      expect(removal.stderr).toContain(`used by running project ${p.name}`);
      // Each service sees its own grants only.
      expect(await lsIn(p.printer, "/run/secrets")).toBeUndefined();
      expect(await digestIn(p.printer, "/from_file")).toBeUndefined();
      // Read-only for root too.
      expect(
        (
          await cli(["-p", p.name, "exec", "-T", "app", "sh", "-c", "echo x > /from_file"], {
            cwd: p.dir,
            env: p.env,
          })
        ).code,
      ).not.toBe(0);

      // Configs are not secret: a log shows them as they are.
      const logs = await cliOk(["-p", p.name, "logs", "printer"], { cwd: p.dir, env: p.env });
      expect(logs.stdout).toContain(p.inline);

      // A one-off container gets them too.
      const run = await cliOk(
        ["-p", p.name, "run", "--rm", "--no-deps", "app", "sha256sum", "/etc/app/env.conf", "/from_file"],
        { cwd: p.dir, env: p.env },
      );
      expect(run.stdout).toContain(sha256(p.values.env));
      expect(run.stdout).toContain(sha256(p.values.file));

      // The bytes are on the tmpfs only: no writable layer, engine or temp file holds one. (The
      // printer's own log holds the greeting it printed: that file is the engine's log, left out.)
      const texts = {
        file: p.values.file.subarray(0, 40).toString("latin1"),
        env: p.values.env,
        stored: p.values.stored,
      };
      await expectNoDiskCopies(
        [p.app, p.printer],
        texts,
        p.dir,
        [],
        via === "engine" ? [secretsVolume(p.name)] : [],
      );
      const printerId = (await identity(p.printer)).id;
      expect(
        filesContaining(p.values.greeting, DISK_ROOTS, [
          path.basename(p.dir),
          printerId,
          // The engine-side path's tmpfs volume, mounted under the engine's data root: memory.
          ...(via === "engine" ? [secretsVolume(p.name)] : []),
        ]),
        "disk files holding the inline config",
      ).toEqual([]);
      expect(await materialHolds(via, p.name, p.values.env)).toBe(true);

      await cliOk(["-p", p.name, "down", "-t", "0"], { cwd: p.dir, env: p.env });
      expect(await materialGoneOn(via, p.name)).toBe(true);
      expect(await engineResources(p.name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
      expectNoFilesHolding(
        { ...texts, greeting: p.values.greeting },
        ["/run/composec", ...DISK_ROOTS],
        [path.basename(p.dir)],
        "after down",
      );
    });
  });

  describe("config changes", () => {
    it("a second up: unchanged touches nothing; /run/secrets is updated live; an absolute target recreates", async () => {
      const p = await configsProject("cfg-rot");
      await cliOk(["-p", p.name, "up", "-d"], { cwd: p.dir, env: p.env });
      const first = await identity(p.app);
      const printer = await identity(p.printer);

      const same = await cliOk(["-p", p.name, "up", "-d"], { cwd: p.dir, env: p.env });
      expect(same.stderr).not.toContain("Recreate");
      expect(await identity(p.app)).toEqual(first);

      // The inline content changes for both services: app has it under /run/secrets (live), printer
      // at an absolute target (recreated).
      const greeting = randomValue("cfg-greet2");
      const live = await cliOk(["-p", p.name, "up", "-d"], {
        cwd: p.dir,
        env: { ...p.env, GREETING: greeting },
      });
      expect(live.stderr).toContain("Secrets updated: /run/secrets/inline.conf");
      expect(await identity(p.app)).toEqual(first);
      expect(await digestIn(p.app, "/run/secrets/inline.conf")).toBe(sha256(`greeting=${greeting}-$HOME`));
      expect((await identity(p.printer)).id).not.toBe(printer.id);
      expect(await digestIn(p.printer, "/printed.conf")).toBe(sha256(`greeting=${greeting}-$HOME`));

      // A file config at its default absolute target: the service is recreated with the new bytes.
      const next = randomValue("cfg-file2");
      await writeFile(path.join(p.dir, "app.conf"), next);
      const recreated = await cliOk(["-p", p.name, "up", "-d"], {
        cwd: p.dir,
        env: { ...p.env, GREETING: greeting },
      });
      expect(recreated.stderr).toContain("Recreate");
      expect((await identity(p.app)).id).not.toBe(first.id);
      expect(await digestIn(p.app, "/from_file")).toBe(sha256(next));
      expect(await statIn(p.app, "/etc/app/env.conf")).toBe("1000 1001 440");
    });

    it("a changed grant (mode) recreates the container: the grant is part of the config hash", async () => {
      const name = await project("cfg-grant");
      const write = (mode: string) =>
        tempProject({
          "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    configs:\n      - source: c\n        mode: ${mode}\nconfigs:\n  c:\n    content: hello\n`,
        });
      const dir = await write("0444");
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const before = await identity(`${name}-app-1`);
      await writeFile(
        path.join(dir, "compose.yaml"),
        `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    configs:\n      - source: c\n        mode: 0400\nconfigs:\n  c:\n    content: hello\n`,
      );
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      expect((await identity(`${name}-app-1`)).id).not.toBe(before.id);
      expect(await statIn(`${name}-app-1`, "/c")).toBe("0 0 400");
      const label = (await docker.getContainer(`${name}-app-1`).inspect()).Config.Labels;
      expect(JSON.stringify(label)).not.toContain("hello");
    });
  });

  describe("bad configs create nothing", () => {
    // The first two are found by the loader (located in compose.yaml), the store's by `up` before
    // its first engine call.
    const cases: [string, string, Record<string, string>, string][] = [
      ["missing file", "    file: ./nope.conf\n", {}, 'compose.yaml:11:11 configs.c.file: "'],
      [
        "unset variable",
        "    environment: CFG_UNSET_VAR\n",
        {},
        "compose.yaml:11:18 configs.c.environment: variable CFG_UNSET_VAR is not set",
      ],
      [
        "unknown external",
        "    external: true\n    name: cfg-no-such-name\n",
        {},
        'no secret "cfg-no-such-name"',
      ],
    ];
    it.each(cases)(
      "%s: exit 1, one located error, nothing made",
      async (_label, definition, env, message) => {
        const name = await project("cfg-bad");
        const dir = await tempProject({
          "compose.yaml": `services:\n  db:\n    image: ${images.busybox}\n    command: ${IDLE}\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    configs: [c]\nconfigs:\n  c:\n${definition}`,
        });
        const result = await cli(["-p", name, "up", "-d"], { cwd: dir, env: { ...storeEnv, ...env } });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(message);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
        expect(materialGone(name)).toBe(true);
      },
    );
  });
});
