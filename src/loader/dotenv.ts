// `.env` and `env_file` parsing, as Compose reads them.
import { interpolateString, InterpolationError, type Lookup } from "./interpolate.js";

export interface DotenvProblem {
  line: number;
  message: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses env-file text: `KEY=value`, optional `export `, `#` comments, single quotes (literal),
 * double quotes (escapes, may span lines) and unquoted values (trimmed, ` #` starts a comment).
 * Values in double quotes or unquoted are interpolated from earlier keys, then `lookup`.
 */
export function parseDotenv(
  text: string,
  lookup: Lookup = () => undefined,
): { values: Map<string, string>; problems: DotenvProblem[] } {
  const values = new Map<string, string>();
  const problems: DotenvProblem[] = [];
  const resolve: Lookup = (name) => values.get(name) ?? lookup(name);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const body = line.replace(/^export\s+/, "");
    const equals = body.indexOf("=");
    if (equals < 0) {
      // The line may hold a value meant to be secret: quote no part of it.
      problems.push({ line: lineNumber, message: "this line is not KEY=VALUE (nor a comment)" });
      continue;
    }
    const key = body.slice(0, equals).trim();
    if (!KEY.test(key)) {
      problems.push({
        line: lineNumber,
        message:
          'the name before "=" is not a valid variable name; use letters, digits and _ (not starting with a digit)',
      });
      continue;
    }
    let raw = body.slice(equals + 1).trimStart();
    const quote = raw[0];
    try {
      if (quote === "'" || quote === '"') {
        // A quoted value may continue over the following lines until its closing quote.
        let closing = findClosingQuote(raw, quote);
        while (closing < 0 && index + 1 < lines.length) {
          index++;
          raw += "\n" + lines[index]!;
          closing = findClosingQuote(raw, quote);
        }
        if (closing < 0) {
          problems.push({ line: lineNumber, message: `the value of ${key} has no closing ${quote}` });
          continue;
        }
        const inner = raw.slice(1, closing);
        const after = raw.slice(closing + 1).trim();
        if (after !== "" && !after.startsWith("#")) {
          problems.push({
            line: lineNumber,
            message: `unexpected text after the closing quote of the value of ${key}`,
          });
          continue;
        }
        values.set(key, quote === "'" ? inner : interpolateString(unescapeDouble(inner), resolve));
      } else {
        const comment = raw.search(/\s#/);
        const value = (comment >= 0 ? raw.slice(0, comment) : raw).trim();
        values.set(key, interpolateString(value, resolve));
      }
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      // The full message quotes the text, which here is a value: say only what went wrong.
      problems.push({ line: lineNumber, message: `the value of ${key} ${error.reason}` });
    }
  }
  return { values, problems };
}

function findClosingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\" && quote === '"') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(text: string): string {
  return text.replace(/\\(.)/g, (_, char: string) => {
    switch (char) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      default:
        return char;
    }
  });
}
