// OpenSSH's known_hosts, as far as checking a host key needs it (sshd(8) "SSH_KNOWN_HOSTS FILE
// FORMAT"): a line is `[marker] patterns keytype base64-key [comment]`; patterns are
// comma-separated names with `*`/`?` wildcards and `!` negation, `[host]:port` for a port other
// than 22, or one hashed name `|1|salt|hmac-sha1(salt, name)`. Pure: the file's text is passed in.
import { createHmac } from "node:crypto";

/** What known_hosts says about a host key the server presented. */
export type HostKeyVerdict =
  | { kind: "known" }
  /** The host is listed with other keys: changed (or a man in the middle). */
  | { kind: "changed"; file: string; line: number }
  | { kind: "revoked"; file: string; line: number }
  | { kind: "unknown" };

interface Entry {
  file: string;
  line: number;
  marker?: string;
  patterns: string;
  keyType: string;
  key: string;
}

function parse(file: string, text: string): Entry[] {
  const entries: Entry[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith("@") ? fields.shift() : undefined;
    if (fields.length < 3) return;
    entries.push({
      file,
      line: index + 1,
      ...(marker !== undefined ? { marker } : {}),
      patterns: fields[0]!,
      keyType: fields[1]!,
      key: fields[2]!,
    });
  });
  return entries;
}

/** The name known_hosts lists a host under: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(name);
}

function matchesHost(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) {
    const [, , salt, hash] = patterns.split("|");
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return digest === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(",")) {
    if (pattern.startsWith("!")) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key types known_hosts lists for the host (to offer the server only those algorithms). */
export function knownKeyTypes(files: { file: string; text: string }[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = new Set<string>();
  for (const { file, text } of files) {
    for (const entry of parse(file, text)) {
      if (entry.marker === undefined && matchesHost(entry.patterns, name)) types.add(entry.keyType);
    }
  }
  return [...types];
}

/** Checks `key` (the server's host key blob) of `host:port` against known_hosts files. */
export function checkHostKey(
  files: { file: string; text: string }[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const presented = key.toString("base64");
  let known = false;
  let other: { file: string; line: number } | undefined;
  for (const { file, text } of files) {
    for (const entry of parse(file, text)) {
      if (!matchesHost(entry.patterns, name)) continue;
      if (entry.marker === "@revoked") {
        if (entry.key === presented) return { kind: "revoked", file, line: entry.line };
        continue;
      }
      // Certificate authorities sign host certificates, which composec does not ask for.
      if (entry.marker !== undefined) continue;
      if (entry.key === presented) known = true;
      else other ??= { file, line: entry.line };
    }
  }
  if (known) return { kind: "known" };
  return other ? { kind: "changed", ...other } : { kind: "unknown" };
}
