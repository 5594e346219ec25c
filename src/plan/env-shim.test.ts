// The env-var shim's decisions: which argv the engine would run, and a wrapper script that, run by
// the real shells images carry (dash, busybox ash), sets each variable to the file's exact bytes
// and execs the command with its arguments untouched.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeService } from "../model/project-builder.js";
import { effectiveArgv, SHIM_NAME, SHIM_SHELL, shimmedService, shimScript } from "./env-shim.js";

const image = { entrypoint: ["/docker-entrypoint.sh"], cmd: ["redis-server"] };

describe("effectiveArgv (the engine's rule)", () => {
  it("image entrypoint and cmd when the service sets neither", () => {
    expect(effectiveArgv(makeService("s", {}), image)).toEqual(["/docker-entrypoint.sh", "redis-server"]);
  });
  it("a service command replaces the image's cmd and keeps its entrypoint", () => {
    expect(effectiveArgv(makeService("s", { command: ["redis-server", "--port", "7000"] }), image)).toEqual([
      "/docker-entrypoint.sh",
      "redis-server",
      "--port",
      "7000",
    ]);
  });
  it("a service entrypoint drops the image's cmd", () => {
    expect(effectiveArgv(makeService("s", { entrypoint: ["/app"] }), image)).toEqual(["/app"]);
    expect(effectiveArgv(makeService("s", { entrypoint: ["/app"], command: ["-v"] }), image)).toEqual([
      "/app",
      "-v",
    ]);
  });
  it("an empty service entrypoint clears the image's and keeps its cmd", () => {
    expect(effectiveArgv(makeService("s", { entrypoint: [] }), image)).toEqual(["redis-server"]);
  });
});

describe("shimmedService", () => {
  it("runs the argv through the wrapper; values appear nowhere, names and paths only", () => {
    const service = makeService("db", { envSecrets: { REDIS_PASSWORD: "/run/secrets/redis" } });
    const wrapped = shimmedService(service, { entrypoint: null, cmd: ["redis-server"] });
    expect(wrapped.entrypoint).toEqual([
      SHIM_SHELL,
      "-c",
      expect.stringContaining("__composec_read REDIS_PASSWORD '/run/secrets/redis'"),
      SHIM_NAME,
    ]);
    expect(wrapped.command).toEqual(["redis-server"]);
  });
  it("a service without envSecrets is returned as it is", () => {
    const service = makeService("db", {});
    expect(shimmedService(service, image)).toBe(service);
  });
  it("nothing to run is an error that says to set command", () => {
    const service = makeService("db", { image: "scratchy", envSecrets: { A: "/run/secrets/a" } });
    expect(() => shimmedService(service, { entrypoint: null, cmd: null })).toThrow(
      /neither the service nor its image scratchy gives one; set command:/,
    );
  });
});

const dir = mkdtempSync(join(tmpdir(), "composec-shim-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shells = [
  ["dash", "/bin/sh"],
  ["busybox ash", "/bin/busybox"],
].filter(([, path]) => existsSync(path!));

describe.each(shells)("the wrapper under %s", (_label, shell) => {
  const run = (files: Record<string, Buffer>, argv: string[]) => {
    const env: Record<string, string> = {};
    for (const [variable, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, variable), bytes);
      env[variable] = join(dir, variable);
    }
    const prefix = shell === "/bin/busybox" ? ["sh"] : [];
    return spawnSync(shell!, [...prefix, "-c", shimScript(env), SHIM_NAME, ...argv], {
      env: { PATH: "/usr/bin:/bin" },
    });
  };

  it.each([
    ["a trailing newline", "line\n"],
    ["no trailing newline", "a\nb"],
    ["blank lines, spaces, tabs and backslashes", "  \\n\t x\\\n\n\n end \\"],
    ["an empty file", ""],
    ["non-UTF-8 bytes and quotes", "\xff\xfe'\"$HOME`x`"],
  ])("keeps %s exactly", (_what, text) => {
    const bytes = Buffer.from(text, "latin1");
    const result = run({ SECRET_A: bytes, OTHER: Buffer.from("o") }, [
      "/bin/sh",
      "-c",
      'printf %s "$SECRET_A"',
    ]);
    expect(result.stderr.toString()).toBe("");
    expect(result.status).toBe(0);
    expect(Buffer.compare(result.stdout, bytes)).toBe(0);
  });

  it("passes arguments untouched, keeps the exit code, and leaves no helper behind", () => {
    const result = run({ A: Buffer.from("x") }, [
      "/bin/sh",
      "-c",
      'printf "%s|" "$@"; set | grep -c __composec; exit 7',
      "n",
      "a b",
      "$HOME",
      "",
    ]);
    expect(result.stdout.toString()).toBe("a b|$HOME||0\n");
    expect(result.status).toBe(7);
  });

  it("an unreadable file stops with a message naming the variable and path, not the command", () => {
    const script = shimScript({ A: join(dir, "missing") });
    const prefix = shell === "/bin/busybox" ? ["sh"] : [];
    const result = spawnSync(shell!, [...prefix, "-c", script, SHIM_NAME, "/bin/echo", "ran"]);
    expect(result.status).toBe(1);
    expect(result.stdout.toString()).toBe("");
    expect(result.stderr.toString()).toContain(`composec: cannot read ${join(dir, "missing")} for A`);
  });
});
