// High-confidence credential patterns and credential-like names. Each pattern is narrow on purpose
// (a prefix the issuer documents, a fixed length or alphabet): a check that cries wolf gets turned
// off, so false positives matter more than coverage.

export interface PatternMatch {
  rule: "CS002" | "CS003" | "CS004" | "CS005";
  /** What kind of credential, for the message. */
  kind: string;
  /** The credential found (for the masked preview only). */
  value: string;
}

interface Pattern {
  rule: PatternMatch["rule"];
  kind: string;
  regex: RegExp;
  /** Values of this shape that are documented examples or test keys, not credentials. */
  exclude?: RegExp;
}

const PATTERNS: Pattern[] = [
  {
    rule: "CS002",
    kind: "private key",
    regex: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----/,
  },
  {
    rule: "CS003",
    kind: "AWS access key id",
    regex: /(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])/,
    // AWS's own documentation uses keys ending in EXAMPLE.
    exclude: /EXAMPLE$/,
  },
  {
    rule: "CS003",
    kind: "AWS secret access key",
    regex: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/i,
    exclude: /EXAMPLEKEY$/,
  },
  {
    rule: "CS003",
    kind: "Google API key",
    regex: /(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/,
  },
  {
    rule: "CS004",
    kind: "GitHub token",
    regex: /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])/,
  },
  {
    rule: "CS004",
    kind: "GitLab token",
    regex: /(?<![A-Za-z0-9_-])(glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/,
  },
  { rule: "CS004", kind: "Slack token", regex: /(?<![A-Za-z0-9-])(xox[abposr]-[0-9]{8,}-[A-Za-z0-9-]{8,})/ },
  { rule: "CS004", kind: "Stripe live key", regex: /(?<![A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{24,})/ },
  { rule: "CS004", kind: "npm token", regex: /(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/ },
  {
    rule: "CS004",
    kind: "SendGrid key",
    regex: /(?<![A-Za-z0-9])(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/,
  },
];

// scheme://user:password@host; the password stops at the first `@`, `/` or blank.
const CONNECTION = /\b([a-z][a-z0-9+.-]*):\/\/([^:@/\s"']+):([^@/\s"']+)@[^\s/"'@]+/gi;
// Stand-ins that say "a password goes here": not a leaked one.
const PLACEHOLDER = /^(?:\*+|x+|\.\.\.|<[^>]*>|\[[^\]]*\]|%[a-z_]*%?|password|changeme|secret|pass)$/i;
const INTERPOLATION = /\$(?:\{|[A-Za-z_])/;

/** The credentials this text holds, by pattern: at most one match per pattern. */
export function findCredentials(text: string): PatternMatch[] {
  const found: PatternMatch[] = [];
  for (const pattern of PATTERNS) {
    const match = pattern.regex.exec(text);
    if (!match) continue;
    const value = pattern.rule === "CS002" ? match[0] : (match[1] ?? match[0]);
    if (pattern.exclude?.test(value)) continue;
    found.push({ rule: pattern.rule, kind: pattern.kind, value });
  }
  for (const match of text.matchAll(CONNECTION)) {
    const password = match[3]!;
    if (INTERPOLATION.test(password) || PLACEHOLDER.test(password)) continue;
    found.push({ rule: "CS005", kind: `${match[1]!.toLowerCase()} connection string`, value: password });
    break;
  }
  return found;
}

const CREDENTIAL_NAME =
  /(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|AUTH_?KEY|CREDENTIALS?)/i;
// Names that hold something about a credential, not the credential: where it is, how long it
// lives, whether it is on.
const NOT_A_VALUE =
  /(?:_FILE|_PATH|_DIR|_URL|_URI|_ENDPOINT|_HOST|_PORT|_TTL|_TIMEOUT|_EXPIRY|_EXPIRES|_EXPIRATION|_LENGTH|_LEN|_SIZE|_ENABLED|_DISABLED|_REQUIRED|_MIN|_MAX|_ID|_NAME|_TYPE|_HEADER|_ALGORITHM|_ALG|_VERSION|_POLICY|_FORMAT|_METHOD|_MODE)$/i;

/** Whether a variable's name says it holds a credential (`DB_PASSWORD`, `NPM_TOKEN`, not `TOKEN_URL`). */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !NOT_A_VALUE.test(name);
}

/** Whether a value written for a credential-named variable looks like a real literal credential. */
export function isLiteralCredentialValue(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed.length < 4) return false;
  if (/^(?:true|false|yes|no|on|off|null|none)$/i.test(trimmed)) return false;
  if (/^[0-9]+$/.test(trimmed)) return false;
  // A path (a file that holds the credential), not the credential.
  if (/^(?:\/|\.\/|\.\.\/|~\/)/.test(trimmed)) return false;
  return !INTERPOLATION.test(trimmed);
}

/** Whether the text as written takes its value from a variable (`${X}`, `$X`). */
export function isInterpolated(written: string): boolean {
  return INTERPOLATION.test(written.replace(/\$\$/g, ""));
}
