// The canonical project as YAML text, for `composec config`. The document is plain data (mappings,
// lists, strings, numbers, booleans, null), so a small writer does it: a general YAML dumper spends
// most of its time on a cold start asking every string which of its schema's types could claim it,
// and `config` on a large project is mostly start-up.
//
// A string is written plain only when it is unambiguous: it starts like a word or a path, holds no
// YAML indicator, and would not read back as anything but a string, also under YAML 1.1 (`yes`,
// `22:22`) and go-yaml's octal (`0400`), since docker-compose and compose-go read what we print.
// Everything else is double-quoted; JSON's string escapes are valid in YAML's double quotes.

const PLAIN = /^[A-Za-z0-9_./~][\w./~@+=,:-]*(?: [\w./~@+=,:-]+)*$/;
const NUMBER_LIKE =
  /^[-+]?(?:\d[\d_]*(?::[0-5]?\d)*(?:\.[\d_]*)?|\.\d[\d_]*|0x[\da-f_]+|0o[0-7_]+|\.inf|\.nan)(?:e[-+]?\d+)?$/i;
const KEYWORD = /^(?:~|null|true|false|yes|no|on|off|y|n)$/i;

/** `value` as a block-style YAML document, ending with a newline. */
export function toYamlText(value: unknown): string {
  const lines: string[] = [];
  if (isMapping(value) || Array.isArray(value)) writeCollection(value, "", lines);
  else lines.push(scalar(value));
  return `${lines.join("\n")}\n`;
}

function writeCollection(value: Record<string, unknown> | unknown[], indent: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) writeEntry(`${indent}- `, item, `${indent}  `, lines);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) writeEntry(`${indent}${scalar(key)}:`, item, `${indent}  `, lines, true);
  }
}

/**
 * One mapping entry (`head` is `key:`) or list item (`head` is `- `). A non-empty collection under a
 * key goes on the following lines; under a list dash, its first line shares the dash's line.
 */
function writeEntry(head: string, item: unknown, inner: string, lines: string[], isKey = false): void {
  const collection = isMapping(item) || Array.isArray(item);
  if (!collection || isEmpty(item)) {
    lines.push(
      `${head}${isKey ? " " : ""}${collection ? (Array.isArray(item) ? "[]" : "{}") : scalar(item)}`,
    );
    return;
  }
  if (isKey) {
    lines.push(head);
    // A list under a key is indented like the key's other children, as docker compose prints it.
    writeCollection(item, inner, lines);
    return;
  }
  const start = lines.length;
  writeCollection(item, inner, lines);
  lines[start] = head + lines[start]!.slice(inner.length);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    return PLAIN.test(value) &&
      !KEYWORD.test(value) &&
      !NUMBER_LIKE.test(value) &&
      !value.endsWith(":") &&
      !value.includes(": ")
      ? value
      : JSON.stringify(value);
  }
  if (typeof value === "number")
    return Number.isFinite(value) ? String(value) : value > 0 ? ".inf" : value < 0 ? "-.inf" : ".nan";
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(String(value));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmpty(value: Record<string, unknown> | unknown[]): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.values(value).every((item) => item === undefined);
}
