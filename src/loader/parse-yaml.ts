// Stage 1: YAML text to plain data, remembering where every value was written.
//
// js-yaml does the parsing: on a cold start it is several times faster than the `yaml` package
// (which also keeps a whole document model we do not need), and `config` on a large project is
// mostly start-up. Plain block YAML, most compose files, goes to block-yaml.ts first, which is
// faster still and gives the same data. Positions come from js-yaml's listener, which reports where
// each node opens and closes; from those events we rebuild the tree of positions.
import jsYaml from "js-yaml";
import { readBlockYaml } from "./block-yaml.js";
import { extractTags, mayHaveOverrideTags, OVERRIDE_TAG_TYPES, type TaggedPath } from "./override-tags.js";
import type { Location, Problem } from "../errors.js";

/** Plain data of one compose file, and the file as written. */
export interface ParsedFile {
  data: unknown;
  /** Kept for messages until the end of the load; the data is not, so it can go once used. */
  written: WrittenFile;
  /** Places tagged `!reset` or `!override` (override-tags.ts), already unwrapped from `data`. */
  tagged: TaggedPath[];
}

/** A compose file's text and the position of every value in it, by path. */
export interface WrittenFile {
  file: string;
  text: string;
  positions: Map<string, Location>;
  /** Paths of plain decimal integers as written (`440`, not `0440` or `"440"`): see secret modes. */
  decimalIntegers: Set<string>;
}

// Compose reads YAML with go-yaml, where a plain integer with a leading zero is octal (`mode: 0400`
// is 256), as is `0o400`. The YAML 1.2 core schema would read `0400` as decimal 400; YAML 1.1 would
// also turn `no` into false and `22:22` into a base-60 number (CLARIFICATIONS.md 5). So: the core
// schema, merge keys, and this integer rule in place of the core one.
const goStyleInteger = new jsYaml.Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (text: string | null) => text !== null && parseInteger(text) !== undefined,
  construct: (text: string) => parseInteger(text)!,
  predicate: (value: unknown) => Number.isInteger(value),
  represent: (value: object) => String(value),
});

function parseInteger(text: string): number | undefined {
  const match = /^([-+]?)(?:(0|[1-9][0-9_]*)|0o?([0-7_]+)|0x([0-9a-fA-F_]+))$/.exec(text);
  if (!match) return undefined;
  const sign = match[1];
  const decimal = match[2];
  const octal = match[3];
  const hex = match[4];
  const magnitude =
    decimal !== undefined
      ? parseInt(decimal.replace(/_/g, ""), 10)
      : octal !== undefined
        ? parseInt(octal.replace(/_/g, ""), 8)
        : parseInt(hex!.replace(/_/g, ""), 16);
  return sign === "-" ? -magnitude : magnitude;
}

// `types` is part of js-yaml 4's API but missing from its type definitions.
const {
  null: yamlNull,
  bool,
  float,
  merge,
} = (jsYaml as unknown as { types: Record<"null" | "bool" | "float" | "merge", jsYaml.Type> }).types;

/** What a plain scalar other than a string reads as, or NOT_SPECIAL: the string it is. */
const NOT_SPECIAL = Symbol("string");

function plainValue(text: string | null): unknown {
  if (text === null) return null;
  // The first character rules out most of a compose file's scalars, which are words and paths.
  const first = text.charCodeAt(0);
  if ((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46) {
    const integer = parseInteger(text);
    if (integer !== undefined) return integer;
    return float.resolve(text) ? float.construct(text) : NOT_SPECIAL;
  }
  // ~, null, Null, NULL; true, True, TRUE, false, False, FALSE.
  if (first === 126 || first === 110 || first === 78) return yamlNull.resolve(text) ? null : NOT_SPECIAL;
  if (first === 116 || first === 84 || first === 102 || first === 70) {
    return bool.resolve(text) ? bool.construct(text) : NOT_SPECIAL;
  }
  return NOT_SPECIAL;
}

// js-yaml asks each implicit type in turn whether it claims a plain scalar, so a word would be
// offered to null, bool, int, float and merge, five calls for each of the thousands of scalars of a
// large file. One type answers for the four core ones instead; the tags of the values it makes
// matter to nobody (only merge's is looked at, by js-yaml), and the core types stay for explicit
// tags (`!!int "8080"`).
const corePlainScalar = new jsYaml.Type("tag:composec,2026:plain-scalar", {
  kind: "scalar",
  resolve: (text: string | null) => plainValue(text) !== NOT_SPECIAL,
  construct: (text: string | null) => plainValue(text),
});

/** A plain scalar as COMPOSE_YAML_SCHEMA reads it: the text itself when it is a string. */
export function plainScalar(text: string): unknown {
  const value = plainValue(text);
  return value === NOT_SPECIAL ? text : value;
}

export const COMPOSE_YAML_SCHEMA = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [corePlainScalar, merge],
  explicit: [yamlNull, bool, goStyleInteger, float, ...OVERRIDE_TAG_TYPES],
});

/** A node as the listener saw it: where it opened, what it became, and the nodes inside it. */
interface NodeEvent {
  offset: number;
  kind: string | null;
  result: unknown;
  children: NodeEvent[];
}

