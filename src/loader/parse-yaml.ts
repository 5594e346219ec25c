// Stage 1: YAML text to plain data, remembering where every value was written.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Location, Problem } from "../errors.js";
import { formatPath, type PathSegment } from "./paths.js";

/** Plain data of one compose file and the position of every value in it, by path. */
export interface ParsedFile {
  file: string;
  data: unknown;
  positions: Map<string, Location>;
  /** Paths of plain decimal integers as written (`440`, not `0440` or `"440"`): see secret modes. */
  decimalIntegers: Set<string>;
}

// Compose reads YAML with go-yaml, where a plain integer with a leading zero is octal (`mode: 0400`
// is 256). The `yaml` package's core schema would read it as decimal 400, and its YAML 1.1 schema
// would also turn `no` into false and `22:22` into a base-60 number (CLARIFICATIONS.md 5); so we keep
// the core schema and add just this one resolver ahead of its own integer rule.
const goStyleOctal = {
  identify: () => false,
  default: true,
  tag: "tag:yaml.org,2002:int",
  test: /^[-+]?0[0-7]+$/,
  resolve: (text: string) => parseInt(text, 8),
};

/** Parses one compose file; YAML errors come back as problems with line and column. */
export function parseYaml(file: string, text: string): { parsed?: ParsedFile; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    schema: "core",
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    customTags: (tags) => [goStyleOctal, ...tags],
  });
  const locate = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        location: locate(error.pos[0]),
        message: describeYamlError(error.code, error.message),
      })),
    };
  }
  const positions = new Map<string, Location>();
  const decimalIntegers = new Set<string>();
  recordPositions(document.contents, [], { positions, decimalIntegers, locate });
  const data = document.toJS({ maxAliasCount: 10_000 }) as unknown;
  return { parsed: { file, data: data ?? {}, positions, decimalIntegers }, problems: [] };
}

function describeYamlError(code: string, message: string): string {
  // The yaml package appends a code excerpt after the first line; our caller prints the position.
  const first = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  if (code === "DUPLICATE_KEY") return `${first}; each key may appear once in a mapping`;
  return `invalid YAML: ${first}`;
}

interface Recorder {
  positions: Map<string, Location>;
  decimalIntegers: Set<string>;
  locate: (offset: number) => Location;
}

function recordPositions(
  node: Node | null | undefined,
  path: PathSegment[],
  recorder: Recorder,
  keyOffset?: number,
): void {
  if (!node) return;
  const { positions, locate } = recorder;
  // A collection is easiest to find by its key; a scalar by its value.
  const collection = isMap(node) || isSeq(node);
  const offset = collection && keyOffset !== undefined ? keyOffset : node.range?.[0];
  if (offset !== undefined) positions.set(formatPath(path), locate(offset));
  if (isScalar(node) && node.type === "PLAIN" && /^[1-9][0-9]*$/.test(node.source ?? "")) {
    recorder.decimalIntegers.add(formatPath(path));
  }
  if (isAlias(node) || isScalar(node)) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || key === "<<") continue;
      const keyNode = pair.key as Node;
      const value = pair.value as Node | null;
      if (value === null || value === undefined) {
        if (keyNode.range) positions.set(formatPath([...path, key]), locate(keyNode.range[0]));
        continue;
      }
      recordPositions(value, [...path, key], recorder, keyNode.range?.[0]);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      recordPositions(item as Node, [...path, index], recorder);
    });
  }
}
