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
  // Keys (`image`, `source`, `target`) and many values repeat in every service: each string's
  // written form is worked out once per document.
  const forms = new Map<string, string>();
  if (!isMapping(value) && !Array.isArray(value)) return `${scalar(value, forms)}\n`;
  return writeCollection(value, "", "", forms);
}

/**
 * The lines of a mapping or list, each ending with a newline, indented by `indent`; the first line
 * starts with `first` instead (`- ` and its indent when the collection is a list item: its first
 * line shares the dash's line). One string grows as it goes: a line array and its join would be
 * most of this stage's garbage on a large project.
 */
function writeCollection(
  value: Record<string, unknown> | unknown[],
  indent: string,
  first: string,
  forms: Map<string, string>,
): string {
  let text = "";
  let lead = first;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      text += writeEntry(`${lead}- `, value[index], inner, false, forms);
      lead = indent;
    }
    return text;
  }
  for (const key in value) {
    const item = value[key];
    if (item === undefined) continue;
    text += writeEntry(`${lead}${scalar(key, forms)}:`, item, inner, true, forms);
    lead = indent;
  }
  return text;
}

/**
 * One mapping entry (`head` is `key:`) or list item (`head` is `- `). A non-empty collection under a
 * key goes on the following lines; under a list dash, its first line shares the dash's line.
 */
function writeEntry(
  head: string,
  item: unknown,
  inner: string,
  isKey: boolean,
  forms: Map<string, string>,
): string {
  const collection = isMapping(item) || Array.isArray(item);
  if (!collection || isEmpty(item)) {
    const shown = collection ? (Array.isArray(item) ? "[]" : "{}") : scalar(item, forms);
    return `${head}${isKey ? " " : ""}${shown}\n`;
  }
  // A list under a key is indented like the key's other children, as docker compose prints it.
  if (isKey) return `${head}\n${writeCollection(item, inner, inner, forms)}`;
  return writeCollection(item, inner, head, forms);
}

function scalar(value: unknown, forms: Map<string, string>): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    let text = forms.get(value);
    if (text === undefined) {
      text =
        PLAIN.test(value) &&
        !KEYWORD.test(value) &&
        !NUMBER_LIKE.test(value) &&
        !value.endsWith(":") &&
        !value.includes(": ")
          ? value
          : JSON.stringify(value);
      forms.set(value, text);
    }
    return text;
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
  if (Array.isArray(value)) return value.length === 0;
  for (const key in value) if (value[key] !== undefined) return false;
  return true;
}
