// What `composec check` reports: findings, each of one rule, at one place in the project's files.
import type { Location } from "../errors.js";

export type Severity = "error" | "warning" | "note";

/** Severities from the most to the least serious; `--severity` keeps those at or above one. */
export const SEVERITIES: readonly Severity[] = ["error", "warning", "note"];

/** Whether `severity` is at least as serious as `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** One thing found. `message` never holds a value: only a masked preview (see mask.ts). */
export interface Finding {
  rule: string;
  severity: Severity;
  location: Location;
  /**
   * The place in words that stay put when lines move: a compose path (`services.web.environment.X`),
   * or a file and an instruction (`api/Dockerfile ENV TOKEN`). With the rule and the file it makes
   * the fingerprint, so it never holds a value.
   */
  where: string;
  message: string;
  /** Set when an inline comment or `x-composec-check` suppressed it. */
  suppressed?: { kind: "inline" | "config"; reason: string };
}

/** A finding as the renderers get it: with its fingerprint and its path as shown to the user. */
export interface ReportedFinding extends Finding {
  fingerprint: string;
  /** The file relative to the directory the report is for (else absolute). */
  file: string;
}
