// Intent: `up` notices a changed secret however it changed (edited in place, replaced by rename, a
// new environment value) and brings the running container to the new bytes: in place without a
// restart under /run/secrets, by recreation at an absolute target; with no change it touches
// nothing. What it remembers about the bytes is a keyed HMAC on the tmpfs, never a plain hash and
// never a label. A reload signal can follow a live update. (How fast: secrets-rotation-latency.)
import { randomBytes } from "node:crypto";
import { rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sampled } from "../sampling.js";
import { cli, demux, docker, images, PROJECT_LABEL, tempProject, waitFor } from "./helpers.js";
import {
  cliOk,
  digestIn,
  identity,
  IDLE,
  randomValue,
  sha256,
  spawnCli,
  statIn,
  trackProjects,
} from "./secrets-helpers.js";
import { holderName, materialFile, materialFiles, onEachDeliveryPath } from "./delivery-paths.js";
import { startRotationProject } from "./rotation-project.js";

const project = trackProjects();

const rotationProject = (prefix: string) => startRotationProject(project, prefix);

/** `up -d` killed with SIGKILL `ms` after it started, then `up -d` again, which must succeed. */
async function upKilledThenAgain(name: string, dir: string, ms: number): Promise<void> {
  const child = spawnCli(["-p", name, "up", "-d"], dir);
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill("SIGKILL");
  await closed;
  const again = await cli(["-p", name, "up", "-d"], { cwd: dir });
  expect(again.code, `killed after ${ms} ms: up exited ${again.code}`).toBe(0);
}

