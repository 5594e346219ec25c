// Intent: a secret whose value is a command's standard output (`x-composec-command`) reaches the
// container with exactly those bytes, from real tools teams keep secrets in (`pass` with a gpg key
// made for the test, `age`); a changed value is delivered by the next `up` in place. Every way the
// command can fail (missing, non-zero exit, too slow, too much output) is one clear error, with
// nothing created and the value never shown.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, docker, images, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  IDLE,
  identity,
  materialGone,
  randomValue,
  scrub,
  sha256,
  trackProjects,
} from "./secrets-helpers.js";

const project = trackProjects();

const compose = (command: string, extra = "") => `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets: [db]
secrets:
  db:
    x-composec-command: ${command}
${extra}`;

describe("x-composec-command with pass", () => {
  let home: string;
  let env: Record<string, string>;
  const insert = (value: string) =>
    execFileSync("pass", ["insert", "--multiline", "--force", "db/password"], {
      env: { ...process.env, ...env },
      input: value,
      stdio: ["pipe", "ignore", "pipe"],
    });

  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), "composec-pass-"));
    env = { GNUPGHOME: path.join(home, "gnupg"), PASSWORD_STORE_DIR: path.join(home, "store") };
    execFileSync("mkdir", ["-m", "0700", env.GNUPGHOME!]);
    const gpg = (args: string[]) =>
      execFileSync("gpg", ["--batch", ...args], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
    gpg([
      "--passphrase",
      "",
      "--quick-generate-key",
      "composec test <test@composec.invalid>",
      "default",
      "default",
      "never",
    ]);
    execFileSync("pass", ["init", "test@composec.invalid"], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
  }, 60_000);

  afterAll(() => {
    execFileSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, ...env } });
    rmSync(home, { recursive: true, force: true });
  });

  it("delivers pass's output exactly, and the next up delivers a changed value in place", async () => {
    const first = `${randomValue("pass")}\nsecond line`;
    insert(first);
    const name = await project("cmd-pass");
    const dir = await tempProject({ "compose.yaml": compose("[pass, show, db/password]") });
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: [first] });
    const container = `${name}-app-1`;
    expect(await digestIn(container, "/run/secrets/db")).toBe(sha256(first));
    const before = await identity(container);

    const second = randomValue("rotated");
    insert(second);
    const result = await cliOk(["-p", name, "up", "-d"], { cwd: dir, env, hide: [first, second] });
    expect(await digestIn(container, "/run/secrets/db")).toBe(sha256(second));
    expect(await identity(container)).toEqual(before);
    expect(result.stderr).toContain("Secrets updated");
    for (const text of [result.stdout, result.stderr]) {
      expect(text.includes(first) || text.includes(second)).toBe(false);
    }
    const inspect = JSON.stringify(await docker.getContainer(container).inspect());
    expect(inspect.includes(second)).toBe(false);
  });
});

describe("x-composec-command with age", () => {
  it("decrypts an age file next to the compose file (relative arguments)", async () => {
    const value = randomValue("age");
    const dir = await tempProject({ "compose.yaml": compose("[age, --decrypt, -i, ./key.txt, ./db.age]") });
    execFileSync("age-keygen", ["-o", path.join(dir, "key.txt")], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", path.join(dir, "key.txt")])
      .toString()
      .trim();
    execFileSync("age", ["-r", recipient, "-o", path.join(dir, "db.age")], { input: value });
    const name = await project("cmd-age");
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
    expect(await digestIn(`${name}-app-1`, "/run/secrets/db")).toBe(sha256(value));
  });
});

describe("x-composec-command failures: one error, nothing created, no value shown", () => {
  const value = randomValue("never-shown");
  it.each([
    [
      "a missing program",
      "[no-such-secret-tool, read, db]",
      "",
      /secrets\.db\.x-composec-command: "no-such-secret-tool" is not found on PATH/,
    ],
    [
      "a non-zero exit",
      "[./fail.sh]",
      "",
      /secrets\.db\.x-composec-command: command \[".*fail\.sh"\] exited with status 4; its standard error ended with:\n {2}vault: permission denied for db/,
    ],
    [
      "a timeout",
      "[sleep, '30']",
      "    x-composec-timeout: 1s\n",
      /did not finish within 1s and was stopped; raise x-composec-timeout/,
    ],
    [
      "too much output",
      "[head, -c, '2000000', /dev/zero]",
      "",
      /more than the 1048576-byte limit for a secret/,
    ],
  ])("%s", { timeout: 60_000 }, async (_label, command, extra, message) => {
    const name = await project("cmd-fail");
    const dir = await tempProject({ "compose.yaml": compose(command, extra) });
    const script = path.join(dir, "fail.sh");
    writeFileSync(
      script,
      `#!/bin/sh\nprintf '%s' '${value}'\necho "vault: permission denied for db" >&2\nexit 4\n`,
    );
    chmodSync(script, 0o755);
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, scrub(result.stderr, [value])).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split("\n").filter((line) => line.startsWith("error: "))).toHaveLength(1);
    expect(result.stderr.includes(value) || result.stdout.includes(value)).toBe(false);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(materialGone(name)).toBe(true);
  });
});
