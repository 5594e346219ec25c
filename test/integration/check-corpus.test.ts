// `composec check` on a corpus of projects with known findings (test/check-corpus/), through the
// built CLI. Each corpus file marks what must be found where: `# expect: CS006` on a line (or alone
// on the line above, in Dockerfiles and env files) says that rule must report there, and
// `# near-miss: CS006 why` says it must not (a value that looks close but is no leak). The test
// checks the exact set of findings, every rule's count of marked positives and near misses (at
// least three each), the SARIF output against the SARIF 2.1.0 schema, fingerprints stable across
// runs and checkouts, exit codes with --severity, and that no output holds a secret value.
import { execFileSync } from "node:child_process";
import { chmod, cp, mkdtemp, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { afterAll, describe, expect, it } from "vitest";
import { cli, repoRoot } from "./helpers.js";

const corpusRoot = path.join(repoRoot, "test/check-corpus");
const RULE_IDS = Array.from({ length: 14 }, (_, i) => `CS${String(i + 1).padStart(3, "0")}`);

interface Setup {
  /** Permission bits by file (every other file is made 0600, as a secret file should be). */
  modes?: Record<string, string>;
  /** Make the corpus a git repository: these files tracked; `gitignore` becomes .gitignore. */
  git?: { tracked: string[]; gitignore?: string };
  /** Extra CLI arguments before `check`. */
  args?: string[];
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
  /** Planted credentials (not secret files) that must never be printed either. */
  literals?: string[];
}

interface Mark {
  kind: "expect" | "near-miss";
  rule: string;
  file: string;
  line: number;
}

interface JsonFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  where: string;
  message: string;
  fingerprint: string;
  suppressed?: { kind: string; reason: string };
}

const workDirs: string[] = [];
afterAll(async () => {
  for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
});

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.name === ".git") continue;
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else if (entry.isFile()) out.push(path.relative(base, full));
  }
  return out.sort();
}

