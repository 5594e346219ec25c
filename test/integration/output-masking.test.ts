// Intent: `exec` and `run` without a TTY (-T, or stdout piped) mask the project's secret values as
// delivered in what the command prints, on both streams, also when the value reaches the CLI in two
// pieces; the command's exit code and every other byte are kept; with a TTY, or with --no-mask, the
// output is the command's own. Values are random; tests compare booleans and digests and never put
// a value into an assertion message.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cli, cliDefaults, cliPath, images, tempProject } from "./helpers.js";
import { cliOk, IDLE, randomValue, scrub, sha256, trackProjects } from "./secrets-helpers.js";
import { onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();
const MASK = "****";

// `app` idles with two secrets: `token` (one line) and `key` (two lines, as a PEM key would be).
async function setUp(prefix: string): Promise<{ name: string; dir: string; token: string; key: string }> {
  const name = await project(prefix);
  const token = randomValue("tok");
  const key = `${randomValue("key-line-1")}\n${randomValue("key-line-2")}\n`;
  const dir = await tempProject({
    "token.txt": token,
    "key.pem": key,
    "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets: [token, key]
secrets:
  token:
    file: ./token.txt
  key:
    file: ./key.pem
`,
  });
  return { name, dir, token, key };
}

/** Whether any of the values (or a line of one) shows in the text. */
const leaks = (text: string, values: string[]): boolean =>
  values.some((value) => value.split("\n").some((line) => line.length >= 4 && text.includes(line)));

onEachDeliveryPath(() => {
  describe("exec and run mask secret values without a TTY", () => {
    it("exec -T and piped exec: both streams masked, a value split across chunks too, exit code kept", async () => {
      const { name, dir, token, key } = await setUp("mask-exec");
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [token, key] });
      const exec = (args: string[]) => cli(["-p", name, "exec", ...args], { cwd: dir });

      const plain = await exec([
        "-T",
        "app",
        "sh",
        "-c",
        "echo before; cat /run/secrets/token; echo; echo after",
      ]);
      expect(plain.code, scrub(plain.stderr, [token, key])).toBe(0);
      expect(leaks(plain.stdout, [token])).toBe(false);
      expect(plain.stdout).toBe(`before\n${MASK}\nafter\n`);

      // Piped (no -T): the CLI's stdout is not a terminal, so there is no TTY and the output is masked.
      // The value is printed in two writes 300 ms apart: two frames from the engine.
      const split = await exec([
        "app",
        "sh",
        "-c",
        "head -c 9 /run/secrets/token; sleep 0.3; tail -c +10 /run/secrets/token; echo ' end'; cat /run/secrets/key >&2; exit 7",
      ]);
      expect(split.code).toBe(7);
      expect(leaks(split.stdout, [token])).toBe(false);
      expect(split.stdout).toBe(`${MASK} end\n`);
      expect(leaks(split.stderr, [key])).toBe(false);
      expect(split.stderr).toBe(`${MASK}\n`);

      // The mask is not fooled by a value inside other text, nor does it touch the rest.
      const inside = await exec(["-T", "app", "sh", "-c", 'echo "x=$(cat /run/secrets/token)&y=2"']);
      // Checked first, so a failing comparison below cannot print the value in its diff.
      expect(leaks(inside.stdout, [token])).toBe(false);
      expect(inside.stdout).toBe(`x=${MASK}&y=2\n`);
    });

    it("bytes that are not text pass through exactly; --no-mask shows the value as it is", async () => {
      const { name, dir, token, key } = await setUp("mask-bytes");
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [token, key] });
      const binary = spawnSync(
        process.execPath,
        [cliPath, "-p", name, "exec", "-T", "app", "printf", "\\377\\376\\000\\r\\nok"],
        { cwd: dir, input: "", env: { ...process.env, ...cliDefaults.env } },
      );
      expect(binary.status).toBe(0);
      expect(binary.stdout.equals(Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x6f, 0x6b]))).toBe(true);

      const raw = await cli(["-p", name, "exec", "-T", "--no-mask", "app", "cat", "/run/secrets/token"], {
        cwd: dir,
      });
      expect(raw.code).toBe(0);
      expect(sha256(raw.stdout) === sha256(token)).toBe(true);
    });

    it("with a TTY the output is the command's own", async () => {
      const { name, dir, token, key } = await setUp("mask-tty");
      await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [token, key] });
      // `script` gives the CLI a pseudo-terminal as its stdin and stdout.
      const inTerminal = spawnSync(
        "script",
        ["-qec", `${process.execPath} ${cliPath} -p ${name} exec app cat /run/secrets/token`, "/dev/null"],
        {
          cwd: dir,
          encoding: "utf8",
          input: "",
          timeout: 60_000,
          env: { ...process.env, ...cliDefaults.env },
        },
      );
      expect(inTerminal.status).toBe(0);
      expect(inTerminal.stdout.includes(token)).toBe(true);
    });

    it("run masks the values it delivered itself (no up before), keeps the exit code", async () => {
      const { name, dir, token, key } = await setUp("mask-run");
      const result = await cli(
        [
          "-p",
          name,
          "run",
          "--rm",
          "-T",
          "app",
          "sh",
          "-c",
          "cat /run/secrets/token; echo; cat /run/secrets/key >&2; exit 4",
        ],
        { cwd: dir },
      );
      expect(result.code, scrub(result.stderr, [token, key])).toBe(4);
      expect(leaks(result.stdout + result.stderr, [token, key])).toBe(false);
      expect(result.stdout).toBe(`${MASK}\n`);
      expect(result.stderr).toContain(`${MASK}\n`);

      const raw = await cli(["-p", name, "run", "--rm", "--no-mask", "app", "cat", "/run/secrets/token"], {
        cwd: dir,
      });
      expect(raw.code).toBe(0);
      expect(sha256(raw.stdout) === sha256(token)).toBe(true);
    });
  });
});
