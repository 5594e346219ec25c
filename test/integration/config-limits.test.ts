// Intent: what `config` prints loads back to the same text (a `$` meant literally stays `$$`), and
// hostile files (an alias bomb, a file over 10 MiB, nesting without end) are refused at once with
// one located error, exit 1, by the built CLI as a user runs it.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, images, tempProject } from "./helpers.js";

afterAll(cleanupTempProjects);

describe("config", () => {
  it("prints $$ for a literal $, and config of its own output is the same", async () => {
    const dir = await tempProject({
      "compose.yaml": `services:\n  web:\n    image: ${images.busybox}\n    command: ["sh", "-c", "echo $$HOME"]\n    environment:\n      PRICE: "5$$"\n`,
    });
    const first = await cli(["-p", "roundtrip", "config"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("echo $$HOME");
    expect(first.stdout).toContain("5$$");
    await writeFile(path.join(dir, "again.yaml"), first.stdout);
    const second = await cli(["-p", "roundtrip", "-f", "again.yaml", "config"], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  const hostile: [string, string, RegExp][] = [
    [
      "an alias bomb",
      `services:\n  web:\n    image: busybox\nx-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n` +
        Array.from(
          { length: 9 },
          (_, i) =>
            `x-${i}: &b${i} [${Array(10)
              .fill(i === 0 ? "*a" : `*b${i - 1}`)
              .join(", ")}]`,
        ).join("\n") +
        "\n",
      /^error: .*compose\.yaml:1:1: aliases \(\*name\) expand this file to more than 100000 values/m,
    ],
    [
      "a file over 10 MiB",
      `services:\n  web:\n    image: busybox\nx-pad: "${"x".repeat(10 * 1024 * 1024)}"\n`,
      /^error: .*compose\.yaml:1:1: the file is \d+ bytes, more than the 10 MiB a compose file may have/m,
    ],
    [
      "nesting without end",
      `services:\n  web:\n    image: busybox\nx-deep: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
      /^error: .*compose\.yaml:4:\d+: mappings and lists nest more than 64 levels deep here/m,
    ],
  ];
  for (const [name, text, stderr] of hostile) {
    it(`refuses ${name} at once, with one located error`, async () => {
      const dir = await tempProject({ "compose.yaml": text });
      const started = performance.now();
      const result = await cli(["config"], { cwd: dir, timeoutMs: 30_000 });
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(stderr);
      expect(result.stderr.match(/^error:/gm)).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe("");
    });
  }
});