/** The marks of one corpus: inline ones apply to their line, lone comments to the next line. */
async function marksOf(dir: string, files: string[]): Promise<Mark[]> {
  const marks: Mark[] = [];
  for (const file of files) {
    if (file === "setup.json") continue;
    const lines = (await readFile(path.join(dir, file), "utf8")).split("\n");
    lines.forEach((text, index) => {
      for (const match of text.matchAll(/#\s*(expect|near-miss):\s*((?:CS\d{3}\s*,?\s*)+)/g)) {
        const alone = /^\s*#/.test(text);
        let line = index + 1;
        if (alone) {
          line = index + 2;
          while (/^\s*#/.test(lines[line - 1] ?? "")) line++;
        }
        for (const rule of match[2]!.split(/[\s,]+/).filter(Boolean)) {
          marks.push({ kind: match[1] as Mark["kind"], rule, file, line });
        }
      }
    });
  }
  return marks;
}

/** Copies a corpus to a temporary directory and prepares modes and git as its setup.json says. */
async function prepare(name: string): Promise<{ dir: string; setup: Setup; files: string[] }> {
  const source = path.join(corpusRoot, name);
  const parent = await mkdtemp(path.join(tmpdir(), "composec-check-"));
  workDirs.push(parent);
  const dir = path.join(parent, name);
  await cp(source, dir, { recursive: true });
  const files = await listFiles(dir);
  const setup: Setup = files.includes("setup.json")
    ? (JSON.parse(await readFile(path.join(dir, "setup.json"), "utf8")) as Setup)
    : {};
  for (const file of files) await chmod(path.join(dir, file), 0o600);
  for (const [file, mode] of Object.entries(setup.modes ?? {}))
    await chmod(path.join(dir, file), parseInt(mode, 8));
  if (setup.git) {
    if (setup.git.gitignore) await rename(path.join(dir, setup.git.gitignore), path.join(dir, ".gitignore"));
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
    git("init", "-q");
    if (setup.git.tracked.length > 0) git("add", "--", ...setup.git.tracked);
  }
  return { dir, setup, files: await listFiles(dir) };
}

async function secretValuesOf(dir: string, files: string[], setup: Setup): Promise<string[]> {
  const values = [...(setup.literals ?? []), ...Object.values(setup.env ?? {})];
  for (const file of files.filter((f) => f.startsWith("secrets/"))) {
    values.push((await readFile(path.join(dir, file), "utf8")).trim());
  }
  return values.filter((value) => value.length >= 6);
}

async function check(dir: string, setup: Setup, ...args: string[]) {
  return cli([...(setup.args ?? []), "check", ...args], { cwd: dir, env: setup.env ?? {} });
}

const corpora = (await readdir(corpusRoot, { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

// Both are CommonJS modules whose export is the `default` of their typings.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(
  JSON.parse(
    await readFile(path.join(repoRoot, "test/check-sarif/sarif-schema-2.1.0.json"), "utf8"),
  ) as object,
);

const allMarks: Mark[] = [];

describe("composec check on the corpus", () => {
  for (const name of corpora) {
    it(`${name}: finds exactly what the corpus marks, in every format, and prints no secret`, async () => {
      const { dir, setup, files } = await prepare(name);
      const marks = await marksOf(dir, files);
      allMarks.push(...marks);

      const json = await check(dir, setup, "--format", "json", "--severity", "note");
      expect(json.stderr).not.toMatch(/error/);
      const report = JSON.parse(json.stdout) as { findings: JsonFinding[] };
      const active = report.findings.filter((f) => !f.suppressed);
      const found = active.map((f) => `${f.rule} ${f.file}:${f.line}`).sort();
      const expected = marks
        .filter((m) => m.kind === "expect")
        .map((m) => `${m.rule} ${m.file}:${m.line}`)
        .sort();
      expect(found).toEqual(expected);
      for (const miss of marks.filter((m) => m.kind === "near-miss")) {
        expect(found, `near miss ${miss.rule} at ${miss.file}:${miss.line}`).not.toContain(
          `${miss.rule} ${miss.file}:${miss.line}`,
        );
      }
      expect(json.code).toBe(active.length > 0 ? 1 : 0);

      const sarif = await check(dir, setup, "--format", "sarif");
      const log = JSON.parse(sarif.stdout) as {
        runs: {
          results: {
            ruleId: string;
            partialFingerprints: Record<string, string>;
            suppressions?: unknown[];
          }[];
        }[];
      };
      expect(validateSarif(log), JSON.stringify(validateSarif.errors)).toBe(true);
      expect(log.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual(
        report.findings.map((f) => f.rule).sort(),
      );
      expect(log.runs[0]!.results.filter((r) => r.suppressions).length).toBe(
        report.findings.length - active.length,
      );

      const text = await check(dir, setup);
      for (const item of active) expect(text.stdout).toContain(`${item.line}:${item.column}`);

      // No value of a secret (nor a planted credential) in any output, whole or its first 6 bytes.
      const secrets = await secretValuesOf(dir, files, setup);
      for (const output of [json, sarif, text]) {
        const everything = output.stdout + output.stderr;
        for (const value of secrets) {
          expect(everything.includes(value), `a value was printed`).toBe(false);
          expect(
            everything.includes(value.slice(0, 6)),
            `the first 6 characters of value #${secrets.indexOf(value)} (${value.length} long) were printed`,
          ).toBe(false);
        }
      }
    });
  }

  it("marks at least three positives and three near misses for every rule", () => {
    expect(allMarks.length).toBeGreaterThan(0);
    for (const rule of RULE_IDS) {
      const positives = allMarks.filter((m) => m.rule === rule && m.kind === "expect").length;
      const negatives = allMarks.filter((m) => m.rule === rule && m.kind === "near-miss").length;
      expect({ rule, positives: positives >= 3, negatives: negatives >= 3 }).toEqual({
        rule,
        positives: true,
        negatives: true,
      });
    }
  });
});

describe("composec check output", () => {
  it("gives the same fingerprints across runs and checkouts, and they survive moved lines", async () => {
    const first = await prepare("values");
    const second = await prepare("values");
    const fingerprints = async (dir: string, setup: Setup) =>
      (
        JSON.parse((await check(dir, setup, "--format", "json")).stdout) as { findings: JsonFinding[] }
      ).findings
        .map((f) => `${f.rule} ${f.where} ${f.fingerprint}`)
        .sort();
    const a = await fingerprints(first.dir, first.setup);
    expect(a.length).toBeGreaterThan(3);
    expect(await fingerprints(first.dir, first.setup)).toEqual(a);
    expect(await fingerprints(second.dir, second.setup)).toEqual(a);
    // Two blank lines at the top move every finding of compose.yaml; no fingerprint changes.
    const compose = path.join(second.dir, "compose.yaml");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(compose, `\n\n${await readFile(compose, "utf8")}`);
    expect(await fingerprints(second.dir, second.setup)).toEqual(a);
  });

  it("exits 0 or 1 by --severity, and 2 for a bad flag", async () => {
    const { dir, setup } = await prepare("grants");
    const all = JSON.parse((await check(dir, setup, "--format", "json", "--severity", "note")).stdout) as {
      findings: JsonFinding[];
    };
    const severities = new Set(all.findings.filter((f) => !f.suppressed).map((f) => f.severity));
    expect(severities).toEqual(new Set(["error", "warning", "note"]));
    expect((await check(dir, setup, "--severity", "error")).code).toBe(1);
    const notesOnly = await prepare("clean");
    expect((await check(notesOnly.dir, notesOnly.setup)).code).toBe(0);
    expect((await check(notesOnly.dir, notesOnly.setup, "--severity", "note")).code).toBe(1);
    const usage = await check(dir, setup, "--severity", "fatal");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--severity "fatal" is not a severity; use error, warning or note');
    expect((await check(dir, setup, "--format", "xml")).code).toBe(2);
  });

  it("checks only the named services and what they use", async () => {
    const { dir, setup } = await prepare("grants");
    const only = JSON.parse(
      (await check(dir, setup, "--format", "json", "--severity", "note", "reader")).stdout,
    ) as {
      findings: JsonFinding[];
    };
    expect(only.findings.length).toBeGreaterThan(0);
    expect(only.findings.every((f) => f.where.startsWith("services.reader"))).toBe(true);
  });

  it("prints the text report grouped by file, without colour when not on a terminal", async () => {
    const { dir, setup } = await prepare("values");
    const text = await check(dir, setup);
    expect(text.stdout).not.toContain("\x1b[");
    expect(text.stdout).toMatch(/^compose\.yaml\n {2}\d+:\d+ {2}error {2}CS001 secret-value-reused/m);
    expect(text.stdout).toMatch(/\d+ errors?, \d+ warnings?, \d+ notes?/);
    expect((await stat(path.join(dir, "compose.yaml"))).isFile()).toBe(true);
  });
});