/** The largest compose file read: no hand-written file comes near, and each byte costs memory. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/**
 * How many values aliases (`*name`) may add to a file beyond those written. Anchors shared by a few
 * hundred services add thousands; a "billion laughs" file adds billions, which every later stage
 * would copy or walk, so it is refused here.
 */
export const MAX_ALIAS_EXPANSION = 100_000;
/** How deep mappings and lists may nest; a compose file needs about ten levels. */
export const MAX_NESTING = 64;

/** Parses one compose file; YAML errors come back as problems with line and column. */
export function parseYaml(file: string, text: string): { parsed?: ParsedFile; problems: Problem[] } {
  const start = { file, line: 1, column: 1 };
  // Characters first: a string's length bounds its UTF-8 size from below, so most files need no count.
  if (text.length > MAX_FILE_BYTES / 3 && Buffer.byteLength(text) > MAX_FILE_BYTES) {
    return {
      problems: [
        {
          location: start,
          message: `the file is ${Buffer.byteLength(text)} bytes, more than the ${MAX_FILE_BYTES / 1024 / 1024} MiB a compose file may have; split it with include:`,
        },
      ],
    };
  }
  // Most compose files are plain block YAML, which block-yaml.ts reads faster; it declines the rest.
  let data = readBlockYaml(text, plainScalar);
  if (data === undefined) {
    try {
      data = jsYaml.load(text, {
        filename: file,
        schema: COMPOSE_YAML_SCHEMA,
        json: false,
        maxDepth: MAX_NESTING,
      } as jsYaml.LoadOptions);
    } catch (error) {
      // js-yaml reads nested collections by recursion: nesting in the thousands overflows its stack.
      if (error instanceof RangeError) return { problems: [tooDeep(file, start)] };
      if (!(error instanceof jsYaml.YAMLException)) throw error;
      return { problems: [yamlProblem(file, error)] };
    }
  }
  const shape = measure(data, text.includes("*"));
  if (shape.deeper !== undefined) {
    return { problems: [tooDeep(file, locateSafely(file, text, shape.deeper) ?? start)] };
  }
  if (shape.expanded - shape.written > MAX_ALIAS_EXPANSION) {
    return {
      problems: [
        {
          location: start,
          message: `aliases (*name) expand this file to more than ${MAX_ALIAS_EXPANSION} values beyond the ${shape.written} written (an "alias bomb"); use fewer nested aliases`,
        },
      ],
    };
  }
  let tagged: TaggedPath[] = [];
  // block-yaml.ts declines tags, so only js-yaml's data can hold them.
  if (mayHaveOverrideTags(text)) ({ data, tagged } = extractTags(data));
  // Positions are needed only to report a problem or a warning, so they are worked out on first use
  // by parsing again with js-yaml's listener: a valid project never pays for them.
  let located: Pick<WrittenFile, "positions" | "decimalIntegers"> | undefined;
  const locate = () => (located ??= positionsOf(file, text));
  const written: WrittenFile = {
    file,
    text,
    get positions() {
      return locate().positions;
    },
    get decimalIntegers() {
      return locate().decimalIntegers;
    },
  };
  return { parsed: { data: data ?? null, written, tagged }, problems: [] };
}

function tooDeep(file: string, location: Location): Problem {
  return {
    location,
    message: `mappings and lists nest more than ${MAX_NESTING} levels deep here; a compose file needs about ten`,
  };
}

/** Where `path` was written, if the positions can be worked out (they cannot past js-yaml's stack). */
function locateSafely(file: string, text: string, path: string): Location | undefined {
  try {
    return positionsOf(file, text).positions.get(path);
  } catch {
    return undefined;
  }
}

/**
 * Counts the values of `data` as written (each shared mapping or list once) and as every later
 * stage sees them (a shared one once per alias), stopping as soon as either limit is passed, and
 * finds the first path nested deeper than MAX_NESTING. Shared values exist only with aliases.
 */
function measure(data: unknown, aliases: boolean): { written: number; expanded: number; deeper?: string } {
  const sizes = aliases ? new Map<object, number>() : undefined;
  let written = 0;
  let deeper: string | undefined;
  const limit = MAX_ALIAS_EXPANSION;
  // One path, grown and shrunk on the way: it is spelled out only for a value nested too deep.
  const trail: (string | number)[] = [];
  // The expanded size of `value`; past the limit the exact figure no longer matters.
  const visit = (value: unknown, depth: number): number => {
    if (value === null || typeof value !== "object") {
      written++;
      return 1;
    }
    const known = sizes?.get(value);
    if (known !== undefined) return known;
    written++;
    if (depth > MAX_NESTING) {
      deeper ??= trail.reduce<string>(
        (path, segment) =>
          typeof segment === "number" ? `${path}[${segment}]` : path === "" ? segment : `${path}.${segment}`,
        "",
      );
      return 1;
    }
    let size = 1;
    const add = (segment: string | number, child: unknown): boolean => {
      trail.push(segment);
      size += visit(child, depth + 1);
      trail.pop();
      return deeper === undefined && size - written <= limit;
    };
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) if (!add(index, value[index])) break;
    } else {
      for (const key in value) if (!add(key, (value as Record<string, unknown>)[key])) break;
    }
    sizes?.set(value, size);
    return size;
  };
  const expanded = visit(data, 0);
  return deeper === undefined ? { written, expanded } : { written, expanded, deeper };
}

