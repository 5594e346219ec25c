// Suppressions: a `# composec-ignore RULE reason` comment on the finding's line (or alone on the
// line above it), and `x-composec-check: {ignore: [...]}` entries in the compose file. A
// suppression that matches nothing is itself reported (CS014): it would hide a later finding.
import type { Location } from "../errors.js";
import type { Project } from "../model/project.js";
import { finding, projectRelative } from "./context.js";
import type { CheckInput } from "./input.js";
import { ruleFor } from "./rules.js";
import type { Finding } from "./types.js";

const DIRECTIVE = /#\s*composec-ignore\s+([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)(?:\s+(.*?))?\s*$/;

interface Directive {
  location: Location;
  rules: string[];
  /** Rule words that name no rule. */
  unknown: string[];
  reason: string;
  /** The line it covers besides its own: the next one, when the comment stands alone. */
  alone: boolean;
  used: boolean;
}

interface ConfigEntry {
  location: Location;
  where: string;
  rule?: string;
  unknownRule?: string;
  path?: string;
  file?: string;
  reason: string;
  used: boolean;
}

/** Marks suppressed findings and adds a CS014 finding for each suppression that matched none. */
export function applySuppressions(project: Project, input: CheckInput, findings: Finding[]): Finding[] {
  const directives = inlineDirectives(project, input);
  const entries = configEntries(project, input);
  for (const item of findings) {
    const byLine = directives.get(`${item.location.file}:${item.location.line}`);
    const above = directives.get(`${item.location.file}:${item.location.line - 1}`);
    const inline = [byLine, above?.alone ? above : undefined].find((d) => d?.rules.includes(item.rule));
    if (inline) {
      inline.used = true;
      item.suppressed = { kind: "inline", reason: inline.reason };
      continue;
    }
    const relativeFile = projectRelative(project, item.location.file);
    const entry = entries.find(
      (e) =>
        e.rule === item.rule &&
        (e.path === undefined ||
          item.where === e.path ||
          item.where.startsWith(`${e.path}.`) ||
          item.where.startsWith(`${e.path} `)) &&
        (e.file === undefined || e.file === relativeFile),
    );
    if (entry) {
      entry.used = true;
      item.suppressed = { kind: "config", reason: entry.reason };
    }
  }
  // Checking some services only, a suppression of another service's finding matched nothing
  // because that finding was not looked for: unused ones are reported on whole checks alone.
  if (input.services || input.errorsOnly) return findings;
  const unused: Finding[] = [];
  for (const directive of directives.values()) {
    if (directive.unknown.length > 0) {
      unused.push(
        finding(
          "CS014",
          directive.location,
          `composec-ignore ${directive.unknown.join(",")}`,
          `# composec-ignore names no rule: ${directive.unknown.join(", ")} (rules are CS001 to CS014, or their names)`,
        ),
      );
    }
    if (!directive.used && directive.rules.length > 0) {
      unused.push(
        finding(
          "CS014",
          directive.location,
          `composec-ignore ${directive.rules.join(",")}`,
          `# composec-ignore ${directive.rules.join(",")} suppresses nothing here`,
        ),
      );
    }
  }
  for (const entry of entries) {
    if (entry.unknownRule !== undefined) {
      unused.push(
        finding(
          "CS014",
          entry.location,
          entry.where,
          `${entry.where}: "${entry.unknownRule}" names no rule (rules are CS001 to CS014, or their names)`,
        ),
      );
    } else if (!entry.used) {
      unused.push(
        finding("CS014", entry.location, entry.where, `${entry.where} (${entry.rule}) suppresses nothing`),
      );
    }
  }
  return [...findings, ...unused];
}

/** Every compose file the project was loaded from, with its text. */
function composeTexts(project: Project, input: CheckInput): Map<string, string> {
  const texts = new Map<string, string>();
  const add = (file: string) => {
    const written = input.sources.written(file);
    if (written) texts.set(file, written.text);
  };
  for (const file of project.composeFiles) add(file === "-" ? "<stdin>" : file);
  for (const object of [...Object.values(project.services), ...Object.values(project.secrets)]) {
    for (const origin of input.sources.originsOf(object)) if (!texts.has(origin.file)) add(origin.file);
  }
  return texts;
}

function inlineDirectives(project: Project, input: CheckInput): Map<string, Directive> {
  const directives = new Map<string, Directive>();
  const texts = new Map([...composeTexts(project, input), ...input.texts]);
  for (const [file, text] of texts) {
    if (!text.includes("composec-ignore")) continue;
    text.split("\n").forEach((raw, index) => {
      const match = DIRECTIVE.exec(raw);
      if (!match) return;
      const words = match[1]!.split(/\s*,\s*/);
      const rules = words.map((word) => ruleFor(word)?.id).filter((id): id is string => id !== undefined);
      directives.set(`${file}:${index + 1}`, {
        location: { file, line: index + 1, column: raw.indexOf("#") + 1 },
        rules,
        unknown: words.filter((word) => ruleFor(word) === undefined),
        reason: match[2] ?? "",
        alone: /^\s*#/.test(raw),
        used: false,
      });
    });
  }
  return directives;
}

function configEntries(project: Project, input: CheckInput): ConfigEntry[] {
  const config = project.extensions["x-composec-check"];
  const ignore = config && typeof config === "object" ? (config as { ignore?: unknown }).ignore : undefined;
  if (!Array.isArray(ignore)) return [];
  const files = [...composeTexts(project, input).keys()];
  return ignore.map((raw, index) => {
    const path = ["x-composec-check", "ignore", index];
    const location = files
      .map((file) => input.sources.written(file)?.positions.get(`x-composec-check.ignore[${index}]`))
      .find((found) => found !== undefined) ?? { file: files[0] ?? project.workingDir, line: 1, column: 1 };
    const entry = typeof raw === "string" ? { rule: raw } : ((raw ?? {}) as Record<string, unknown>);
    const ruleWord = typeof entry.rule === "string" ? entry.rule : "";
    const known = ruleFor(ruleWord);
    return {
      location,
      where: `${path[0]}.${path[1]}[${index}]`,
      ...(known ? { rule: known.id } : { unknownRule: ruleWord }),
      ...(typeof entry.path === "string" ? { path: entry.path } : {}),
      ...(typeof entry.file === "string" ? { file: entry.file } : {}),
      reason: typeof entry.reason === "string" ? entry.reason : "",
      used: false,
    };
  });
}
