// A quick reader for the YAML most compose files are written in: block mappings and lists, one
// scalar per line (plain, single- or double-quoted) and one-line lists like `["CMD", "true"]`. It
// gives the same data js-yaml would, or declines (undefined) and js-yaml reads the file instead.
//
// Why: `config` on a large project is mostly start-up, and js-yaml, which looks at a file one
// character at a time, runs as unoptimised JavaScript in a short-lived process (about 30 ms for
// 200 services). Here each line is taken apart by a few regular expressions, which V8 runs as
// machine code from the start.
//
// What must stay true: for every text it accepts, the result equals js-yaml's with
// COMPOSE_YAML_SCHEMA (block-yaml.test.ts compares the two on a corpus and on generated variants).
// So it declines anything it does not fully read: anchors, aliases, tags, merge keys, block
// scalars, flow mappings, multi-line scalars, several documents, directives, tabs, CRs, a key
// written twice (js-yaml reports it), a key that reads as a number, null or boolean. Positions for
// messages still come from js-yaml, parsing again only when a problem is reported.

/** What a plain scalar reads as under the compose schema: null, a boolean, a number or the text. */
export type PlainScalar = (text: string) => unknown;

type Collection = Record<string, unknown> | unknown[];

/** A mapping or list being filled, and the column its entries start at. */
interface Open {
  indent: number;
  value: Collection;
}

/**
 * A key whose line ended without a value (`secrets:`). The next line decides: deeper means a
 * mapping or list there, a dash at the key's own column a list (compose files write `secrets:` then
 * `- a` at the same column), anything else leaves the value null.
 */
interface Pending {
  mapping: Record<string, unknown>;
  key: string;
  indent: number;
}

const DECLINE = Symbol("decline");

