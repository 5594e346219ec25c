// Intent: `composec logs -f` as a user runs it in one terminal while another changes the project:
// containers scaled up, recreated by a second `up` and restarted are followed from their first
// line, prefixed like the others, every line once; secret values stay masked, also values a second
// `up` delivered after `logs -f` began (for a recreated container, and live); a container stopped
// before `logs -f` began is followed when it starts; Ctrl-C ends it with 130. Every wait is
// bounded; values are compared as booleans, never printed.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { images, tempProject, waitFor } from "./helpers.js";
import { cliOk, randomValue, spawnCli, trackProjects } from "./secrets-helpers.js";
import { onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();

/** `logs -f` running as a child process: its output so far, and Ctrl-C. */
function follow(name: string, dir: string) {
  const child = spawnCli(["-p", name, "logs", "-f"], dir);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    lines: (): string[] => stdout.split("\n").filter((line) => line !== ""),
    stdout: () => stdout,
    stderr: () => stderr,
    /** Lines matching `pattern`, once there are `count` of them. */
    async waitLines(pattern: RegExp, count: number, what: string): Promise<string[]> {
      return waitFor(
        () => {
          const found = stdout.split("\n").filter((line) => pattern.test(line));
          return found.length >= count ? found : undefined;
        },
        { timeoutMs: 30_000, what: `${what} in the output of logs -f` },
      );
    },
    /** Ctrl-C; resolves with the exit code, or kills it after 15 s. */
    async interrupt(): Promise<number | null> {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    exited,
  };
}

/** How many lines match. */
const count = (lines: string[], pattern: RegExp): number => lines.filter((line) => pattern.test(line)).length;

onEachDeliveryPath(() => {
  describe("composec logs -f", () => {
    it("follows containers scaled up, recreated and restarted, each line once, values masked", async () => {
      const name = await project("follow");
      const values = { token: randomValue("follow-tok"), live: randomValue("follow-live") };
      const later = { token: randomValue("follow-tok2"), live: randomValue("follow-live2") };
      const all = [...Object.values(values), ...Object.values(later)];
      // `web` prints its container's hostname and the secret at an absolute target (a change there
      // recreates it); `other` prints a line per start, and its /run/secrets value on SIGHUP (sent
      // after a live update).
      const dir = await tempProject({
        "token.txt": values.token,
        "live.txt": values.live,
        "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ["sh", "-c", "echo \\"web $$(hostname) first line\\"; echo \\"token=$$(cat /etc/token)\\"; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    secrets:
      - source: token
        target: /etc/token
  other:
    image: ${images.busybox}
    command: ["sh", "-c", "echo other started; trap 'exit 0' TERM; trap 'echo \\"live=$$(cat /run/secrets/live)\\"' HUP; while true; do sleep 0.1; done"]
    x-composec-reload-signal: SIGHUP
    secrets: [live]
secrets:
  token:
    file: ./token.txt
  live:
    file: ./live.txt
`,
      });
      const up = (args: string[]) => cliOk(["-p", name, "up", "-d", ...args], { cwd: dir, hide: all });
      await up([]);
      const logs = follow(name, dir);
      try {
        await logs.waitLines(/^web-1 +\| web \w+ first line$/, 1, "web-1's first line");
        await logs.waitLines(/^other-1 +\| other started$/, 1, "other-1's first line");

        // Scaled up: the new container from its first line, with its own prefix.
        await up(["--scale", "web=2"]);
        await logs.waitLines(/^web-2 +\| web \w+ first line$/, 1, "web-2's first line");
        await logs.waitLines(/^web-2 +\| token=\*\*\*\*$/, 1, "web-2's masked token");

        // Restarted: its new output once, its old output not again.
        await cliOk(["-p", name, "restart", "other"], { cwd: dir, hide: all });
        await logs.waitLines(/^other-1 +\| other started$/, 2, "other-1's line after the restart");

        // A changed secret at an absolute target: a second `up` recreates web's containers with the
        // new value, which `logs -f` never saw when it began.
        await writeFile(path.join(dir, "token.txt"), later.token);
        await up(["--scale", "web=2"]);
        await logs.waitLines(/^web-1 +\| web \w+ first line$/, 2, "the recreated web-1's first line");
        await logs.waitLines(/^web-2 +\| web \w+ first line$/, 2, "the recreated web-2's first line");
        await logs.waitLines(/^web-[12] +\| token=\*\*\*\*$/, 4, "the recreated containers' masked tokens");

        // A live update under /run/secrets: no container event, the value is masked all the same.
        await writeFile(path.join(dir, "live.txt"), later.live);
        await up(["--scale", "web=2"]);
        await logs.waitLines(/^other-1 +\| live=\*\*\*\*$/, 1, "other-1's masked live value");

        // Let anything duplicated or late arrive before counting.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const lines = logs.lines();
        expect(count(lines, /^web-1 +\| web \w+ first line$/)).toBe(2);
        expect(count(lines, /^web-2 +\| web \w+ first line$/)).toBe(2);
        expect(count(lines, /^other-1 +\| other started$/)).toBe(2);
        expect(count(lines, /^web-[12] +\| token=\*\*\*\*$/)).toBe(4);
        // The four web runs were four different containers.
        const hosts = lines.map((line) => /web (\w+) first line$/.exec(line)?.[1]).filter(Boolean);
        expect(new Set(hosts).size).toBe(4);
        const leaked = all.some((value) => logs.stdout().includes(value) || logs.stderr().includes(value));
        expect(leaked).toBe(false);
      } finally {
        const code = await logs.interrupt();
        expect(code).toBe(130);
      }
    });

    it("a container stopped before logs -f began is followed when it starts; Ctrl-C ends with 130", async () => {
      const name = await project("follow-start");
      const dir = await tempProject({
        "compose.yaml": `
services:
  keeper:
    image: ${images.busybox}
    command: ["sh", "-c", "echo keeper here; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
  sleeper:
    image: ${images.busybox}
    command: ["sh", "-c", "echo sleeper run $$(cat /proc/sys/kernel/random/uuid | tr -d -); trap 'exit 0' TERM; while true; do sleep 0.1; done"]
`,
      });
      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      await cliOk(["-p", name, "stop", "sleeper"], { cwd: dir });
      const logs = follow(name, dir);
      try {
        await logs.waitLines(/^keeper-1 +\| keeper here$/, 1, "keeper's line");
        await logs.waitLines(/^sleeper-1 +\| sleeper run [0-9a-f]+$/, 1, "sleeper's first run");
        await cliOk(["-p", name, "start", "sleeper"], { cwd: dir });
        const runs = await logs.waitLines(/^sleeper-1 +\| sleeper run [0-9a-f]+$/, 2, "sleeper's second run");
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(count(logs.lines(), /^sleeper-1 +\| sleeper run [0-9a-f]+$/)).toBe(2);
        expect(new Set(runs).size).toBe(2);
      } finally {
        const code = await logs.interrupt();
        expect(code).toBe(130);
        expect(logs.stderr()).not.toMatch(/internal error|EPIPE/);
      }
    });

    it("ends by itself once every container it follows has exited; at once with none", async () => {
      const name = await project("follow-end");
      const dir = await tempProject({
        "compose.yaml": `
services:
  brief:
    image: ${images.busybox}
    command: ["sh", "-c", "echo brief 1; sleep 1; echo brief 2"]
`,
      });
      const none = follow(name, dir);
      const timer = setTimeout(() => void none.interrupt(), 15_000);
      expect(await none.exited).toBe(0);
      clearTimeout(timer);

      await cliOk(["-p", name, "up", "-d"], { cwd: dir });
      const logs = follow(name, dir);
      const timeout = setTimeout(() => void logs.interrupt(), 30_000);
      expect(await logs.exited).toBe(0);
      clearTimeout(timeout);
      expect(logs.lines()).toEqual(["brief-1  | brief 1", "brief-1  | brief 2"]);
    });
  });
});
