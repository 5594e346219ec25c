// Intent: `composec secret ...` as a user runs it (the built CLI, its exit codes, stdout and
// stderr), each test with its own COMPOSEC_HOME and COMPOSEC_KEY_FILE in a temporary directory:
// every subcommand, every bad input the store issue lists, 20 concurrent creates, and kill -9 in
// the middle of writes. Values are random and compared by sha256 digest; none is ever printed.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli, cliPath, docker, images, PROJECT_LABEL, type CliResult } from "./helpers.js";

const digest = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

let dir: string;
let env: Record<string, string | undefined>;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "composec-store-cli-"));
  env = {
    COMPOSEC_HOME: path.join(dir, "home"),
    COMPOSEC_KEY_FILE: path.join(dir, "config/master.key"),
    // The in-use check of `rm` must not depend on the developer's engine unless a test wants it.
    DOCKER_HOST: `unix://${path.join(dir, "no-engine.sock")}`,
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secret = (
  args: string[],
  opts: { input?: string | Buffer; env?: Record<string, string | undefined> } = {},
) =>
  cli(["secret", ...args], {
    env: { ...env, ...opts.env },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });

/** A file of `bytes` in the test directory. */
async function valueFile(bytes: Buffer, name = `v-${randomBytes(4).toString("hex")}`): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

/** `secret reveal --force NAME`'s exact stdout bytes, as a digest. */
function revealDigest(
  name: string,
  extraEnv: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<{ code: number; digest: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, "secret", "reveal", "--force", ...extraArgs, name], {
      env: { PATH: process.env.PATH, ...env, ...extraEnv } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const hash = createHash("sha256");
    child.stdout.on("data", (chunk: Buffer) => hash.update(chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, digest: hash.digest("hex") }));
  });
}

