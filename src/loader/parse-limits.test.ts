// The parser's limits: a file over the size limit, an alias bomb and nesting past any compose
// file's are each refused with one located problem, quickly, before any later stage sees them.
import { describe, expect, it } from "vitest";
import { MAX_ALIAS_EXPANSION, MAX_FILE_BYTES, MAX_NESTING, parseYaml } from "./parse-yaml.js";
import { loadFail, loadOk } from "./test-helpers.js";

/** The classic "billion laughs": ten levels, each alias repeated ten times. */
function billionLaughs(levels = 10): string {
  const lines = ['a0: &a0 "lol"'];
  for (let level = 1; level <= levels; level++) {
    lines.push(
      `a${level}: &a${level} [${Array(10)
        .fill(`*a${level - 1}`)
        .join(", ")}]`,
    );
  }
  return `services:\n  web:\n    image: busybox\nx-bomb:\n${lines.map((line) => `  ${line}`).join("\n")}\n`;
}

describe("parse limits", () => {
  it("refuses a billion-laughs file at once, at its first line", () => {
    const started = performance.now();
    const { parsed, problems } = parseYaml("compose.yaml", billionLaughs());
    expect(parsed).toBeUndefined();
    expect(problems).toEqual([
      {
        location: { file: "compose.yaml", line: 1, column: 1 },
        message: expect.stringContaining(
          `aliases (*name) expand this file to more than ${MAX_ALIAS_EXPANSION} values`,
        ),
      },
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("keeps anchors that a project really shares", async () => {
    const services = Array.from({ length: 300 }, (_, i) => `  s${i}:\n    <<: *common\n    image: busybox`);
    const text = `x-common: &common\n  environment: {A: "1", B: "2"}\n  labels: [a=1, b=2]\nservices:\n${services.join("\n")}\n`;
    const loaded = await loadOk({ "compose.yaml": text });
    expect(Object.keys(loaded.project.services)).toHaveLength(300);
  });

  it("refuses a file over the size limit, saying the limit", async () => {
    const big = `services:\n  web:\n    image: busybox\nx-pad: "${"x".repeat(MAX_FILE_BYTES)}"\n`;
    const failed = await loadFail({ "compose.yaml": big });
    expect(failed.errors).toEqual([
      `compose.yaml:1:1: the file is ${Buffer.byteLength(big)} bytes, more than the 10 MiB a compose file may have; split it with include:`,
    ]);
  });

  it("refuses nesting past the limit where it is written, and nesting past js-yaml's stack", async () => {
    const deep = `services:\n  web:\n    image: busybox\nx-deep: ${"[".repeat(MAX_NESTING + 5)}${"]".repeat(MAX_NESTING + 5)}\n`;
    const failed = await loadFail({ "compose.yaml": deep });
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatch(
      /^compose\.yaml:4:\d+: mappings and lists nest more than 64 levels deep here/,
    );
    const abyss = `x: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n`;
    const { problems } = parseYaml("compose.yaml", abyss);
    expect(problems[0]!.message).toContain("nest more than 64 levels");
  });
});
