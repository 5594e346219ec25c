// Reads a secret the way containers receive them: from the file a `NAME_FILE` variable names (the
// `*_FILE` convention of official images), else from /run/secrets/<name>. Nothing here logs or
// prints; an error names the variable and path, never the contents.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const SECRETS_DIR = "/run/secrets";

/** Where `name` is read from: `$NAME_FILE` when set, else /run/secrets/<name>. */
export function secretPath(name, options = {}) {
  const env = options.env ?? process.env;
  const variable = fileVariable(name);
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== "") return { path: fromEnv, from: variable };
  return { path: join(options.secretsDir ?? SECRETS_DIR, name), from: SECRETS_DIR };
}

/** The secret `name` as bytes, or as text with `encoding`; one trailing newline stripped with `trim`. */
export async function readSecret(name, options = {}) {
  const { path, from } = secretPath(name, options);
  let bytes;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw notReadable(name, path, from, error);
  }
  return finish(bytes, options);
}

/** readSecret, synchronously (for configuration read at start-up). */
export function readSecretSync(name, options = {}) {
  const { path, from } = secretPath(name, options);
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw notReadable(name, path, from, error);
  }
  return finish(bytes, options);
}

/**
 * The value of `NAME` for images that follow the `*_FILE` convention: the file `NAME_FILE` names
 * when set, else the variable `NAME` itself, else undefined. Text, one trailing newline stripped
 * unless `trim: false`.
 */
export function fileEnv(name, options = {}) {
  const env = options.env ?? process.env;
  const file = env[`${name}_FILE`];
  const trim = options.trim ?? true;
  if (file !== undefined && file !== "") {
    let bytes;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw notReadable(name, file, `${name}_FILE`, error);
    }
    return finish(bytes, { encoding: options.encoding ?? "utf8", trim });
  }
  const value = env[name];
  if (value === undefined) return undefined;
  return trim ? stripNewline(value) : value;
}

/** A secret that cannot be read: which one, where it was looked for and why. */
export class SecretNotReadableError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "SecretNotReadableError";
  }
}

function fileVariable(name) {
  return `${name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}_FILE`;
}

function finish(bytes, options) {
  let out = bytes;
  if (options.trim) {
    const end = out.at(-1) === 0x0a ? (out.at(-2) === 0x0d ? 2 : 1) : 0;
    if (end) out = out.subarray(0, out.length - end);
  }
  if (options.encoding === undefined) return out;
  const text = out.toString(options.encoding);
  bytes.fill(0);
  return text;
}

function stripNewline(text) {
  return text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
}

function notReadable(name, path, from, error) {
  const reason = error && error.code ? error.code : "unreadable";
  return new SecretNotReadableError(
    `secret "${name}" cannot be read from ${path} (from ${from}): ${reason}`,
    {
      cause: error,
    },
  );
}
