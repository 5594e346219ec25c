// Intent: composec used as a library (the package's entry point, src/index.ts) against the real
// engine: `await using` brings a project up and downs it on dispose; the secrets of every new
// source (a command, the env-var shim, the store through `secretStore`) arrive; progress comes as
// events and nothing is printed; an AbortSignal stops `up` with InterruptedError and nothing made;
// errors are the CLI's typed errors with the CLI's messages.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  down,
  exec,
  InterruptedError,
  loadProject,
  ProjectError,
  ps,
  secretStore,
  up,
  type ProgressEvent,
} from "../../src/index.js";
import { cli, images, tempProject } from "./helpers.js";
import {
  engineResources,
  IDLE,
  materialGone,
  randomValue,
  sha256,
  trackProjects,
} from "./secrets-helpers.js";

const project = trackProjects();
const storeDir = mkdtempSync(path.join(tmpdir(), "composec-lib-store-"));
const env = {
  ...process.env,
  COMPOSEC_HOME: path.join(storeDir, "home"),
  COMPOSEC_KEY_FILE: path.join(storeDir, "master.key"),
};
afterAll(() => rmSync(storeDir, { recursive: true, force: true }));

const compose = `
services:
  app:
    image: ${images.busybox}
    command: ["sh", "-c", "printf %s \\"$$TOKEN\\" | sha256sum > /tmp/token; echo app ready; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    secrets: [from_command, from_store, token]
    x-composec-env-secrets: {TOKEN: token}
secrets:
  from_command:
    x-composec-command: [printf, "%s", "\${COMMAND_VALUE}"]
  from_store:
    external: true
    name: lib_store_secret
  token:
    file: ./token
`;

describe("the library", () => {
  it("await using: up, exec, ps, logs, then down on dispose; events only, no output", async () => {
    const name = await project("lib");
    const commandValue = randomValue("cmd");
    const storeValue = randomValue("store");
    const token = randomValue("token");
    const dir = await tempProject({ "compose.yaml": compose, token });
    const store = secretStore({ env });
    await store.create("lib_store_secret", storeValue);
    expect((await store.inspect("lib_store_secret"))?.version).toBe(1);

    const written = vi.spyOn(process.stdout, "write");
    const warned = vi.spyOn(process.stderr, "write");
    const events: ProgressEvent[] = [];
    {
      await using running = await up(
        { cwd: dir, projectName: name },
        { env: { ...env, COMMAND_VALUE: commandValue }, onProgress: (event) => events.push(event) },
      );
      const digest = async (file: string) =>
        (await running.exec("app", ["sha256sum", file])).stdout.toString().split(/\s+/)[0];
      expect(await digest("/run/secrets/from_command")).toBe(sha256(commandValue));
      expect(await digest("/run/secrets/from_store")).toBe(sha256(storeValue));
      // The app wrote the digest of the variable the shim set.
      const written = async () =>
        (await running.exec("app", ["cat", "/tmp/token"])).stdout.toString().split(/\s+/)[0];
      await vi.waitFor(async () => expect(await written()).toBe(sha256(token)), { timeout: 10_000 });

      const listed = await running.ps();
      expect(listed.map((container) => `${container.Name} ${container.State}`)).toEqual([
        `${name}-app-1 running`,
      ]);
      expect(await ps(name)).toHaveLength(1);
      const lines = await running.logs();
      expect(lines.some((line) => "text" in line && line.text === "app ready")).toBe(true);
      const failed = await exec(name, "app", ["sh", "-c", "cat >&2; exit 3"], { stdin: "to stderr" });
      expect({ code: failed.exitCode, stderr: failed.stderr.toString() }).toEqual({
        code: 3,
        stderr: "to stderr",
      });
    }
    expect(written).not.toHaveBeenCalled();
    expect(warned).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(events.map((event) => `${event.resource} ${event.status}`)).toContain(
      `Container ${name}-app-1 Started`,
    );
    // Disposed: everything is gone, the secret material too.
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(materialGone(name)).toBe(true);
    await store.remove("lib_store_secret");
    expect(await store.list()).toEqual([]);
  });

  it("an AbortSignal stops up while a secret command runs: InterruptedError, nothing made", async () => {
    const name = await project("lib-abort");
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets: [slow]
secrets:
  slow:
    x-composec-command: [sleep, "30"]
`,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    const error = await up({ cwd: dir, projectName: name }, { signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(materialGone(name)).toBe(true);
  });

  it("errors are the CLI's: the same class of failure, the same message", async () => {
    const name = await project("lib-err");
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets: [failing]
secrets:
  failing:
    x-composec-command: [sh, -c, "echo nope >&2; exit 2"]
`,
    });
    const fromLibrary = await up({ cwd: dir, projectName: name }).catch((caught: unknown) => caught);
    expect(fromLibrary).toBeInstanceOf(ProjectError);
    const fromCli = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(fromCli.code).toBe(1);
    expect(fromCli.stderr).toContain(`error: ${(fromLibrary as ProjectError).message}`);
    expect((fromLibrary as ProjectError).problems[0]?.path).toBe("secrets.failing.x-composec-command");

    const badLoad = await loadProject({ cwd: dir, files: ["missing.yaml"] }).catch(
      (caught: unknown) => caught,
    );
    expect(badLoad).toBeInstanceOf(ProjectError);
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    // down of a name with nothing to remove says so, and creates nothing.
    expect((await down(name)).nothingToDo).toBe(true);
  });
});
