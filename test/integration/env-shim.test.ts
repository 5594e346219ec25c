// Intent: `x-composec-env-secrets` gives an image that reads a password only from an environment
// variable (Redis started with `--requirepass "$REDIS_PASSWORD"`) its secret, with the value in the
// main process's environment and nowhere else: not in `docker inspect`, labels, the image or the
// container's writable layer. The wrapper keeps PID 1, signals and the exit code the command's own,
// and works with `init: true`; an image without /bin/sh is one clear error with nothing created.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import tar from "tar-stream";
import { cli, docker, images, tempProject, waitFor } from "./helpers.js";
import {
  cliOk,
  engineResources,
  execIn,
  filesContaining,
  materialGone,
  randomValue,
  scrub,
  sha256,
  trackProjects,
} from "./secrets-helpers.js";
import { onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();

const NO_SHELL_IMAGE = "composec-test/noshell:1";

async function inspectHolds(container: string, value: string): Promise<boolean> {
  const info = await docker.getContainer(container).inspect();
  return (
    JSON.stringify(info).includes(value) || JSON.stringify(info).includes(JSON.stringify(value).slice(1, -1))
  );
}

const busyboxApp = (init: boolean) => `
services:
  app:
    image: ${images.busybox}
    init: ${init}
    command: ["sh", "-c", "printf %s \\"$$TOKEN\\" | sha256sum > /tmp/digest; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    secrets: [token]
    x-composec-env-secrets: {TOKEN: token}
  job:
    image: ${images.busybox}
    command: ["sh", "-c", "[ -n \\"$$TOKEN\\" ] && exit 7"]
    secrets: [token]
    x-composec-env-secrets: {TOKEN: token}
secrets:
  token:
    file: ./token
`;

onEachDeliveryPath(() => {
  describe("env-var shim", () => {
    it(
      "Redis reads requirepass from the variable; the value is in no config, label or layer",
      { timeout: 90_000 },
      async () => {
        const value = randomValue("redis");
        const name = await project("shim-redis");
        const dir = await tempProject({
          "compose.yaml": `
services:
  redis:
    image: ${images.redis}
    command: ["sh", "-c", "exec redis-server --save '' --appendonly no --requirepass \\"$$REDIS_PASSWORD\\""]
    secrets: [redis_password]
    x-composec-env-secrets:
      REDIS_PASSWORD: redis_password
secrets:
  redis_password:
    file: ./password.txt
`,
          "password.txt": value,
        });
        await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
        const container = `${name}-redis-1`;
        const ping = (auth: boolean) =>
          execIn(container, [
            "sh",
            "-c",
            auth
              ? 'redis-cli --no-auth-warning -a "$(cat /run/secrets/redis_password)" ping'
              : "redis-cli ping",
          ]);
        expect(
          await waitFor(async () => ((await ping(true)).stdout.includes("PONG") ? "PONG" : undefined), {
            what: "redis",
          }),
        ).toBe("PONG");
        expect((await ping(false)).stdout).toContain("NOAUTH");
        // PID 1 is redis itself: the wrapper exec'd it.
        expect((await execIn(container, ["cat", "/proc/1/cmdline"])).stdout.split("\0")[0]).toMatch(
          /redis-server/,
        );

        expect(await inspectHolds(container, value)).toBe(false);
        const info = await docker.getContainer(container).inspect();
        expect(info.Config.Env.some((entry) => entry.startsWith("REDIS_PASSWORD="))).toBe(false);
        expect(JSON.stringify(info.Config.Labels).includes(value)).toBe(false);
        const upper = (info.GraphDriver?.Data as Record<string, string> | undefined)?.["UpperDir"];
        if (upper) expect(filesContaining(value, [upper])).toEqual([]);
        const image = await docker.getImage(info.Image).inspect();
        expect(JSON.stringify(image).includes(value)).toBe(false);
      },
    );

    it.each([false, true])(
      "exact bytes, PID 1, SIGTERM and exit codes kept (init: %s)",
      { timeout: 90_000 },
      async (init) => {
        const value = `${randomValue("tok")}\n  with a second line\\n and a trailing newline\n`;
        const name = await project(`shim-bb-${init ? "init" : "plain"}`);
        const dir = await tempProject({ "compose.yaml": busyboxApp(init), token: value });
        await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
        const app = `${name}-app-1`;
        const digest = await waitFor(
          async () => {
            const result = await execIn(app, ["cat", "/tmp/digest"]);
            return result.code === 0 && result.stdout.trim() !== ""
              ? result.stdout.split(/\s+/)[0]
              : undefined;
          },
          { what: "the app's digest" },
        );
        expect(digest).toBe(sha256(value));
        // The command runs as PID 1, or as docker-init's child with init: true; the wrapper is gone.
        const pid1 = (await execIn(app, ["cat", "/proc/1/cmdline"])).stdout.split("\0");
        const command = init
          ? (
              await execIn(app, [
                "sh",
                "-c",
                'for p in /proc/[0-9]*; do [ "$(cut -d " " -f 4 $p/stat)" = 1 ] && tr "\\0" " " < $p/cmdline; done',
              ])
            ).stdout
          : pid1.join(" ");
        if (init) expect(pid1[0]).toMatch(/docker-init/);
        expect(command).toContain("printf %s");
        expect(command).not.toContain("__composec_read");

        const job = await waitFor(
          async () => {
            const state = (await docker.getContainer(`${name}-job-1`).inspect()).State;
            return state.Status === "exited" ? state : undefined;
          },
          { what: "the job to exit" },
        );
        expect(job.ExitCode).toBe(7);

        // The TERM trap answers at once: the signal reached the command, not a shell in front of it.
        const started = Date.now();
        await cliOk(["-p", name, "stop", "-t", "20", "app"], { cwd: dir });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect((await docker.getContainer(app).inspect()).State.ExitCode).toBe(0);
        expect(await inspectHolds(app, value.trim())).toBe(false);
      },
    );
  });

  describe("env-var shim and rotation", () => {
    it(
      "a changed secret read into a variable recreates the container; unchanged, nothing moves",
      { timeout: 90_000 },
      async () => {
        const first = randomValue("first");
        const second = randomValue("second");
        const name = await project("shim-rot");
        const dir = await tempProject({ "compose.yaml": busyboxApp(false), token: first });
        const app = `${name}-app-1`;
        const digestOf = () =>
          waitFor(
            async () => {
              const result = await execIn(app, ["cat", "/tmp/digest"]);
              return result.code === 0 && result.stdout.trim() !== ""
                ? result.stdout.split(/\s+/)[0]
                : undefined;
            },
            { what: "the app's digest" },
          );
        await cliOk(["-p", name, "up", "-d", "app"], { cwd: dir, hide: [first] });
        expect(await digestOf()).toBe(sha256(first));
        const before = (await docker.getContainer(app).inspect()).Id;
        await cliOk(["-p", name, "up", "-d", "app"], { cwd: dir, hide: [first] });
        expect((await docker.getContainer(app).inspect()).Id).toBe(before);

        await writeFile(path.join(dir, "token"), second);
        const result = await cliOk(["-p", name, "up", "-d", "app"], { cwd: dir, hide: [first, second] });
        expect((await docker.getContainer(app).inspect()).Id).not.toBe(before);
        expect(await digestOf()).toBe(sha256(second));
        expect(result.stderr.includes(second) || result.stdout.includes(second)).toBe(false);
      },
    );
  });

  describe("env-var shim with run", () => {
    it("a one-off container gets the variable too, with its own command", { timeout: 90_000 }, async () => {
      const value = randomValue("run");
      const name = await project("shim-run");
      const dir = await tempProject({ "compose.yaml": busyboxApp(false), token: value });
      // run returns the command's own exit code through the wrapper.
      const failed = await cli(["-p", name, "run", "--rm", "-T", "app", "sh", "-c", "exit 5"], { cwd: dir });
      expect(failed.code, scrub(failed.stderr, [value])).toBe(5);
      const again = await cli(
        ["-p", name, "run", "--rm", "-T", "app", "sh", "-c", 'printf %s "$TOKEN" | sha256sum'],
        { cwd: dir },
      );
      expect(again.code, scrub(again.stderr, [value])).toBe(0);
      expect(again.stdout.split(/\s+/)[0]).toBe(sha256(value));
      expect(again.stdout.includes(value)).toBe(false);
    });
  });

  describe("env-var shim errors", () => {
    beforeAll(async () => {
      // An image with one file and no shell, made here: nothing can be pulled.
      const pack = tar.pack();
      pack.entry({ name: "hello", mode: 0o755 }, "#!/nowhere\n", () => pack.finalize());
      const stream = (await docker.importImage(
        pack as unknown as NodeJS.ReadableStream,
        {
          repo: "composec-test/noshell",
          tag: "1",
        } as never,
      )) as unknown as NodeJS.ReadableStream;
      await new Promise((resolve, reject) =>
        docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))),
      );
    });
    afterAll(async () => {
      await docker
        .getImage(NO_SHELL_IMAGE)
        .remove({ force: true })
        .catch(() => undefined);
    });

    it(
      "an image without /bin/sh is one error at up, and nothing is created or left behind",
      { timeout: 60_000 },
      async () => {
        const value = randomValue("noshell");
        const name = await project("shim-nosh");
        const dir = await tempProject({
          "compose.yaml": `
services:
  app:
    image: ${NO_SHELL_IMAGE}
    command: ["/hello"]
    secrets: [token]
    x-composec-env-secrets: {TOKEN: token}
secrets:
  token:
    file: ./token
`,
          token: value,
        });
        const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
        expect(result.code, scrub(result.stderr, [value])).toBe(1);
        expect(result.stderr).toMatch(
          /services\.app\.x-composec-env-secrets: image composec-test\/noshell:1 has no \/bin\/sh; the wrapper that sets these variables needs a POSIX shell/,
        );
        expect(result.stderr.split("\n").filter((line) => line.startsWith("error: "))).toHaveLength(1);
        expect(result.stderr.includes(value)).toBe(false);
        expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
        const probes = await docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`io.composec.shim-probe=${name}`] }),
        });
        expect(probes).toEqual([]);
        expect(materialGone(name)).toBe(true);
      },
    );

    it(
      "a secret with a NUL byte cannot be a variable: one error, nothing created",
      { timeout: 60_000 },
      async () => {
        const name = await project("shim-nul");
        const dir = await tempProject({
          "compose.yaml": busyboxApp(false),
          token: Buffer.from("abc\0def"),
        });
        const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /services\.app\.x-composec-env-secrets\.TOKEN: secret "token" holds a NUL byte, which an environment variable cannot; read it from \/run\/secrets\/token instead/,
        );
        expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
        expect(materialGone(name)).toBe(true);
      },
    );
  });
});
