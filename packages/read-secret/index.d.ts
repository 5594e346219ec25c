/** Where to look, and how to return the value. */
export interface ReadSecretOptions {
  /** The environment `NAME_FILE` is looked up in (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** The directory secrets are mounted at (default `/run/secrets`). */
  secretsDir?: string;
  /** Strip one trailing newline (`\n` or `\r\n`); default false: the bytes as delivered. */
  trim?: boolean;
}

/** Where `name` is read from: `$NAME_FILE` when set, else /run/secrets/<name>. */
export function secretPath(
  name: string,
  options?: Pick<ReadSecretOptions, "env" | "secretsDir">,
): { path: string; from: string };

/** The secret `name` as bytes (from `$NAME_FILE`, else /run/secrets/<name>). */
export function readSecret(
  name: string,
  options?: ReadSecretOptions & { encoding?: undefined },
): Promise<Buffer>;
/** The secret `name` as text in `encoding`. */
export function readSecret(
  name: string,
  options: ReadSecretOptions & { encoding: BufferEncoding },
): Promise<string>;

/** readSecret, synchronously. */
export function readSecretSync(name: string, options?: ReadSecretOptions & { encoding?: undefined }): Buffer;
export function readSecretSync(
  name: string,
  options: ReadSecretOptions & { encoding: BufferEncoding },
): string;

/**
 * The value of `NAME` by the `*_FILE` convention: the file `NAME_FILE` names, else the variable
 * `NAME`, else undefined; one trailing newline stripped unless `trim: false`.
 */
export function fileEnv(
  name: string,
  options?: { env?: Record<string, string | undefined>; trim?: boolean; encoding?: BufferEncoding },
): string | undefined;

/** A secret that cannot be read: the message names it, where it was looked for and why, never its contents. */
export class SecretNotReadableError extends Error {}