// Whole-file features this reader never takes, checked once instead of per line: tabs, CRs and
// the other line breaks (js-yaml's own rules for them), control characters and surrogates (which
// js-yaml refuses or checks), Unicode spaces (js-yaml keeps them where trimEnd() would not), a byte
// order mark, document markers and directives, and a run of 40 spaces inside a line (the patterns
// below backtrack over such runs, quadratic on a long one; indentation is not inside a line).
const DECLINED_ANYWHERE =
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ud800-\udfff\ufeff\ufffe\uffff]|^(?:---|\.\.\.|%)|[^ \n] {40}/m;
// js-yaml refuses nesting deeper than 100 collections (counting in its own way); well below that,
// a file is left to it.
const MAX_DEPTH = 90;
// A line: its indent, an optional list dash (with the spaces after it), an optional mapping key
// with its colon and the spaces after it, then the rest (the value, a comment or nothing). A key is
// double-quoted, single-quoted or plain; a plain key ends at the first `: ` (or a colon ending the
// line): a `:` inside (`a:b`) belongs to the key, as in YAML.
const LINE =
  /^( *)(-(?: +|$))?(?:(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"[\]{},&*!|>%@`?:-](?:[^:#]|:(?! |$)|(?<! )#)*)) *:(?: +|$))?(.*)$/;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\.)*)" *(?:#.*)?$/;
const SINGLE_QUOTED = /^'((?:[^']|'')*)' *(?:#.*)?$/;
// A plain scalar: no indicator first, and no `: ` or ` #` inside (the comment is cut off before).
const PLAIN = /^[^\s#'"[\]{},&*!|>%@`?:-](?:[^:]|:(?! |$))*$/;
const PLAIN_DASH = /^-(?=\S)(?:[^:]|:(?! |$))*$/;
const COMMENT = / +#.*$/;
const EMPTY_FLOW_MAPPING = /^\{\} *(?:#.*)?$/;
const EMPTY_FLOW_LIST = /^\[ *\] *(?:#.*)?$/;
const NOTHING_MORE = /^ *(?:#.*)?$/;
// One item of a one-line list: quoted, or plain without flow indicators.
const FLOW_ITEM =
  / *(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|((?:-(?=[^\s,[\]{}])|[^\s,[\]{}#&*!|>'"%@`?:-])[^,[\]{}#]*?)) *(,|\])/y;
// An escape JSON does not read as YAML does: a double-quoted scalar with one is left to js-yaml.
const NON_JSON_ESCAPE = /\\(?:[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4}))/;

/** The data of `text`, or undefined when it holds anything this reader leaves to js-yaml. */
export function readBlockYaml(text: string, plainScalar: PlainScalar): unknown {
  if (DECLINED_ANYWHERE.test(text)) return undefined;
  try {
    return read(text, plainScalar);
  } catch (error) {
    if (error === DECLINE) return undefined;
    throw error;
  }
}

function decline(): never {
  throw DECLINE;
}

function read(text: string, plainScalar: PlainScalar): unknown {
  const lines = text.split("\n");
  const root: Record<string, unknown> = {};
  const stack: Open[] = [];
  let pending: Pending | undefined;

  for (let index = 0; index < lines.length; index++) {
    const match = LINE.exec(lines[index]!)!;
    const indent = match[1]!.length;
    const dash = match[2];
    const hasKey = match[3] !== undefined || match[4] !== undefined || match[5] !== undefined;
    const rest = match[6]!;
    // Blank lines and comment lines are nothing, at any indent.
    if (dash === undefined && !hasKey && isNothing(rest)) continue;

    if (pending) {
      const { mapping, key } = pending;
      if (indent > pending.indent || (dash !== undefined && indent === pending.indent)) {
        const child: Collection = dash !== undefined ? [] : {};
        mapping[key] = child;
        if (stack.length >= MAX_DEPTH) decline();
        stack.push({ indent, value: child });
      } else {
        mapping[key] = null;
      }
      pending = undefined;
    } else if (stack.length === 0) {
      if (indent !== 0 || dash !== undefined) decline();
      stack.push({ indent: 0, value: root });
    }

    // Close what this line's indent ends. A list written at its key's column (`secrets:` then
    // `- a`) ends at the next line of that column that is not a dash.
    let open = stack[stack.length - 1]!;
    while (
      indent < open.indent ||
      (indent === open.indent && Array.isArray(open.value) && dash === undefined)
    ) {
      stack.pop();
      if (stack.length === 0) decline();
      open = stack[stack.length - 1]!;
    }
    if (indent !== open.indent) decline();

    if (dash !== undefined) {
      if (!Array.isArray(open.value)) decline();
      const list = open.value;
      if (!hasKey) {
        // An empty item (`-` alone): js-yaml reads what follows it in ways of its own (a dash at
        // the outer list's column can land in the inner one), so those files are its to read.
        if (isNothing(rest)) decline();
        list.push(scalar(rest, plainScalar));
        continue;
      }
      // `- source: a`: a mapping opens at the key's column, holding this first entry.
      const column = indent + dash.length;
      const mapping: Record<string, unknown> = {};
      list.push(mapping);
      if (stack.length >= MAX_DEPTH) decline();
      stack.push({ indent: column, value: mapping });
      pending = entry(mapping, keyOf(match, plainScalar), rest, column, plainScalar);
      continue;
    }

    if (Array.isArray(open.value) || !hasKey) decline();
    pending = entry(open.value, keyOf(match, plainScalar), rest, indent, plainScalar);
  }
  if (pending) pending.mapping[pending.key] = null;
  return stack.length === 0 ? decline() : root;
}

/** Sets `key` to the value written after its colon, or leaves it pending when there is none. */
function entry(
  mapping: Record<string, unknown>,
  key: string,
  rest: string,
  indent: number,
  plainScalar: PlainScalar,
): Pending | undefined {
  // `in` also sees Object.prototype's names (`constructor`, `toString`): those keys are declined too.
  if (key in mapping) decline();
  if (isNothing(rest)) return { mapping, key, indent };
  mapping[key] = scalar(rest, plainScalar);
  return undefined;
}

/** The key of a LINE match that has one. */
function keyOf(match: RegExpExecArray, plainScalar: PlainScalar): string {
  // Indexed, not destructured: destructuring walks an iterator, garbage on every line of a file.
  const doubleQuotedKey = match[3];
  const singleQuotedKey = match[4];
  const plainKey = match[5];
  const key =
    doubleQuotedKey !== undefined
      ? doubleQuoted(doubleQuotedKey)
      : singleQuotedKey !== undefined
        ? singleQuoted(singleQuotedKey)
        : plainKey!.trimEnd();
  // `__proto__` is special to objects; a plain `<<` merges (js-yaml's to do), and `8080:` or
  // `true:` read as other types that js-yaml turns back into text: all left to js-yaml.
  if (key === "__proto__") decline();
  if (plainKey !== undefined && (key === "<<" || typeof plainScalar(key) !== "string")) decline();
  return key;
}

/** The value written after a key or a dash: one line, nothing that continues on the next. */
function scalar(rest: string, plainScalar: PlainScalar): unknown {
  const first = rest.charCodeAt(0);
  if (first === 34 /* " */) {
    const match = DOUBLE_QUOTED.exec(rest);
    return match ? doubleQuoted(match[1]!) : decline();
  }
  if (first === 39 /* ' */) {
    const match = SINGLE_QUOTED.exec(rest);
    return match ? singleQuoted(match[1]!) : decline();
  }
  if (first === 91 /* [ */) return flowList(rest, plainScalar);
  if (first === 123 /* { */ && EMPTY_FLOW_MAPPING.test(rest)) return {};
  const plain = rest.includes(" #") ? rest.replace(COMMENT, "") : rest;
  if (!(first === 45 /* - */ ? PLAIN_DASH : PLAIN).test(plain)) decline();
  // A plain scalar ends with the line's last non-space; `#` right after a word is part of it.
  return plainScalar(plain.trimEnd());
}

/** `["CMD", "true"]` or `[a, b]` on one line. */
function flowList(rest: string, plainScalar: PlainScalar): unknown[] {
  const items: unknown[] = [];
  if (EMPTY_FLOW_LIST.test(rest)) return items;
  FLOW_ITEM.lastIndex = 1;
  for (;;) {
    const match = FLOW_ITEM.exec(rest);
    if (!match) decline();
    if (match[1] !== undefined) items.push(doubleQuoted(match[1]));
    else if (match[2] !== undefined) items.push(singleQuoted(match[2]));
    else {
      const plain = match[3]!.trimEnd();
      if (plain.includes(": ") || plain.endsWith(":")) decline();
      items.push(plainScalar(plain));
    }
    if (match[4] === "]") break;
  }
  if (!NOTHING_MORE.test(rest.slice(FLOW_ITEM.lastIndex))) decline();
  return items;
}

/** What is left of a line after its key or dash is no value: nothing, or a comment. */
function isNothing(rest: string): boolean {
  return rest === "" || rest.startsWith("#");
}

function singleQuoted(inner: string): string {
  return inner.replaceAll("''", "'");
}

function doubleQuoted(inner: string): string {
  if (!inner.includes("\\")) return inner;
  if (NON_JSON_ESCAPE.test(inner)) decline();
  try {
    return JSON.parse(`"${inner}"`) as string;
  } catch {
    return decline();
  }
}
