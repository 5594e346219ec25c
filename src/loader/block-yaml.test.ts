// block-yaml.ts must give exactly what js-yaml gives, or decline. js-yaml (with the compose schema)
// is the oracle: on hand-written cases, on every compose file in this repository (examples and the
// inline YAML of the tests), and on thousands of generated variants.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import jsYaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { readBlockYaml } from "./block-yaml.js";
import { COMPOSE_YAML_SCHEMA, plainScalar } from "./parse-yaml.js";

const quick = (text: string) => readBlockYaml(text, plainScalar);

/** js-yaml's reading of `text`, or "error" when it refuses it. */
function oracle(text: string): unknown {
  try {
    return jsYaml.load(text, { schema: COMPOSE_YAML_SCHEMA, json: false });
  } catch {
    return "error";
  }
}

/** Checks the invariant on `text`; says whether the quick reader took it. */
function agrees(text: string): boolean {
  const ours = quick(text);
  if (ours === undefined) return false;
  const theirs = oracle(text);
  expect(theirs, `js-yaml refuses what block-yaml read:\n${text}`).not.toBe("error");
  expect(ours, text).toStrictEqual(theirs);
  return true;
}

const lines = (...all: string[]) => `${all.join("\n")}\n`;

describe("readBlockYaml reads what compose files are mostly made of", () => {
  it.each([
    [
      "a service with every kind of scalar",
      lines(
        "services:",
        "  web:",
        "    image: nginx:1.27-alpine # pinned",
        '    command: ["sh", "-c", "echo \\"hi\\" && sleep 1"]',
        "    entrypoint: [/bin/sh, -c, 'it''s fine']",
        "    environment:",
        "      PLAIN: hello world",
        "      QUOTED: 'a: b # not a comment'",
        '      ESCAPED: "tab\\tnewline\\nunicode\\u00e9 slash\\/"',
        "      EMPTY:",
        "      TILDE: ~",
        "      NUMBER: 8080",
        "      FLOAT: 1.5",
        "      BOOL: true",
        "      WORD_BOOL: yes",
        "      HASH: a#b",
        "      URL: http://example.com:8080/x?y=1",
        "      TIME: 22:22",
        "      INTERPOLATED: ${FOO:-bar}",
        "    ports:",
        '      - "127.0.0.1:8080:80"',
        "      - 9000:9000",
        "    secrets:",
        "      - db_password",
        "      - source: api_key",
        "        target: /run/secrets/api",
        "        mode: 0400",
        "        uid: '1000'",
        "    labels: {}",
        "    volumes: []",
        "secrets:",
        "  db_password:",
        "    file: ./secrets/db.txt",
        "  api_key:",
        "    environment: API_KEY",
      ),
    ],
    ["lists written at their key's column", lines("a:", "- x", "- y", "b:", "  - z", "c: 1")],
    [
      "a list item holding a mapping with a nested list",
      lines("l:", "  - k:", "    - 1", "    j: 2", "  - 3"),
    ],
    ["an empty value, last too", lines("m:", "n: 1", "o:")],
    [
      "a list item mapping whose value opens below",
      lines("l:", "  - build:", "      context: .", "    image: x"),
    ],
    [
      "comments and blank lines at any indent",
      lines("# top", "a:", "", "    # deep", "  b: 1  # trailing", "# end"),
    ],
    ["quoted keys", lines('"quoted key": 1', "'single': 2", '"__x": 3', "plain key with spaces: 4")],
    ["keys with colons and dashes", lines("a:b: 1", "x-custom: 2", "com.example.label: 3", "${KEY}: 4")],
    ["integers as go-yaml reads them", lines("m: [0400, 0o17, 0x1F, -12, +3, 1_000, 0]")],
  ])("%s", (_name, text) => {
    expect(agrees(text)).toBe(true);
  });

  it("reads the bench's generated project", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "block-yaml-"));
    try {
      const generator = path.join(repoRoot, "bench/gen-project.mjs");
      const run = spawnSync(process.execPath, [generator, "--out", dir, "--services", "20"]);
      expect(run.status).toBe(0);
      expect(agrees(readFileSync(path.join(dir, "compose.yaml"), "utf8"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("readBlockYaml leaves to js-yaml what it does not fully read", () => {
  it.each([
    ["an anchor and an alias", lines("a: &x 1", "b: *x")],
    ["a merge key", lines("base: {}", "c:", "  <<: {}")],
    ["a tag", lines("a: !!str 8080")],
    ["a block scalar", lines("a: |", "  text")],
    ["a folded scalar", lines("a: >-", "  text")],
    ["a flow mapping", lines("a: {b: 1}")],
    ["a multi-line plain scalar", lines("a: one", "  two")],
    ["a multi-line quoted scalar", lines('a: "one', '  two"')],
    ["a multi-line flow list", lines("a: [1,", "  2]")],
    ["a document marker", lines("---", "a: 1")],
    ["a directive", lines("%YAML 1.2", "---", "a: 1")],
    ["a tab", "a:\n\tb: 1\n"],
    ["CRLF line ends", "a: 1\r\nb: 2\r\n"],
    ["a byte order mark", "\ufeffa: 1\n"],
    ["a control character", "a: b\u0001c\n"],
    ["a DEL character", "a: b\u007fc\n"],
    ["a next-line character", "a: b\u0085c\n"],
    ["a Unicode line separator", "a: b\u2028c\n"],
    ["a lone surrogate", "a: b\ud800c\n"],
    ["a no-break space ending a value", "a: b\u00a0\n"],
    ["a no-break space ending a key", "a\u00a0: 1\n"],
    ["an ideographic space in a list", "a: [b\u3000]\n"],
    ["a dash and a colon as a value", lines("k: -:")],
    ["a dash-colon key in a list item", lines("k:", "- -: x")],
    ["mappings nested 100 deep", lines(...Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}a:`))],
    [
      "list items holding mappings nested 50 deep",
      lines("a:", ...Array.from({ length: 50 }, (_, i) => `${" ".repeat(2 * i)}- a:`)),
    ],
    ["a run of 40 spaces inside a line", `a: b${" ".repeat(40)}c\n`],
    ["a duplicate key", lines("a: 1", "a: 2")],
    ["a duplicate key in a list item", lines("l:", "  - a: 1", "    a: 2")],
    ["a key that reads as a number", lines("8080: web")],
    ["a key that reads as a boolean", lines("true: 1")],
    ["a __proto__ key", lines("__proto__: 1")],
    ["a quoted __proto__ key", lines('"__proto__": 1')],
    ["a YAML escape JSON lacks", lines('a: "\\x41"')],
    ["a nested list on one line", lines("a:", "  - - 1")],
    ["an empty list item", lines("l:", "  -", "  - a")],
    ["a value that is a list dash", lines("a: - 1")],
    ["a mapping value after a plain value", lines("a: b: c")],
    ["text after a quoted value", lines('a: "b" c')],
    ["a list at the top", lines("- a")],
    ["an indented first line", lines("  a: 1")],
    ["a deeper line after a value", lines("a: 1", "  b: 2")],
    ["an uneven list", lines("l:", "  - a", "   - b")],
    ["a list dash in a mapping", lines("a: 1", "- b")],
    ["an empty file", ""],
    ["only comments", lines("# nothing")],
  ])("%s", (_name, text) => {
    expect(quick(text)).toBeUndefined();
  });
});

describe("readBlockYaml takes linear time", () => {
  it.each([
    ["a value", `a: b${" ".repeat(100_000)}c\n`],
    ["a key", `a${" ".repeat(100_000)}b: c\n`],
    ["a one-line list", `a: [b${" ".repeat(100_000)}c]\n`],
    ["a comment", `a: b${" ".repeat(100_000)}# c\n`],
  ])("on a long run of spaces inside %s", (_name, text) => {
    const start = performance.now();
    expect(quick(text)).toBeUndefined();
    // Quadratic patterns took seconds here; the bound is loose for a busy machine.
    expect(performance.now() - start).toBeLessThan(500);
  });

  it("on a long line of words", () => {
    const text = `a: ${"word ".repeat(20_000)}\n`;
    const start = performance.now();
    expect(agrees(text)).toBe(true);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe("readBlockYaml agrees with js-yaml", () => {
  it("on every compose file of this repository's examples and tests", () => {
    const texts = [...exampleFiles(), ...inlineTestYaml()];
    let read = 0;
    for (const text of texts) if (agrees(text)) read++;
    // The corpus is a few hundred files, most of them plain block YAML: if the reader took almost
    // none, this test would prove nothing. (Half, not more: the tests of override tags, anchors,
    // flow mappings and fuzzed input are many, and the reader declines each of them by design.)
    expect(texts.length).toBeGreaterThan(100);
    expect(read / texts.length).toBeGreaterThan(0.5);
  });

  it("on generated variants: all it reads is read as js-yaml reads it", () => {
    // BLOCK_YAML_VARIANTS and BLOCK_YAML_SEED run more of them, or others, when the reader changes.
    const random = seeded(Number(process.env["BLOCK_YAML_SEED"] ?? 20261126));
    let read = 0;
    const count = Number(process.env["BLOCK_YAML_VARIANTS"] ?? 4000);
    for (let i = 0; i < count; i++) if (agrees(generate(random))) read++;
    // Both outcomes must be common, or the generator tests only one side.
    expect(read).toBeGreaterThan(count * 0.2);
    expect(read).toBeLessThan(count * 0.9);
  });
});

const repoRoot = path.resolve(import.meta.dirname, "../..");

function exampleFiles(): string[] {
  const dir = path.join(repoRoot, "examples");
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => readFileSync(path.join(dir, entry.name, "compose.yaml"), "utf8"));
}

/** Template literals holding `services:` in the test files, dedented as test-helpers.ts does. */
function inlineTestYaml(): string[] {
  const files = [
    ...readdirSync(path.join(repoRoot, "src"), { recursive: true, encoding: "utf8" }).map((f) =>
      path.join(repoRoot, "src", f),
    ),
    ...readdirSync(path.join(repoRoot, "test/integration")).map((f) =>
      path.join(repoRoot, "test/integration", f),
    ),
  ].filter((file) => file.endsWith(".test.ts") && !file.endsWith("block-yaml.test.ts"));
  const texts: string[] = [];
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(/`([^`]*services:[^`]*)`/g)) {
      // A literal with a TypeScript placeholder is not the YAML it becomes; `\${X}` is Compose's.
      if (/(?<!\\)\$\{/.test(match[1]!)) continue;
      texts.push(dedent(match[1]!.replaceAll("\\$", "$").replaceAll("\\\\", "\\")));
    }
  }
  return texts;
}

function dedent(text: string): string {
  const body = text.replace(/^\n/, "");
  const indents = body
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => /^ */.exec(line)![0].length);
  const cut = Math.min(...indents);
  return body
    .split("\n")
    .map((line) => line.slice(cut))
    .join("\n");
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// Documents are made as a tree, written out in the styles compose files use, then sometimes
// damaged a little (a line's indent moved, a line dropped or doubled, a value replaced by one the
// reader must decline or js-yaml refuses): both readers then see the same text.
const KEYS = [
  "image",
  "a",
  "b",
  "x-y",
  "a:b",
  "k k",
  '"q: k"',
  "'s''k'",
  "on",
  "${K}",
  "com.x",
  "a#b",
  '"k" ',
  "é",
];
const ODD_KEYS = ["8080", "true", "<<", "#c", "-d", "? k", "__proto__", "a #b"];
const SCALARS = [
  "word",
  "two words",
  "0400",
  "0o17",
  "0x1f",
  "-3",
  "1.5",
  ".inf",
  "~",
  "null",
  "True",
  "no",
  "a#b",
  "a #comment",
  "http://h:80/p",
  "22:22",
  '"dq"',
  '"d\\"q\\n\\u00e9 \\/"',
  "'sq'",
  "'it''s # no comment'",
  "[a, b]",
  '["x", "-c", 1]',
  "[ ]",
  "{}",
  "${V:-d}",
  "v  ",
  "-x",
  '["a, b", "]", \'c\']',
  "echo [a] {b}",
  "a]b",
  "é ü 🐳",
  "b\u0001c",
  "b\u2028c",
  "b\u00a0",
  "-:x",
  "v # c: d",
];
const ODD_SCALARS = [
  "-:",
  "-: x",
  "a: b",
  "a:",
  '"\\x41"',
  "'unterminated",
  '"unterminated',
  "[a, [b]]",
  "[a,]",
  "{a: 1}",
  "&anchor v",
  "*alias",
  "!!str 1",
  "|",
  ">",
  "- x",
  "%p",
  "@x",
  '"a" b',
];

type Tree =
  | { kind: "map"; entries: [string, Tree][] }
  | { kind: "list"; items: Tree[] }
  | { kind: "scalar"; text: string };

function generate(random: () => number): string {
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const tree = (depth: number): Tree => {
    const roll = random();
    if (depth > 3 || roll < 0.45) return { kind: "scalar", text: pick(SCALARS) };
    const size = Math.floor(random() * 4);
    if (roll < 0.75)
      return { kind: "map", entries: Array.from({ length: size }, () => [pick(KEYS), tree(depth + 1)]) };
    return { kind: "list", items: Array.from({ length: size }, () => tree(depth + 1)) };
  };
  const out: string[] = [];
  // `lead` is the text before the first entry (a list dash); later entries get `indent` spaces.
  const write = (node: Tree, indent: number, lead: string | undefined) => {
    const pad = " ".repeat(indent);
    if (node.kind === "scalar") return;
    const entries: [string, Tree][] =
      node.kind === "map" ? node.entries : node.items.map((item) => ["-", item] as [string, Tree]);
    entries.forEach(([key, value], index) => {
      const head = `${index === 0 && lead !== undefined ? lead : pad}${key === "-" ? "-" : `${key}:`}`;
      if (value.kind === "scalar") out.push(`${head} ${value.text}${random() < 0.1 ? " # note" : ""}`);
      else if (
        (value.kind === "map" && value.entries.length === 0) ||
        (value.kind === "list" && value.items.length === 0)
      )
        out.push(`${head}${random() < 0.2 ? "  " : ""}`);
      else if (key === "-" && value.kind === "map" && random() < 0.7) write(value, indent + 2, `${head} `);
      else {
        out.push(head);
        // Lists under a key are written at the key's column half the time, as compose files do.
        const step = random() < 0.8 ? 2 : 1 + Math.floor(random() * 4);
        const deeper = key !== "-" && value.kind === "list" && random() < 0.5 ? indent : indent + step;
        write(value, deeper, undefined);
      }
      if (random() < 0.05) out.push(random() < 0.5 ? "" : `${" ".repeat(Math.floor(random() * 6))}# c`);
    });
  };
  write(
    {
      kind: "map",
      entries: Array.from({ length: 1 + Math.floor(random() * 4) }, () => [pick(KEYS), tree(1)]),
    },
    0,
    undefined,
  );
  const damage = Math.floor(random() * 3);
  for (let d = 0; d < damage && out.length > 0; d++) {
    const at = Math.floor(random() * out.length);
    const roll = random();
    if (roll < 0.3)
      out[at] = (random() < 0.5 ? " " : "") + out[at]!.replace(/^ {1,2}/, random() < 0.5 ? "" : " ");
    else if (roll < 0.45) out.splice(at, 1);
    else if (roll < 0.6) out.splice(at, 0, out[at]!);
    else if (roll < 0.8)
      out[at] = out[at]!.replace(/: .*$|- .*$/, (m) => `${m.slice(0, 2)}${pick(ODD_SCALARS)}`);
    else
      out[at] = out[at]!.replace(
        /^( *)(- )?[^:]*:/,
        (_m, pad: string, dash = "") => `${pad}${dash}${pick(ODD_KEYS)}:`,
      );
  }
  return `${out.join("\n")}\n`;
}
