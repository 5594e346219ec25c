// The three ways findings are printed: text for people (grouped by file, coloured on a terminal),
// JSON for scripts, SARIF 2.1.0 for code scanning. None of them is given a value to print: the
// messages hold masked previews only.
import { isAbsolute, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { COMPOSEC_VERSION } from "../version.js";
import { RULES, rule } from "./rules.js";
import type { ReportedFinding, Severity } from "./types.js";

export interface Report {
  findings: ReportedFinding[];
  /** The directory file names are shown relative to (the current directory). */
  base: string;
}

/** A file as shown: relative to `base` when inside it, else absolute. */
export function shownFile(base: string, file: string): string {
  const inside = relative(base, file);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : file;
}

const COLOURS: Record<Severity, string> = { error: "31", warning: "33", note: "36" };

/** Human text: findings grouped by file, a summary line last. */
export function renderText(report: Report, colour: boolean): string {
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const shown = report.findings.filter((item) => !item.suppressed);
  const lines: string[] = [];
  let file: string | undefined;
  for (const item of shown) {
    if (item.file !== file) {
      if (file !== undefined) lines.push("");
      file = item.file;
      lines.push(paint("1", file));
    }
    const meta = rule(item.rule);
    lines.push(
      `  ${item.location.line}:${item.location.column}  ${paint(COLOURS[item.severity], item.severity)}  ${item.rule} ${meta.name}  ${item.message}`,
      `      why: ${meta.why}`,
      `      fix: ${meta.fix}`,
    );
  }
  const count = (severity: Severity) => shown.filter((item) => item.severity === severity).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const suppressed = report.findings.length - shown.length;
  if (lines.length > 0) lines.push("");
  lines.push(
    shown.length === 0
      ? `no findings${suppressed > 0 ? ` (${suppressed} suppressed)` : ""}`
      : `${plural(count("error"), "error")}, ${plural(count("warning"), "warning")}, ${plural(count("note"), "note")}${suppressed > 0 ? ` (${suppressed} suppressed)` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** JSON: every finding (suppressed ones marked) with its rule's explanation and fingerprint. */
export function renderJson(report: Report): string {
  const findings = report.findings.map((item) => {
    const meta = rule(item.rule);
    return {
      rule: item.rule,
      name: meta.name,
      severity: item.severity,
      file: item.file,
      line: item.location.line,
      column: item.location.column,
      where: item.where,
      message: item.message,
      why: meta.why,
      fix: meta.fix,
      fingerprint: item.fingerprint,
      ...(item.suppressed ? { suppressed: item.suppressed } : {}),
    };
  });
  const active = report.findings.filter((item) => !item.suppressed);
  const summary = {
    error: active.filter((item) => item.severity === "error").length,
    warning: active.filter((item) => item.severity === "warning").length,
    note: active.filter((item) => item.severity === "note").length,
    suppressed: report.findings.length - active.length,
  };
  return `${JSON.stringify({ version: 1, findings, summary }, null, 2)}\n`;
}

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const FINGERPRINT_KEY = "composec/v1";

/**
 * SARIF 2.1.0: one run with every rule, and a result per finding. Files inside `base` are relative
 * to %SRCROOT% (the directory checked from: in CI, the repository's root); suppressed findings
 * carry an accepted `suppressions` entry, as code scanning expects.
 */
export function renderSarif(report: Report): string {
  const ruleIndex = new Map(RULES.map((meta, index) => [meta.id, index]));
  const results = report.findings.map((item) => {
    const relativeFile = !isAbsolute(item.file);
    return {
      ruleId: item.rule,
      ruleIndex: ruleIndex.get(item.rule)!,
      level: item.severity,
      message: { text: item.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: relativeFile
              ? { uri: item.file.split("\\").join("/"), uriBaseId: "%SRCROOT%" }
              : { uri: pathToFileURL(item.file).href },
            region: { startLine: item.location.line, startColumn: item.location.column },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: item.fingerprint },
      ...(item.suppressed
        ? {
            suppressions: [
              {
                kind: item.suppressed.kind === "inline" ? "inSource" : "external",
                status: "accepted",
                ...(item.suppressed.reason ? { justification: item.suppressed.reason } : {}),
              },
            ],
          }
        : {}),
    };
  });
  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "composec",
            version: COMPOSEC_VERSION,
            semanticVersion: COMPOSEC_VERSION,
            rules: RULES.map((meta) => ({
              id: meta.id,
              name: meta.name,
              shortDescription: { text: meta.title },
              fullDescription: { text: `${meta.title}: ${meta.why}.` },
              help: { text: `Fix: ${meta.fix}.` },
              defaultConfiguration: { level: meta.severity },
              properties: { tags: ["security", "secrets"] },
            })),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(`${report.base}/`).href } },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