function positionsOf(file: string, text: string): Pick<WrittenFile, "positions" | "decimalIntegers"> {
  const stack: NodeEvent[] = [];
  let root: NodeEvent | undefined;
  jsYaml.load(text, {
    schema: COMPOSE_YAML_SCHEMA,
    json: false,
    listener(event, state) {
      if (event === "open") {
        stack.push({ offset: state.position, kind: null, result: undefined, children: [] });
        return;
      }
      const node = stack.pop()!;
      node.kind = state.kind;
      node.result = state.result;
      const parent = stack.at(-1);
      if (parent) parent.children.push(node);
      else root = node;
    },
  });
  const lines = lineStarts(text);
  const locate = (offset: number): Location => {
    const at = firstNonBlank(text, offset);
    const line = lineOf(lines, at);
    return { file, line: line + 1, column: at - lines[line]! + 1 };
  };
  const positions = new Map<string, Location>();
  const decimalIntegers = new Set<string>();
  if (root) record(collapse(root), "", undefined, { text, positions, decimalIntegers, locate });
  return { positions, decimalIntegers };
}

function yamlProblem(file: string, error: jsYaml.YAMLException): Problem {
  const mark = error.mark;
  const reason = error.reason ?? "invalid YAML";
  let message = `invalid YAML: ${reason}`;
  if (/nesting exceeded maxDepth/.test(reason)) return tooDeep(file, problemLocation(file, mark));
  const tag = /^unknown tag !<(.*)>$/.exec(reason)?.[1];
  if (tag !== undefined) {
    message = `unknown YAML tag "${tag}"; Compose files know !reset and !override (and the core tags such as !!str)`;
  } else if (/duplicated mapping key/.test(reason)) {
    const line = mark ? ((error.mark.buffer ?? "").split("\n")[mark.line] ?? "") : "";
    const key = /^\s*(?:-\s+)?["']?([^"':]+)["']?\s*:/.exec(line)?.[1];
    message = `duplicate key${key ? ` "${key}"` : ""}: each key may appear once in a mapping`;
  }
  return { location: problemLocation(file, mark), message };
}

function problemLocation(file: string, mark: jsYaml.YAMLException["mark"] | undefined): Location {
  return mark ? { file, line: mark.line + 1, column: mark.column + 1 } : { file, line: 1, column: 1 };
}

// js-yaml reports a block sequence entry (and some values) twice: an outer node wrapping the inner
// one with the same result. Keep the inner one, whose offset is where the value is written.
function collapse(node: NodeEvent): NodeEvent {
  let current = node;
  while (
    current.children.length === 1 &&
    current.children[0]!.result === current.result &&
    current.children[0]!.kind === current.kind
  ) {
    current = current.children[0]!;
  }
  return current;
}

interface Recorder {
  text: string;
  positions: Map<string, Location>;
  decimalIntegers: Set<string>;
  locate: (offset: number) => Location;
}

/** Records `node` at `key` (a path as formatPath writes it, built as we descend: this runs per node). */
function record(node: NodeEvent, key: string, keyOffset: number | undefined, recorder: Recorder): void {
  // A collection is easiest to find by its key, and so is an empty value (js-yaml places it where
  // the next line starts); a scalar by its value.
  const byKey = node.kind === "mapping" || node.kind === "sequence" || node.result === null;
  recorder.positions.set(key, recorder.locate(byKey && keyOffset !== undefined ? keyOffset : node.offset));
  if (node.kind === "scalar" && typeof node.result === "number") {
    const at = firstNonBlank(recorder.text, node.offset);
    if (/^[1-9][0-9]*(?![0-9_.eExXoO])/.test(recorder.text.slice(at, at + 24)))
      recorder.decimalIntegers.add(key);
  }
  if (node.kind === "mapping") {
    const children = node.children.map(collapse);
    for (let i = 0; i + 1 < children.length; i += 2) {
      const keyNode = children[i]!;
      const name = keyNode.result;
      if (name === "<<" || (typeof name !== "string" && typeof name !== "number")) continue;
      record(children[i + 1]!, key === "" ? String(name) : `${key}.${name}`, keyNode.offset, recorder);
    }
  } else if (node.kind === "sequence") {
    node.children
      .map(collapse)
      .forEach((child, index) => record(child, `${key}[${index}]`, undefined, recorder));
  }
}

function lineStarts(text: string): number[] {
  const starts: number[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    starts.push(offset);
    offset += line.length + 1;
  }
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Skips the spaces, tabs, `- `, `: ` and comments js-yaml reports before a node's content. */
function firstNonBlank(text: string, offset: number): number {
  let i = offset;
  while (i < text.length) {
    const char = text[i];
    if (char === " " || char === "\t" || char === "\n" || char === "\r") i++;
    else if (char === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else break;
  }
  return i;
}
