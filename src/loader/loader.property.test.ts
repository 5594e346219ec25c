// Generated input for the loader (issue 15, part 3), driven as a library so thousands of cases run
// in seconds:
// - random valid projects load, and `config` of their `config` is the same text (a fixed point);
// - random mutations of valid files (wrong types, unknown keys, unicode, huge values, deep nesting,
//   anchors and alias bombs, broken text) never crash and never hang: each load ends, in bounded
//   time, either with a project or with a ProjectError whose every problem is located.
// CI runs a sample with a printed seed; `npm run fuzz:loader` runs the full sweep and writes
// bench/results/reliability.md. COMPOSEC_FUZZ_SEED=<seed> replays a run.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import jsYaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectError, type Problem } from "../errors.js";
import { escapeDollars } from "../model/escape-dollars.js";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { loadProject } from "./index.js";
import { MAX_FILE_BYTES } from "./parse-yaml.js";

const seed = Number(process.env["COMPOSEC_FUZZ_SEED"] ?? Date.now() % 2 ** 31);
/** Cases per property: a sample in CI, thousands in the sweep. */
const runs = Number(process.env["COMPOSEC_FUZZ_RUNS"] ?? 150);
/** Where the sweep wants the counts (JSON); unset in CI. */
const reportPath = process.env["COMPOSEC_FUZZ_REPORT"];
/** No single load may take longer than this, even on a busy machine. */
const CASE_TIME_LIMIT_MS = 5_000;
/** The time a whole property may take: generous, the machine may be busy. */
const PROPERTY_TIMEOUT_MS = 60_000 + runs * 500;
/** Nor grow the heap by more than this. */
const CASE_HEAP_LIMIT_BYTES = 256 * 1024 * 1024;

const counts = {
  seed,
  runsPerProperty: runs,
  roundTrips: 0,
  mutations: 0,
  loaded: 0,
  refused: 0,
  problems: 0,
  slowestMs: 0,
  largestHeapGrowthMb: 0,
  byKind: {} as Record<string, number>,
};

let dir: string;
beforeAll(() => {
  process.stderr.write(
    `loader property tests: seed ${seed}, ${runs} runs each (COMPOSEC_FUZZ_SEED=${seed} replays)\n`,
  );
  dir = realpathSync(mkdtempSync(join(tmpdir(), "composec-fuzz-")));
  mkdirSync(join(dir, "secrets"));
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, "secrets", `s${i}.txt`), `value ${i}\n`);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (reportPath) writeFileSync(reportPath, JSON.stringify(counts, null, 2));
});

/** Loads `text` as the project's only file, from standard input, with an empty environment. */
function load(text: string): ReturnType<typeof loadProject> {
  return loadProject({ files: ["-"], cwd: dir, env: {}, readStdin: () => Promise.resolve(text) });
}

/** The canonical text `config` prints for `text`. */
async function config(text: string): Promise<string> {
  const { project } = await load(text);
  return toYamlText(toComposeDocument(project));
}

// ---- valid projects --------------------------------------------------------------------------

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
/** Text a user might write in a value: any Unicode but NUL (a `$` is written `$$`: see `written`). */
const text = fc.string({ unit: "grapheme", maxLength: 24 }).filter((s) => !s.includes("\0"));
const envKey = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,11}$/);
const labelKey = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/);
const containerPath = fc.stringMatching(/^(\/[a-z0-9_]{1,8}){1,3}$/);

const secretNames = ["s0", "s1", "s2", "s3"];
const volumeNames = ["data", "cache"];
const networkNames = ["front", "back"];

