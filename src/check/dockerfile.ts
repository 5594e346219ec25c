// The Dockerfile instructions `check` looks at, read with dockerfile-ast (the parser behind the
// Docker language server): ENV and ARG with their names and values, RUN's text, COPY and ADD
// sources. Lines are 1-based here, as everywhere else in composec.
import type * as dockerfileAst from "dockerfile-ast";
import { lazyRequire } from "../lazy-require.js";

// Loaded when a build is checked, not when `check` (or `up`'s hint) starts.
const parser = lazyRequire<typeof dockerfileAst>("dockerfile-ast");

export interface DockerInstruction {
  keyword: "ENV" | "ARG" | "RUN" | "COPY" | "ADD";
  line: number;
  column: number;
  /** ENV and ARG: each `name=value` (value undefined for `ARG NAME`), with its own line. */
  properties: { name: string; value: string | undefined; line: number; column: number }[];
  /** The instruction's arguments as written (RUN's command line). */
  text: string;
  /** COPY and ADD: source paths (not from another stage or image: `--from` is dropped). */
  sources: string[];
}

const WANTED = new Set(["ENV", "ARG", "RUN", "COPY", "ADD"]);

/** The ENV/ARG/RUN/COPY/ADD instructions of a Dockerfile's text. */
export function readDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  for (const instruction of parser().DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    if (!WANTED.has(keyword)) continue;
    const range = instruction.getRange();
    const base = {
      keyword: keyword as DockerInstruction["keyword"],
      line: range.start.line + 1,
      column: range.start.character + 1,
      text: instruction.getArgumentsContent() ?? "",
      properties: [] as DockerInstruction["properties"],
      sources: [] as string[],
    };
    if (keyword === "ENV" || keyword === "ARG") {
      const withProperties = instruction as unknown as {
        getProperties(): {
          getName(): string;
          getValue(): string | null;
          getNameRange(): { start: { line: number; character: number } };
        }[];
      };
      for (const property of withProperties.getProperties()) {
        const at = property.getNameRange().start;
        const value = property.getValue();
        base.properties.push({
          name: property.getName(),
          value: value ?? undefined,
          line: at.line + 1,
          column: at.character + 1,
        });
      }
    }
    if (keyword === "COPY" || keyword === "ADD") {
      const flags = (instruction as unknown as { getFlags?(): { getName(): string }[] }).getFlags?.() ?? [];
      if (flags.some((flag) => flag.getName() === "from")) {
        out.push(base);
        continue;
      }
      const words = instruction
        .getArguments()
        .map((argument) => argument.getValue())
        .filter((word) => !word.startsWith("--"));
      // The JSON form (`COPY ["a", "b", "/dst/"]`) and the plain one; the last word is the target.
      const json = /^\s*\[/.test(base.text) ? parseJsonList(base.text) : undefined;
      const list = json ?? words;
      base.sources = list.slice(0, -1);
    }
    out.push(base);
  }
  return out;
}

function parseJsonList(text: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text.trim());
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}
