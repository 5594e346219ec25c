// `x-composec-command` as a secret source: its shape, how it combines with the other sources, its
// timeout, and that a program that cannot be found is refused at load time, before anything runs.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "./command-secret.js";
import { expectOk, loadFail, loadIn, loadOk, writeProject } from "./test-helpers.js";

const PATH = "/usr/bin:/bin";
const project = (secret: string) =>
  `services:\n  web:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s:\n${secret}`;

describe("x-composec-command", () => {
  it("is a source of its own: argv interpolated, relative program resolved, default timeout", async () => {
    const dir = writeProject({
      "compose.yaml": project("    x-composec-command: [./get.sh, '${ITEM}', 42]\n"),
      "get.sh": "#!/bin/sh\necho hi\n",
    });
    chmodSync(join(dir, "get.sh"), 0o755);
    const { project: loaded } = expectOk(await loadIn(dir, { env: { PATH, ITEM: "db/password" } }));
    expect(loaded.secrets["s"]!.source).toEqual({
      kind: "command",
      argv: [`${dir}/get.sh`, "db/password", "42"],
      cwd: dir,
      timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
    });
  });

  it("takes x-composec-timeout as a duration or seconds", async () => {
    const timeout = async (value: string) =>
      (
        await loadOk(
          { "compose.yaml": project(`    x-composec-command: [true]\n    x-composec-timeout: ${value}\n`) },
          { env: { PATH } },
        )
      ).project.secrets["s"]!.source;
    expect(await timeout("2s")).toMatchObject({ timeoutMs: 2000 });
    expect(await timeout("90")).toMatchObject({ timeoutMs: 90_000 });
    expect(await timeout("1m30s")).toMatchObject({ timeoutMs: 90_000 });
  });

  it("refuses a string (no shell runs it), an empty list and a bad timeout, each at its place", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": `services:\n  web:\n    image: busybox\n    secrets: [a, b, c]\nsecrets:\n  a:\n    x-composec-command: pass show x\n  b:\n    x-composec-command: []\n  c:\n    x-composec-command: [true]\n    x-composec-timeout: soon\n`,
      },
      { env: { PATH } },
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^compose\.yaml:7:\d+ secrets\.a\.x-composec-command: "pass show x" is a string; give the command as a list/,
      ),
      expect.stringMatching(/^compose\.yaml:9:\d+ secrets\.b\.x-composec-command: must be a non-empty list/),
      expect.stringMatching(/^compose\.yaml:12:\d+ secrets\.c\.x-composec-timeout: "soon" is not a duration/),
    ]);
  });

  it("refuses a second source beside the command", async () => {
    const { errors } = await loadFail(
      { "compose.yaml": project("    x-composec-command: [true]\n    file: ./x\n"), x: "v" },
      { env: { PATH } },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^compose\.yaml:8:\d+ secrets\.s\.file: secret has both x-composec-command and file/,
    );
  });

  it("refuses a timeout without a command", async () => {
    const { errors } = await loadFail({
      "compose.yaml": project("    file: ./x\n    x-composec-timeout: 5s\n"),
      x: "v",
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /secrets\.s\.x-composec-timeout: x-composec-timeout goes with x-composec-command/,
      ),
    ]);
  });

  it("a program not on PATH, or not executable, is refused at load time", async () => {
    const missing = await loadFail(
      { "compose.yaml": project("    x-composec-command: [no-such-secret-tool, read]\n") },
      { env: { PATH } },
    );
    expect(missing.errors).toEqual([
      expect.stringMatching(
        /^compose\.yaml:7:\d+ secrets\.s\.x-composec-command: "no-such-secret-tool" is not found on PATH \(\/usr\/bin:\/bin\); install it/,
      ),
    ]);
    const plain = await loadFail(
      { "compose.yaml": project("    x-composec-command: [./get.sh]\n"), "get.sh": "not executable" },
      { env: { PATH } },
    );
    expect(plain.errors[0]).toMatch(/get\.sh" is not executable by this user|get\.sh" cannot be run/);
  });
});