onEachDeliveryPath((via) => {
  describe("change detection and live rotation", () => {
    // An editor that writes the file in place (same inode): the container sees the new bytes at once,
    // keeps running (same id, same start time), and up says so; the other service is left alone.
    it("a file edited in place is updated live, without a restart", async () => {
      const p = await rotationProject("rot-edit");
      const file = path.join(p.dir, "secret.txt");
      const before = await identity(p.app);
      const bystander = await identity(p.bystander);
      const inode = (await stat(file)).ino;
      const next = randomValue("rot-edited");
      await writeFile(file, next);
      expect((await stat(file)).ino).toBe(inode);
      const result = await p.up(p.values.env, [next]);
      expect(result.stderr).toMatch(new RegExp(`${p.app} +Secrets updated: /run/secrets/from_file\\b`));
      expect(result.stderr).not.toContain("/run/secrets/from_env");
      expect(result.stderr).not.toMatch(new RegExp(`${p.bystander} +Secrets updated`));
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(next));
      expect(await digestIn(p.app, "/run/secrets/from_env")).toBe(sha256(p.values.env));
      expect(await identity(p.app)).toEqual(before);
      expect(await identity(p.bystander)).toEqual(bystander);
    });

    // Editors that save by writing a new file and renaming it over the old one (a new inode).
    it("a file replaced by rename is updated live, without a restart", async () => {
      const p = await rotationProject("rot-rename");
      const file = path.join(p.dir, "secret.txt");
      const before = await identity(p.app);
      const next = randomValue("rot-renamed");
      await writeFile(`${file}.tmp`, next);
      await rename(`${file}.tmp`, file);
      const result = await p.up(p.values.env, [next]);
      expect(result.stderr).toMatch(new RegExp(`${p.app} +Secrets updated: /run/secrets/from_file\\b`));
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(next));
      expect(await identity(p.app)).toEqual(before);
    });

    it("a new environment value is updated live, without a restart", async () => {
      const p = await rotationProject("rot-env");
      const before = await identity(p.app);
      const next = randomValue("rot-env-next");
      const result = await p.up(next, [next]);
      expect(result.stderr).toMatch(new RegExp(`${p.app} +Secrets updated: /run/secrets/from_env\\b`));
      expect(result.stderr).not.toContain("/run/secrets/from_file");
      expect(await digestIn(p.app, "/run/secrets/from_env")).toBe(sha256(next));
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(p.values.file));
      expect(await identity(p.app)).toEqual(before);
    });

    // Nothing changed: no restart, no recreation, no "Secrets updated", the same delivered files.
    it("no change: no restart and no update", async () => {
      const p = await rotationProject("rot-none");
      const before = [await identity(p.app), await identity(p.bystander)];
      for (let i = 0; i < 2; i++) {
        const result = await p.up(p.values.env);
        expect(result.stderr).not.toContain("Secrets updated");
        expect(result.stderr).not.toMatch(/Recreate|Starting|Created/);
      }
      expect([await identity(p.app), await identity(p.bystander)]).toEqual(before);
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(p.values.file));
    });

    // A single-file bind keeps the old inode: an absolute target can only change by recreation.
    it("a changed secret at an absolute target recreates the container with the new bytes", async () => {
      const name = await project("rot-abs");
      const first = randomValue("rot-abs");
      const dir = await tempProject({
        "secret.txt": first,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - source: key
        target: /etc/app/key
        uid: "1000"
        mode: 0400
`.concat("secrets:\n  key:\n    file: ./secret.txt\n"),
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first] });
      const c = `${name}-app-1`;
      const before = await identity(c);
      expect(await digestIn(c, "/etc/app/key")).toBe(sha256(first));
      const next = randomValue("rot-abs-next");
      await writeFile(path.join(dir, "secret.txt"), next);
      const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first, next] });
      expect(result.stderr).toMatch(/Recreate/);
      const after = await identity(c);
      expect(after.id).not.toBe(before.id);
      expect(await digestIn(c, "/etc/app/key")).toBe(sha256(next));
      expect(await statIn(c, "/etc/app/key")).toBe("1000 0 400");
      // And then it is stable.
      const again = await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first, next] });
      expect(again.stderr).not.toMatch(/Recreate/);
      expect(await identity(c)).toEqual(after);
    });

    // CLARIFICATIONS 10: the config hash covers the references, so a new mode is a new container.
    it("a changed reference (mode) recreates the container, which then has the new mode", async () => {
      const name = await project("rot-ref");
      const yaml = (mode: string) =>
        `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets:\n      - source: s\n        mode: ${mode}\nsecrets:\n  s:\n    file: ./s.txt\n`;
      const dir = await tempProject({ "s.txt": randomValue("rot-ref"), "compose.yaml": yaml("0444") });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const before = await identity(`${name}-app-1`);
      await writeFile(path.join(dir, "compose.yaml"), yaml("0400"));
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      expect((await identity(`${name}-app-1`)).id).not.toBe(before.id);
      expect(await statIn(`${name}-app-1`, "/run/secrets/s")).toBe("0 0 400");
    });

    // x-composec-reload-signal: after a live update the service gets the signal it asked for.
    it("x-composec-reload-signal: SIGHUP reaches the service after a live update", async () => {
      const name = await project("rot-hup");
      const dir = await tempProject({
        "s.txt": randomValue("rot-hup"),
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ["sh", "-c", "trap 'exit 0' TERM; trap 'echo reloaded' HUP; while true; do sleep 0.2; done"]
    x-composec-reload-signal: SIGHUP
    secrets:
      - s
secrets:
  s:
    file: ./s.txt
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const c = `${name}-app-1`;
      const before = await identity(c);
      const logs = async () =>
        demux(await docker.getContainer(c).logs({ stdout: true, stderr: true, follow: false }));
      // No signal for an up that changed nothing.
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await logs()).stdout).not.toContain("reloaded");
      const next = randomValue("rot-hup-next");
      await writeFile(path.join(dir, "s.txt"), next);
      const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [next] });
      expect(result.stderr).toMatch(/Secrets updated/);
      expect(result.stderr).toMatch(/Signalled: SIGHUP/);
      await waitFor(async () => (await logs()).stdout.includes("reloaded"), {
        timeoutMs: 5000,
        what: "reloaded in the logs",
      });
      expect(await identity(c)).toEqual(before);
      expect(await digestIn(c, "/run/secrets/s")).toBe(sha256(next));
    });

    // What composec keeps about the bytes: a keyed HMAC on the tmpfs; no plain sha256 of a value, and
    // nothing about the bytes (value, plain digest or HMAC) in any container label.
    it("the digests on the tmpfs are keyed; no label holds a value or a digest", async () => {
      const p = await rotationProject("rot-hmac");
      const next = randomValue("rot-hmac-next");
      await p.up(next, [next]);
      const values = [...Object.values(p.values), next];
      const digestsText = (await materialFile(via, p.name, ".digests.json"))!.toString("utf8");
      const hmacs = [...digestsText.matchAll(/[0-9a-f]{64}/g)].map((m) => m[0]);
      expect(hmacs.length).toBeGreaterThanOrEqual(3);
      for (const value of values) {
        expect(digestsText.includes(sha256(value)), "a plain sha256 of a value is in .digests.json").toBe(
          false,
        );
        expect(digestsText.includes(value), "a value is in .digests.json").toBe(false);
      }
      const containers = (
        await docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`${PROJECT_LABEL}=${p.name}`] }),
        })
      ).filter((info) => !info.Names.includes(`/${holderName(p.name)}`));
      expect(containers).toHaveLength(2);
      for (const info of containers) {
        const labels = JSON.stringify((await docker.getContainer(info.Id).inspect()).Config.Labels);
        for (const value of values) {
          expect(labels.includes(value), "a label holds a value").toBe(false);
          expect(labels.includes(sha256(value)), "a label holds a plain digest").toBe(false);
        }
        for (const hmac of hmacs) expect(labels.includes(hmac), "a label holds a delivered HMAC").toBe(false);
      }
    });
  });

  describe("rotation edge cases", () => {
    // One source shared by two services, one of them read_only and non-root with its own owner and
    // mode: both are updated live, and the new files keep the owner and mode asked for.
    it("a shared secret is updated live in every service, keeping owner and mode, read_only too", async () => {
      const name = await project("rot-shared");
      const first = randomValue("rot-shared");
      const dir = await tempProject({
        "s.txt": first,
        "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - shared
  locked:
    image: ${images.busybox}
    read_only: true
    user: "1000:1000"
    command: ${IDLE}
    secrets:
      - source: shared
        target: app/key
        uid: "1000"
        gid: "1000"
        mode: 0400
secrets:
  shared:
    file: ./s.txt
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first] });
      const web = `${name}-web-1`;
      const locked = `${name}-locked-1`;
      const before = [await identity(web), await identity(locked)];
      const next = randomValue("rot-shared-next");
      await writeFile(path.join(dir, "s.txt"), next);
      const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first, next] });
      expect(result.stderr).toMatch(new RegExp(`${web} +Secrets updated: /run/secrets/shared\\b`));
      expect(result.stderr).toMatch(new RegExp(`${locked} +Secrets updated: /run/secrets/app/key\\b`));
      expect(await digestIn(web, "/run/secrets/shared")).toBe(sha256(next));
      expect(await digestIn(locked, "/run/secrets/app/key")).toBe(sha256(next));
      expect(await statIn(locked, "/run/secrets/app/key")).toBe("1000 1000 400");
      expect([await identity(web), await identity(locked)]).toEqual(before);
    });

    // --dry-run says what would change and changes nothing: the container keeps the old bytes, and
    // the real `up` afterwards still sees the change.
    it("up --dry-run on a changed secret reports it and changes nothing", async () => {
      const p = await rotationProject("rot-dry");
      const next = randomValue("rot-dry-next");
      await writeFile(path.join(p.dir, "secret.txt"), next);
      const dry = await cliOk(["--dry-run", "-p", p.name, "up", "-d"], {
        cwd: p.dir,
        env: { ROTATE_SECRET: p.values.env },
        hide: [...Object.values(p.values), next],
      });
      // The material step is a line of the plan like any other, with its reason.
      expect(dry.stdout).toMatch(/\] -> #\d+ service:app, DeliverSecrets, secret from_file changed\n/);
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(p.values.file));
      const real = await p.up(p.values.env, [next]);
      expect(real.stderr).toMatch(/Secrets updated: \/run\/secrets\/from_file/);
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(next));
    });

    // --no-recreate keeps the container, so it keeps the old bytes at its absolute target: the next
    // plain `up` must still see that the container is behind and recreate it.
    it("after up --no-recreate skipped an absolute-target change, the next up still recreates", async () => {
      const name = await project("rot-norecreate");
      const first = randomValue("rot-norecreate");
      const dir = await tempProject({
        "s.txt": first,
        "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets:\n      - source: s\n        target: /etc/app/key\nsecrets:\n  s:\n    file: ./s.txt\n`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first] });
      const c = `${name}-app-1`;
      const before = await identity(c);
      const next = randomValue("rot-norecreate-next");
      await writeFile(path.join(dir, "s.txt"), next);
      await cliOk(["-p", name, "up", "-d", "--no-recreate"], { cwd: dir, hide: [first, next] });
      expect(await identity(c)).toEqual(before);
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [first, next] });
      expect(await digestIn(c, "/etc/app/key"), "the container still has the old bytes at /etc/app/key").toBe(
        sha256(next),
      );
      expect((await identity(c)).id).not.toBe(before.id);
    });

    // The same window by a crash: `up` killed after writing the new material but before recreating
    // the container; the next `up` must finish the job.
    it("up killed during an absolute-target rotation: the next up brings the new bytes", async () => {
      const name = await project("rot-abs-kill");
      // Stopping takes a second, so that kills land before, during and after the replacement.
      const SLOW_STOP = `["sh", "-c", "trap 'sleep 1; exit 0' TERM; while true; do sleep 0.1; done"]`;
      let value = randomValue("rot-abs-kill");
      const dir = await tempProject({
        "s.txt": value,
        "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${SLOW_STOP}\n    secrets:\n      - source: s\n        target: /etc/app/key\nsecrets:\n  s:\n    file: ./s.txt\n`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const c = `${name}-app-1`;
      // How long a rotation `up` (a recreation) takes here, now.
      value = randomValue("rot-abs-kill-timing");
      await writeFile(path.join(dir, "s.txt"), value);
      const start = performance.now();
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const full = performance.now() - start;
      const stale: string[] = [];
      // Two of the eight points per run in CI; `npm run test:full` tries all.
      const fractions = sampled(`rotation (${via}): up killed`, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], 2);
      for (const fraction of fractions) {
        const ms = Math.round(full * fraction);
        value = randomValue(`rot-abs-kill-${ms}`);
        await writeFile(path.join(dir, "s.txt"), value);
        await upKilledThenAgain(name, dir, ms);
        if ((await digestIn(c, "/etc/app/key")) !== sha256(value)) stale.push(`${ms} ms`);
      }
      expect(stale, `old bytes at /etc/app/key after a kill at (of ${Math.round(full)} ms)`).toEqual([]);
    });

    // A large live secret (over several of the holder's frames on the engine's side): `up` killed
    // while it delivers leaves staged or half-sent bytes; the next `up` delivers whole new bytes
    // and leaves nothing staged.
    it("up killed mid-delivery of a large live secret: the next up brings the new bytes, nothing left staged", async () => {
      const name = await project("rot-big-kill");
      const big = (tag: string) => `${randomValue(tag)}\n${randomBytes(600_000).toString("base64")}`;
      let value = big("rot-big");
      const dir = await tempProject({
        "s.txt": value,
        "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\n`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const c = `${name}-app-1`;
      value = big("rot-big-timing");
      await writeFile(path.join(dir, "s.txt"), value);
      const start = performance.now();
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const full = performance.now() - start;
      const stale: string[] = [];
      for (const fraction of sampled(`rotation (${via}): big up killed`, [0.5, 0.6, 0.7, 0.8, 0.9], 2)) {
        const ms = Math.round(full * fraction);
        value = big(`rot-big-${ms}`);
        await writeFile(path.join(dir, "s.txt"), value);
        await upKilledThenAgain(name, dir, ms);
        if ((await digestIn(c, "/run/secrets/s")) !== sha256(value)) stale.push(`${ms} ms`);
        const staged = [...(await materialFiles(via, name)).keys()].filter((file) =>
          file.includes("staging"),
        );
        expect(staged, `staged files left after a kill at ${ms} ms and an up`).toEqual([]);
      }
      expect(stale, `old bytes at /run/secrets/s after a kill at (of ${Math.round(full)} ms)`).toEqual([]);
    });

    // A source that went bad while the project runs: `up` fails before touching anything; the
    // running container keeps the bytes it had, and fixing the source brings the update.
    it("a source that goes bad on a running project: up fails and changes nothing", async () => {
      const p = await rotationProject("rot-bad");
      const file = path.join(p.dir, "secret.txt");
      const before = await identity(p.app);
      await rm(file);
      await symlink("./gone.txt", file);
      const result = await cli(["-p", p.name, "up", "-d"], {
        cwd: p.dir,
        env: { ROTATE_SECRET: p.values.env },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("secrets.from_file.file");
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(p.values.file));
      expect(await identity(p.app)).toEqual(before);
      await rm(file);
      const next = randomValue("rot-bad-fixed");
      await writeFile(file, next);
      await p.up(p.values.env, [next]);
      expect(await digestIn(p.app, "/run/secrets/from_file")).toBe(sha256(next));
      expect(await identity(p.app)).toEqual(before);
    });
  });
});
