// The command source runs real programs: the value is standard output byte for byte; each way a
// command can fail gives one message with the status and standard error's last lines, never what
// was printed on standard output.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_SECRET_BYTES } from "../model/secret-rules.js";
import { CommandSourceError, readCommandSource } from "./command-source.js";
import { findProgram } from "./find-program.js";

const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const source = (argv: string[], timeoutMs = 10_000) => ({
  kind: "command" as const,
  argv,
  cwd: "/",
  timeoutMs,
});
const sh = (script: string, timeoutMs?: number) => source(["/bin/sh", "-c", script], timeoutMs);

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CommandSourceError);
  return (error as Error).message;
}

describe("readCommandSource", () => {
  it("keeps standard output exactly: no newline trimmed, binary bytes kept", async () => {
    const value = await readCommandSource(sh("printf 'a\\000b\\377\\r\\n\\n'"));
    expect(digest(value.bytes())).toBe(digest(Buffer.from([0x61, 0, 0x62, 0xff, 0x0d, 0x0a, 0x0a])));
  });

  it("runs without a shell: an argument is passed as it is", async () => {
    const value = await readCommandSource(source(["printf", "%s", "$HOME; echo no"]), {
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(digest(value.bytes())).toBe(digest(Buffer.from("$HOME; echo no")));
  });

  it("a non-zero exit names the status and standard error's last lines, masking what was printed", async () => {
    const message = await failure(
      readCommandSource(
        sh('echo "$V"; for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; echo leaked "$V" >&2; exit 3'),
        {
          env: { V: "s3cr3t-value" },
        },
      ),
    );
    expect(message).toMatch(
      /^command \["\/bin\/sh" "-c" .*\] exited with status 3; its standard error ended with:\n/,
    );
    expect(message).toContain("line7");
    expect(message).not.toContain("line2");
    expect(message).not.toContain("s3cr3t-value");
    expect(message).toContain("leaked ****");
  });

  it("standard error cut inside a printed value does not show the value's end", async () => {
    // 40 + 1 + 4080 + 1 bytes: the 4096 kept begin 26 bytes into the value.
    const message = await failure(
      readCommandSource(
        sh('echo "$V"; echo "$V" >&2; head -c 4080 /dev/zero | tr "\\0" x >&2; echo >&2; exit 1'),
        {
          env: { V: "abcdefghijklmnopqrstuvwxyz0123456789ABCD", PATH: "/usr/bin:/bin" },
        },
      ),
    );
    expect(message).toContain("xxxx");
    expect(message).not.toContain("0123456789");
  });

  it("a command that runs too long is stopped, its children too", { timeout: 10_000 }, async () => {
    const started = Date.now();
    const message = await failure(readCommandSource(sh("sleep 30 & sleep 30; wait", 300)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(message).toMatch(/did not finish within 300ms and was stopped; raise x-composec-timeout/);
  });

  it("more than the size limit is refused and the command stopped", { timeout: 10_000 }, async () => {
    const message = await failure(
      readCommandSource(sh(`head -c ${MAX_SECRET_BYTES + 1} /dev/zero; sleep 30`)),
    );
    expect(message).toContain(`more than the ${MAX_SECRET_BYTES}-byte limit`);
  });

  it("exactly the limit is fine", async () => {
    const value = await readCommandSource(sh(`head -c ${MAX_SECRET_BYTES} /dev/zero`));
    expect(value.bytes().length).toBe(MAX_SECRET_BYTES);
  });

  it("a missing program is one clear error; an abort stops the command", { timeout: 10_000 }, async () => {
    expect(await failure(readCommandSource(source(["no-such-tool-x"]), { env: { PATH: "/bin" } }))).toContain(
      '"no-such-tool-x" is not found on PATH (/bin)',
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    expect(await failure(readCommandSource(sh("sleep 30"), { signal: controller.signal }))).toContain(
      "interrupted",
    );
  });

  it("findProgram looks on PATH unless the name has a slash", () => {
    expect(findProgram("sh", "/nonexistent:/bin")).toBe("/bin/sh");
    expect(findProgram("/bin/sh", "")).toBe("/bin/sh");
    expect(findProgram("./nope", "/bin")).toEqual({ problem: '"./nope" does not exist' });
  });
});