const service = (earlier: string[]) =>
  fc.record(
    {
      image: fc.constantFrom(
        "busybox",
        "composec-test/busybox:1",
        "redis:7",
        "example.org:5000/team/app:v1.2",
      ),
      command: fc.array(text, { maxLength: 4 }),
      environment: fc.dictionary(envKey, text, { maxKeys: 4 }),
      labels: fc.dictionary(labelKey, text, { maxKeys: 3 }),
      ports: fc
        .uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 })
        .map((targets) =>
          targets.map((target, index) => (index % 2 === 0 ? `${target}` : `127.0.0.1:${target}:${target}`)),
        ),
      volumes: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...volumeNames, "./files"), containerPath, fc.boolean()), {
          maxLength: 3,
          selector: ([, target]) => target,
        })
        .map((mounts) => mounts.map(([source, target, ro]) => `${source}:${target}${ro ? ":ro" : ""}`)),
      secrets: fc.subarray(secretNames),
      networks: fc.subarray(networkNames),
      depends_on: fc.subarray(earlier),
      restart: fc.constantFrom("no", "always", "on-failure", "unless-stopped"),
      read_only: fc.boolean(),
      "x-note": fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ["image"] },
  );

/** A whole valid project: services may depend only on earlier ones, so there is no cycle. */
const project = fc.uniqueArray(name, { minLength: 1, maxLength: 5 }).chain((names) =>
  fc.tuple(...names.map((_, index) => service(names.slice(0, index)))).map((services) => ({
    services: Object.fromEntries(names.map((serviceName, index) => [serviceName, services[index]])),
    volumes: { data: {}, cache: { labels: { tier: "cache" } } },
    networks: { front: {}, back: { internal: true } },
    secrets: Object.fromEntries(secretNames.map((secret) => [secret, { file: `./secrets/${secret}.txt` }])),
  })),
);

const dump = (document: unknown): string => jsYaml.dump(document, { noRefs: true, lineWidth: -1 });
/** A generated project as its file says it: a `$` meant literally is written `$$`. */
const written = (document: unknown): string => dump(escapeDollars(document));

// ---- mutations of valid files ----------------------------------------------------------------

type Mutation = { kind: string; apply: (document: Record<string, unknown>, text: string) => string };