function expectOk(result: CliResult): void {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

describe("composec secret: the subcommands", () => {
  it("create, ls, inspect, rotate, rollback, reveal, log, rm", async () => {
    const first = randomBytes(64);
    const second = randomBytes(100);
    const created = await secret([
      "create",
      "db_password",
      await valueFile(first),
      "--label",
      "env=dev",
      "-l",
      "team",
    ]);
    expectOk(created);
    expect(created.stdout).toBe("db_password\n");

    const table = await secret(["ls"]);
    expectOk(table);
    const [header, row, end] = table.stdout.split("\n");
    expect(header).toBe(
      "NAME          VERSION   CREATED                  UPDATED                  SIZE   LABELS",
    );
    expect(row!.split(/ {3,}/)).toEqual([
      "db_password",
      "1",
      expect.stringMatching(/ ago$/),
      expect.stringMatching(/ ago$/),
      "64",
      "env=dev,team=",
    ]);
    expect(end).toBe("");
    const json = JSON.parse((await secret(["ls", "--format", "json"])).stdout);
    expect(json).toMatchObject({
      Name: "db_password",
      Version: 1,
      Size: 64,
      Labels: { env: "dev", team: "" },
    });
    expect((await secret(["ls", "-q"])).stdout).toBe("db_password\n");

    const rotated = await secret(["rotate", "db_password", "-"], { input: second });
    expect(rotated).toMatchObject({ code: 0, stdout: "", stderr: 'secret "db_password" is now version 2\n' });
    expect(await revealDigest("db_password")).toEqual({ code: 0, digest: digest(second) });

    const rolledBack = await secret(["rollback", "db_password"]);
    expect(rolledBack.stderr).toBe('secret "db_password" is now version 3, with the value of version 1\n');
    expect(await revealDigest("db_password")).toEqual({ code: 0, digest: digest(first) });
    await secret(["rotate", "db_password", await valueFile(second)]);
    expect(await secret(["rollback", "db_password", "--to-version", "2"])).toMatchObject({
      code: 0,
      stderr: 'secret "db_password" is now version 5, with the value of version 2\n',
    });
    expect(await revealDigest("db_password")).toEqual({ code: 0, digest: digest(second) });

    const inspected = await secret(["inspect", "db_password"]);
    expectOk(inspected);
    const [info] = JSON.parse(inspected.stdout);
    expect(info).toMatchObject({
      Name: "db_password",
      Version: 5,
      Size: 100,
      Labels: { env: "dev", team: "" },
    });
    expect(info.Versions.map((v: { Version: number }) => v.Version)).toEqual([1, 2, 3, 4, 5]);
    expect(info.Versions[2]).toMatchObject({ Version: 3, RolledBackFrom: 1, Size: 64 });

    const log = await secret(["log", "db_password", "--format", "json"]);
    const operations = log.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .map((e: { operation: string; version: number }) => `${e.operation}:${e.version}`);
    expect(operations).toEqual([
      "create:1",
      "rotate:2",
      "reveal:2",
      "rollback:3",
      "reveal:3",
      "rotate:4",
      "rollback:5",
      "reveal:5",
    ]);
    const logTable = await secret(["log"]);
    expect(logTable.stdout.split("\n")[0]).toMatch(/^TIME +USER +OPERATION +NAME +VERSION +PROJECT$/);
    expect(logTable.stdout).toMatch(/\(\d+\) +create +db_password +1/);

    // No engine answers at DOCKER_HOST: the in-use check is skipped with a warning.
    const removed = await secret(["rm", "db_password"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe("db_password\n");
    expect(removed.stderr).toMatch(
      /^warning: could not check whether a running project uses these secrets: no Docker Engine answered at .*no-engine\.sock .*; removing anyway\n$/,
    );
    expect((await secret(["ls", "-q"])).stdout).toBe("");
    const everything = await readFile(path.join(env.COMPOSEC_HOME!, "audit.log"), "utf8");
    expect(everything).toMatch(/"operation":"rm","name":"db_password","version":5/);
    for (const value of [first, second]) {
      expect(everything.includes(value.toString("hex"))).toBe(false);
      expect(everything.includes(value.toString("base64"))).toBe(false);
    }
  });

  it("reveal refuses a pipe without --force, before reading anything", async () => {
    await secret(["create", "a", await valueFile(randomBytes(8))]);
    const refused = await secret(["reveal", "a"]);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toMatch(/^error: standard output is not a terminal: .* pass --force/);
    expect((await secret(["log", "a", "--format", "json"])).stdout).not.toMatch(/reveal/);
  });

  it("reveal writes the value to a terminal without --force", async () => {
    // `script` runs the CLI with a pseudo-terminal as stdout. The value has no newline, which the
    // terminal would turn into CR LF.
    const bytes = Buffer.from(randomBytes(24).toString("hex"));
    await secret(["create", "a", "-"], { input: bytes });
    const quoted = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, cliPath, "secret", "reveal", "a"].map(quoted).join(" ");
    const result = spawnSync("script", ["-qec", command, "/dev/null"], {
      env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (result.error) return; // no `script` (util-linux) on this machine
    expect(result.status).toBe(0);
    expect(digest(result.stdout)).toBe(digest(bytes));
  });

  it("inspect and rm of unknown names fail, suggesting close ones; an existing name is refused", async () => {
    await secret(["create", "api_token", await valueFile(randomBytes(8))]);
    const inspect = await secret(["inspect", "api_token", "api_tokn"]);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toBe("");
    expect(inspect.stderr).toBe(
      `error: no secret "api_tokn" (did you mean "api_token"?) in the secret store at ${env.COMPOSEC_HOME}\n`,
    );
    const rm = await secret(["rm", "nothing"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/^error: no secret "nothing" in the secret store/);
    const again = await secret(["create", "api_token", await valueFile(randomBytes(8))]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      'error: secret "api_token" already exists (version 1); use `composec secret rotate api_token FILE` to give it a new value\n',
    );
  });

  it("usage errors exit 2", async () => {
    expect((await secret(["ls", "--format", "yaml"])).code).toBe(2);
    expect((await secret(["ls", "--bogus"])).code).toBe(2);
    expect((await secret(["create", "only-a-name"])).code).toBe(2);
    expect((await secret(["rollback", "a", "--to-version", "two"])).code).toBe(2);
    expect((await secret(["create", "a", "-", "--label", "=v"], { input: "" })).code).toBe(2);
  });

  it("key rotate re-seals under a new key file, then under a passphrase", async () => {
    const bytes = randomBytes(32);
    await secret(["create", "a", await valueFile(bytes)]);
    const oldKey = await readFile(env.COMPOSEC_KEY_FILE!);
    const rotated = await secret(["key", "rotate"]);
    expect(rotated).toMatchObject({
      code: 0,
      stderr: `re-sealed 1 value(s) under a new key in ${env.COMPOSEC_KEY_FILE}\n`,
    });
    expect((await readFile(env.COMPOSEC_KEY_FILE!)).equals(oldKey)).toBe(false);
    expect(await revealDigest("a")).toEqual({ code: 0, digest: digest(bytes) });

    const passphraseFile = await valueFile(Buffer.from("a long passphrase\n"), "passphrase");
    const toPassphrase = await secret(["key", "rotate", "--new-passphrase-file", passphraseFile]);
    expect(toPassphrase.code).toBe(0);
    expect(toPassphrase.stderr).toContain(`the key file ${env.COMPOSEC_KEY_FILE} no longer opens this store`);
    expect((await revealDigest("a")).code).toBe(1);
    expect(await revealDigest("a", { COMPOSEC_PASSPHRASE: "a long passphrase" })).toEqual({
      code: 0,
      digest: digest(bytes),
    });
    expect(await revealDigest("a", {}, ["--passphrase-file", passphraseFile])).toEqual({
      code: 0,
      digest: digest(bytes),
    });
  });
});

describe("composec secret: bad input", () => {
  it("a name that breaks the key rules", async () => {
    for (const name of ["bad/name", "with space", "ümlaut", "x".repeat(256)]) {
      const result = await secret(["create", name, "-"], { input: "v" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^error: .*(is not a valid secret name|characters long; the limit is 255)/,
      );
    }
    expectOk(await secret(["create", "a.B-c_9", "-"], { input: "v" }));
  });

  it("an empty value is allowed (0 bytes); a value over the 1 MiB cap is refused, exactly 1 MiB is not", async () => {
    expectOk(await secret(["create", "empty", await valueFile(Buffer.alloc(0))]));
    const over = await secret(["create", "over", await valueFile(randomBytes(1024 * 1024 + 1))]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(
      /holds more than 1048576 bytes, the limit for a secret \(1 MiB\); nothing was stored/,
    );
    const overStdin = await secret(["create", "over", "-"], { input: randomBytes(1024 * 1024 + 1) });
    expect(overStdin.stderr).toMatch(/^error: standard input holds more than 1048576 bytes/);
    const cap = randomBytes(1024 * 1024);
    expectOk(await secret(["create", "cap", await valueFile(cap)]));
    expect(await revealDigest("cap")).toEqual({ code: 0, digest: digest(cap) });
    expect(await revealDigest("empty")).toEqual({ code: 0, digest: digest(Buffer.alloc(0)) });
    expect((await secret(["ls", "-q"])).stdout).toBe("cap\nempty\n");
  });

  it("standard input closed at once is an empty value", async () => {
    expectOk(await secret(["create", "from-stdin", "-"]));
    expect(JSON.parse((await secret(["ls", "--format", "json"])).stdout)).toMatchObject({ Size: 0 });
  });

  it("create from a directory or a missing file", async () => {
    const directory = path.join(dir, "a-directory");
    await mkdir(directory);
    const fromDirectory = await secret(["create", "a", directory]);
    expect(fromDirectory).toMatchObject({
      code: 1,
      stderr: `error: "${directory}" is a directory; give a file, or - to read the value from standard input\n`,
    });
    const missing = await secret(["create", "a", path.join(dir, "missing.txt")]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: `error: "${path.join(dir, "missing.txt")}" does not exist\n`,
    });
    expect((await secret(["ls", "-q"])).stdout).toBe("");
  });

  it("a store directory that group or others can read is warned about", async () => {
    await secret(["create", "a", "-"], { input: "v" });
    await chmod(env.COMPOSEC_HOME!, 0o750);
    const result = await secret(["ls", "-q"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("a\n");
    expect(result.stderr).toBe(
      `warning: the secret store directory ${env.COMPOSEC_HOME} can be read by group or others (mode 0750); run: chmod 700 ${env.COMPOSEC_HOME}\n`,
    );
  });

  it("a corrupted index is an error naming the file", async () => {
    await secret(["create", "a", "-"], { input: "v" });
    const index = path.join(env.COMPOSEC_HOME!, "index.json");
    await writeFile(index, '{"format":1,"secrets":[{"name":"a","id":');
    for (const args of [["ls"], ["reveal", "--force", "a"], ["create", "b", "-"]]) {
      const result = await secret(args, { input: "v" });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^error: the secret store index ${index.replace(/[.]/g, "\\.")} is corrupted: it is not valid JSON`,
        ),
      );
      expect(result.stderr).not.toMatch(/internal error| {4}at /);
    }
  });

  it("a key file of the wrong length", async () => {
    await mkdir(path.dirname(env.COMPOSEC_KEY_FILE!), { recursive: true });
    await writeFile(env.COMPOSEC_KEY_FILE!, randomBytes(16), { mode: 0o600 });
    const result = await secret(["create", "a", "-"], { input: "v" });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: key file ${env.COMPOSEC_KEY_FILE} holds 16 bytes; a composec key file holds exactly 32 random bytes (is COMPOSEC_KEY_FILE the right file?)\n`,
    );
  });

  it("a wrong passphrase", async () => {
    const bytes = randomBytes(16);
    expectOk(await secret(["create", "a", "-"], { input: bytes, env: { COMPOSEC_PASSPHRASE: "right one" } }));
    await expect(stat(env.COMPOSEC_KEY_FILE!)).rejects.toThrow(/ENOENT/);
    const wrong = await secret(["reveal", "--force", "a"], { env: { COMPOSEC_PASSPHRASE: "wrong one" } });
    expect(wrong).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `error: wrong passphrase (from COMPOSEC_PASSPHRASE) for the secret store at ${env.COMPOSEC_HOME}\n`,
    });
    const wrongFile = await secret(
      ["rotate", "a", "-", "--passphrase-file", await valueFile(Buffer.from("nope\n"))],
      {
        input: "x",
      },
    );
    expect(wrongFile.stderr).toMatch(
      /^error: wrong passphrase \(from --passphrase-file .*\) for the secret store/,
    );
    expect(await revealDigest("a", { COMPOSEC_PASSPHRASE: "right one" })).toEqual({
      code: 0,
      digest: digest(bytes),
    });
  });
});

describe("composec secret: concurrency and crashes", () => {
  it("20 concurrent creates lose nothing", async () => {
    const values = Array.from({ length: 20 }, () => randomBytes(48));
    const results = await Promise.all(
      values.map((bytes, i) => secret(["create", `s${String(i).padStart(2, "0")}`, "-"], { input: bytes })),
    );
    for (const result of results) expectOk(result);
    const listed = (await secret(["ls", "-q"])).stdout.trim().split("\n");
    expect(listed).toEqual(values.map((_, i) => `s${String(i).padStart(2, "0")}`));
    const revealed = await Promise.all(values.map((_, i) => revealDigest(`s${String(i).padStart(2, "0")}`)));
    expect(revealed).toEqual(values.map((bytes) => ({ code: 0, digest: digest(bytes) })));
  });

  it("kill -9 at any moment of a create loop leaves the store readable with every completed write", async () => {
    const completed = new Map<string, string>();
    const attempted = new Map<string, string>();
    // Three writers at once, each killed at a random moment of most runs, some let finish.
    await Promise.all(
      [0, 1, 2].map(async (writer) => {
        for (let i = 0; i < 8; i++) {
          const name = `w${writer}-${i}`;
          const bytes = randomBytes(32);
          attempted.set(name, digest(bytes));
          const child = spawn(process.execPath, [cliPath, "secret", "create", name, "-"], {
            env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
            stdio: ["pipe", "ignore", "ignore"],
          });
          child.stdin.on("error", () => {});
          child.stdin.end(bytes);
          const killer =
            i % 4 === 3 ? undefined : setTimeout(() => child.kill("SIGKILL"), 100 + Math.random() * 400);
          const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
          clearTimeout(killer);
          if (code === 0) completed.set(name, digest(bytes));
        }
      }),
    );
    const listing = await secret(["ls", "-q"]);
    expect(listing.code).toBe(0);
    const present = listing.stdout.split("\n").filter(Boolean);
    for (const name of completed.keys()) expect(present).toContain(name);
    // Whatever is present, completed or killed after its commit, reads back whole.
    for (const name of present)
      expect(await revealDigest(name)).toEqual({ code: 0, digest: attempted.get(name) });
    // And the lock a killed writer held does not block the next one.
    expectOk(await secret(["create", "after", "-"], { input: "v" }));
  });
});

describe("composec secret rm: refused while a running project uses the secret", () => {
  const project = `store-rm-${process.pid.toString(36)}-${randomBytes(3).toString("hex")}`;
  afterEach(async () => {
    const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${project}`] });
    for (const c of await docker.listContainers({ all: true, filters })) {
      await docker.getContainer(c.Id).remove({ force: true });
    }
  });

  it("names the project, and --force overrides", async () => {
    await secret(["create", "db_password", "-"], { input: "v" });
    await secret(["create", "unused", "-"], { input: "v" });
    const container = await docker.createContainer({
      Image: images.busybox,
      Cmd: ["sleep", "600"],
      Labels: { [PROJECT_LABEL]: project, "io.composec.external-secrets": "other,db_password" },
      HostConfig: { Init: true },
    });
    await container.start();
    const engine = { DOCKER_HOST: undefined };
    const refused = await secret(["rm", "unused", "db_password"], { env: engine });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: not removed: "db_password" is used by running project ${project}; stop the project first (composec down), or pass --force\n`,
    );
    expect((await secret(["ls", "-q"])).stdout).toBe("db_password\nunused\n");
    expectOk(await secret(["rm", "unused"], { env: engine }));
    const forced = await secret(["rm", "--force", "db_password"], { env: engine });
    expectOk(forced);
    expect(forced.stdout).toBe("db_password\n");
  });
});
