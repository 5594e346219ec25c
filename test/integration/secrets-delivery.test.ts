// Intent: what a container sees of its secrets follows the long syntax (relative, nested and
// absolute targets; uid, gid and mode for every source; defaults 0:0 0444; write bits dropped with
// a warning), each service sees exactly its own secrets and nothing of another's, a non-root user
// reads what it is given and nothing else, and `read_only: true` services get every kind of secret,
// read-only for root too.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, docker, images, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  execIn,
  IDLE,
  lsIn,
  randomValue,
  sha256,
  statIn,
  trackProjects,
} from "./secrets-helpers.js";
import { materialRoot, materialServices, onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();

onEachDeliveryPath((via) => {
  describe("long syntax", () => {
    // target, uid, gid and mode are honoured for file and environment sources alike, under
    // /run/secrets and at an absolute path; the defaults are 0:0 0444.
    it("relative, nested and absolute targets with uid, gid and mode; defaults 0:0 0444", async () => {
      const name = await project("long");
      const fileValue = randomValue("long-file");
      const envValue = randomValue("long-env");
      const dir = await tempProject({
        "value.txt": fileValue,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - plain
      - source: plain
        target: renamed
      - source: plain
        target: nested/deep/key
        uid: "1234"
        gid: "2345"
        mode: 0440
      - source: plain
        target: /etc/app/token
        uid: "1000"
        gid: "1000"
        mode: 0400
      - source: from_env
        target: env_owned
        uid: 1000
        gid: "0"
        mode: "0400"
      - source: from_env
        target: /opt/env-token
        mode: 0o440
      - source: from_env
        target: decimal_mode
        mode: 256
      - source: plain
        target: no_owner_bits
        uid: "1234"
        gid: "2345"
        mode: 0044
secrets:
  plain:
    file: ./value.txt
  from_env:
    environment: LONG_SECRET
`,
      });
      await cliOk(["-p", name, "up", "-d"], {
        cwd: dir,
        env: { LONG_SECRET: envValue },
        hide: [fileValue, envValue],
      });
      const c = `${name}-app-1`;
      const expected: [string, string, string][] = [
        ["/run/secrets/plain", fileValue, "0 0 444"],
        ["/run/secrets/renamed", fileValue, "0 0 444"],
        ["/run/secrets/nested/deep/key", fileValue, "1234 2345 440"],
        ["/etc/app/token", fileValue, "1000 1000 400"],
        ["/run/secrets/env_owned", envValue, "1000 0 400"],
        ["/opt/env-token", envValue, "0 0 440"],
        ["/run/secrets/decimal_mode", envValue, "0 0 400"],
        // No bit for the owner: the owner is given all the same (the mode is set before the chown).
        ["/run/secrets/no_owner_bits", fileValue, "1234 2345 44"],
      ];
      for (const [target, value, owner] of expected) {
        expect(await digestIn(c, target), target).toBe(sha256(value));
        expect(await statIn(c, target), target).toBe(owner);
      }
      // An absolute target is not also under /run/secrets, and the nested directories are traversable.
      expect(await lsIn(c, "/run/secrets")).toEqual([
        "decimal_mode",
        "env_owned",
        "nested",
        "no_owner_bits",
        "plain",
        "renamed",
      ]);
      expect((await statIn(c, "/run/secrets/nested/deep")).split(" ")[2]).toBe("755");
    });

    // setuid, setgid and sticky are beyond 0777, which the spec allows: one clear error, exit 1,
    // nothing on the engine (a holder could not keep them anyway: its chown clears setuid/setgid).
    it("setuid, setgid and sticky modes are refused with one error and nothing created", async () => {
      const name = await project("special-mode");
      for (const mode of ["04755", "02755", "01755"]) {
        const dir = await tempProject({
          "value.txt": "x",
          "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - source: s
        uid: "1000"
        mode: ${mode}
secrets:
  s:
    file: ./value.txt
`,
        });
        const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
        expect(result.code, mode).toBe(1);
        expect(result.stderr).toMatch(
          new RegExp(`compose\\.yaml:9:\\d+ .*services\\.app\\.secrets\\[0\\]\\.mode.*${mode}.*0777`),
        );
        expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
      }
    });

    // The spec says secrets are read-only: a write bit is dropped, with a warning that names the mode.
    it("mode 0644 is applied as 0444 with a warning on stderr", async () => {
      const name = await project("long-mode");
      const dir = await tempProject({
        "value.txt": "x",
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - source: s
        mode: 0644
      - source: s
        target: /etc/writable
        mode: 0666
secrets:
  s:
    file: ./value.txt
`,
      });
      const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      expect(result.stderr).toMatch(
        /warning: .*compose\.yaml:\d+:\d+ .*services\.app\.secrets\[0\]\.mode.*0644.*0444/,
      );
      expect(result.stderr).toMatch(/warning: .*services\.app\.secrets\[1\]\.mode.*0666.*0444/);
      expect(await statIn(`${name}-app-1`, "/run/secrets/s")).toBe("0 0 444");
      expect(await statIn(`${name}-app-1`, "/etc/writable")).toBe("0 0 444");
    });
  });

  describe("isolation", () => {
    // A service sees exactly the secrets it lists; one with none gets no /run/secrets of ours; no
    // container has another service's material mounted.
    it("each service sees exactly its own secrets; a service without secrets has no material", async () => {
      const name = await project("iso");
      const dir = await tempProject({
        "a.txt": randomValue("iso-a"),
        "b.txt": randomValue("iso-b"),
        "compose.yaml": `
services:
  alpha:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - only_alpha
      - shared
  beta:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - only_beta
      - shared
      - source: only_beta
        target: /etc/beta-key
  gamma:
    image: ${images.busybox}
    command: ${IDLE}
secrets:
  only_alpha:
    file: ./a.txt
  only_beta:
    file: ./b.txt
  shared:
    file: ./a.txt
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      expect(await lsIn(`${name}-alpha-1`, "/run/secrets")).toEqual(["only_alpha", "shared"]);
      expect(await lsIn(`${name}-beta-1`, "/run/secrets")).toEqual(["only_beta", "shared"]);
      expect(await lsIn(`${name}-alpha-1`, "/etc")).not.toContain("beta-key");

      const root = await materialRoot(via, name);
      const mountsOf = async (service: string) =>
        ((await docker.getContainer(`${name}-${service}-1`).inspect()).Mounts ?? []).map((m) => ({
          source: m.Source,
          destination: m.Destination,
          rw: m.RW,
        }));
      for (const service of ["alpha", "beta"]) {
        const ours = (await mountsOf(service)).filter((m) => m.source.startsWith(root + "/"));
        expect(ours.length, service).toBeGreaterThan(0);
        for (const mount of ours) {
          // Only this service's directories, and read-only.
          expect(
            mount.source.startsWith(path.join(root, "services", service)) ||
              mount.source.startsWith(path.join(root, "files", service) + "/"),
            `${service} mounts ${mount.source}`,
          ).toBe(true);
          expect(mount.rw, mount.destination).toBe(false);
        }
      }
      // gamma: no mount at /run/secrets, nothing from the material, no material directory of its own.
      const gamma = await mountsOf("gamma");
      expect(gamma.filter((m) => m.destination === "/run/secrets")).toEqual([]);
      expect(gamma.filter((m) => m.source.startsWith(root))).toEqual([]);
      expect(await lsIn(`${name}-gamma-1`, "/run/secrets")).toBeUndefined();
      expect(await materialServices(via, name, "services")).toEqual(["alpha", "beta"]);
      expect(await materialServices(via, name, "files")).not.toContain("gamma");
    });
  });

  describe("non-root and read-only", () => {
    // uid "1000" with mode 0400 lets user 1000 read a secret whose host file is 0600 and root's; any
    // other uid, in another service or in the same container, cannot.
    it("user 1000 reads a 0400 secret given uid 1000 from a root-owned 0600 file; uid 1001 cannot", async () => {
      const name = await project("nonroot");
      const value = randomValue("nonroot");
      const dir = await tempProject({
        "secret.txt": { content: value, mode: 0o600 },
        "compose.yaml": `
services:
  reader:
    image: ${images.busybox}
    user: "1000:1000"
    command: ${IDLE}
    secrets:
      - source: token
        uid: "1000"
        mode: 0400
  other:
    image: ${images.busybox}
    user: "1001"
    command: ${IDLE}
    secrets:
      - source: token
        uid: "1000"
        mode: 0400
secrets:
  token:
    file: ./secret.txt
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
      const reader = `${name}-reader-1`;
      const id = await execIn(reader, ["id", "-u"]);
      expect(id.stdout.trim()).toBe("1000");
      expect(await digestIn(reader, "/run/secrets/token")).toBe(sha256(value));
      expect(await statIn(reader, "/run/secrets/token")).toBe("1000 0 400");
      // Another uid in the same container, and the other service's own user, cannot read it.
      const asOther = await execIn(reader, ["cat", "/run/secrets/token"], "1001");
      expect(asOther.code).not.toBe(0);
      expect(asOther.stdout.includes(value), "uid 1001 read the secret's bytes").toBe(false);
      const other = await execIn(`${name}-other-1`, ["cat", "/run/secrets/token"]);
      expect(other.code).not.toBe(0);
      expect(other.stdout.includes(value), "service other (uid 1001) read the secret's bytes").toBe(false);
    });

    // read_only: true is no reason to refuse or copy a secret: file, environment and absolute-target
    // secrets arrive, and no one, root included, can write, replace or remove them.
    it("a read_only service gets file, environment and absolute-target secrets, and they are read-only for root", async () => {
      const name = await project("readonly");
      const fileValue = randomValue("ro-file");
      const envValue = randomValue("ro-env");
      const dir = await tempProject({
        "secret.txt": fileValue,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    read_only: true
    command: ${IDLE}
    secrets:
      - from_file
      - from_env
      - source: from_file
        target: /etc/app/key
secrets:
  from_file:
    file: ./secret.txt
  from_env:
    environment: RO_SECRET
`,
      });
      await cliOk(["-p", name, "up", "-d"], {
        cwd: dir,
        env: { RO_SECRET: envValue },
        hide: [fileValue, envValue],
      });
      const c = `${name}-app-1`;
      const targets: [string, string][] = [
        ["/run/secrets/from_file", fileValue],
        ["/run/secrets/from_env", envValue],
        ["/etc/app/key", fileValue],
      ];
      for (const [target, value] of targets) {
        expect(await digestIn(c, target), target).toBe(sha256(value));
        for (const attempt of [
          `echo overwritten > ${target}`,
          `echo appended >> ${target}`,
          `rm -f ${target}`,
          `chmod 0666 ${target}`,
        ]) {
          const result = await execIn(c, ["sh", "-c", attempt], "0");
          expect(result.code, `as root: ${attempt}`).not.toBe(0);
        }
        expect(await digestIn(c, target), target).toBe(sha256(value));
      }
      for (const attempt of ["touch /run/secrets/new", "mkdir /run/secrets/dir"]) {
        expect((await execIn(c, ["sh", "-c", attempt], "0")).code, attempt).not.toBe(0);
      }
    });

    // Not read_only: the secret files are still read-only for root (the mount is, whatever the mode).
    it("secret files are read-only for root in a writable container", async () => {
      const name = await project("rw-root");
      const value = randomValue("rw-root");
      const dir = await tempProject({
        "secret.txt": value,
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - source: s
        mode: 0400
      - source: s
        target: /etc/abs-key
secrets:
  s:
    file: ./secret.txt
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
      const c = `${name}-app-1`;
      for (const target of ["/run/secrets/s", "/etc/abs-key"]) {
        expect((await execIn(c, ["sh", "-c", `echo overwritten > ${target}`], "0")).code, target).not.toBe(0);
        expect((await execIn(c, ["sh", "-c", `rm -f ${target}`], "0")).code, target).not.toBe(0);
        expect(await digestIn(c, target), target).toBe(sha256(value));
      }
    });
  });
});