/** A value of any type, some of them large, odd or hostile. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
  fc.integer({ min: 1000, max: 200_000 }).map((size) => "x".repeat(size)),
  fc.constant(Number.MAX_SAFE_INTEGER * 1024),
  fc.constant("${UNSET_VARIABLE:?is required}"),
  fc.constant("${"),
);

/** Every path to a value in `document`, up to a few levels. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (prefix.length > 0) out.push(prefix);
  if (prefix.length >= 5 || value === null || typeof value !== "object") return out;
  for (const [key, child] of Object.entries(value as object)) {
    paths(child, [...prefix, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}

function setAt(
  document: Record<string, unknown>,
  path: (string | number)[],
  replace: (old: unknown) => unknown,
) {
  let parent: Record<string | number, unknown> = document;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  parent[last] = replace(parent[last]);
}

const nest = (value: unknown, depth: number): unknown =>
  Array.from({ length: depth }).reduce<unknown>((inner) => [inner], value);

const billionLaughs = (levels: number, width: number) => {
  const lines = ['  l0: &l0 "lol"'];
  for (let level = 1; level <= levels; level++)
    lines.push(
      `  l${level}: &l${level} [${Array(width)
        .fill(`*l${level - 1}`)
        .join(", ")}]`,
    );
  return `x-bomb:\n${lines.join("\n")}\n`;
};

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), wrongValue).map(([pick, value]): Mutation => ({
    kind: "wrong type",
    apply: (document) => {
      const all = paths(document);
      setAt(document, all[pick % all.length]!, () => value);
      return dump(document);
    },
  })),
  fc
    .tuple(fc.nat(), fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), wrongValue)
    .map(([pick, key, value]): Mutation => ({
      kind: "unknown key",
      apply: (document) => {
        const mappings = paths(document).filter((path) => {
          let node: unknown = document;
          for (const segment of path) node = (node as Record<string | number, unknown>)[segment];
          return node !== null && typeof node === "object" && !Array.isArray(node);
        });
        const at = mappings[pick % Math.max(1, mappings.length)];
        if (at) setAt(document, at, (old) => ({ ...(old as object), [key]: value }));
        else document[key] = value;
        return dump(document);
      },
    })),
  fc.tuple(fc.nat(), fc.integer({ min: 10, max: 400 })).map(([pick, depth]): Mutation => ({
    kind: "deep nesting",
    apply: (document) => {
      const all = paths(document);
      setAt(document, all[pick % all.length]!, (old) => nest(old, depth));
      return dump(document);
    },
  })),
  fc
    .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }))
    .map(([levels, width]): Mutation => ({
      kind: "alias bomb",
      apply: (_document, text) => `${text}${billionLaughs(levels, width)}`,
    })),
  fc.nat().map((pick): Mutation => ({
    kind: "anchors and aliases",
    apply: (document) => {
      const names = Object.keys(document["services"] as object);
      const first = names[pick % names.length]!;
      // One service's settings shared by every service through a merge key and an alias.
      const text = dump(document).replace(`\n  ${first}:\n`, `\n  ${first}: &base\n`);
      return `${text}x-again: *base\nx-merged:\n  <<: *base\n  extra: 1\n`;
    },
  })),
  fc.tuple(fc.nat(), fc.string({ unit: "binary", maxLength: 8 })).map(([pick, insert]): Mutation => ({
    kind: "broken text",
    apply: (_document, text) => {
      const at = pick % (text.length + 1);
      return `${text.slice(0, at)}${insert}${text.slice(at)}`;
    },
  })),
  fc.nat().map((pick): Mutation => ({
    kind: "truncated text",
    apply: (_document, text) => text.slice(0, pick % (text.length + 1)),
  })),
  fc.constantFrom<Mutation>(
    {
      kind: "oversized file",
      apply: (_d: unknown, text: string) => `${text}x-pad: "${"y".repeat(MAX_FILE_BYTES)}"\n`,
    },
    { kind: "not a mapping", apply: () => "- just\n- a list\n" },
    { kind: "empty file", apply: () => "" },
    { kind: "tabs", apply: (_d: unknown, text: string) => text.replace(/ {2}/g, "\t") },
    { kind: "recursive alias", apply: (_d: unknown, text: string) => `${text}x-loop: &loop [*loop]\n` },
  ),
);

/** Every problem names its file, line and column. */
function unlocated(problems: Problem[]): Problem[] {
  return problems.filter(
    (problem) => !problem.location || problem.location.line < 1 || problem.location.column < 1,
  );
}

describe("loader, generated input", () => {
  it(
    "random valid projects load, and config of config is identical",
    async () => {
      await fc.assert(
        fc.asyncProperty(project, async (document) => {
          const once = await config(written(document));
          const twice = await config(once);
          counts.roundTrips++;
          expect(twice).toBe(once);
        }),
        { seed, numRuns: runs },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "mutated files never crash or hang: a project, or located problems",
    async () => {
      await fc.assert(
        fc.asyncProperty(project, mutation, async (document, change) => {
          const mutated = change.apply(structuredClone(document), dump(document));
          const heapBefore = process.memoryUsage().heapUsed;
          const started = performance.now();
          let outcome: "loaded" | "refused";
          try {
            await load(mutated);
            outcome = "loaded";
          } catch (error) {
            if (!(error instanceof ProjectError)) throw error;
            expect(unlocated(error.problems), `${change.kind}: problems without a location`).toEqual([]);
            counts.problems += error.problems.length;
            outcome = "refused";
          }
          const ms = performance.now() - started;
          const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
          expect(ms, `${change.kind} took ${ms.toFixed(0)} ms`).toBeLessThan(CASE_TIME_LIMIT_MS);
          expect(heapGrowth, `${change.kind} grew the heap`).toBeLessThan(CASE_HEAP_LIMIT_BYTES);
          counts.mutations++;
          counts[outcome]++;
          counts.byKind[change.kind] = (counts.byKind[change.kind] ?? 0) + 1;
          counts.slowestMs = Math.max(counts.slowestMs, Math.round(ms));
          counts.largestHeapGrowthMb = Math.max(
            counts.largestHeapGrowthMb,
            Math.round(heapGrowth / 1024 / 1024),
          );
        }),
        { seed, numRuns: runs },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
