// What every kind of secret source is to the dispatcher (../resolve.ts): one `resolve` that turns
// a definition's source into bytes, or fails with a message that is safe to show and the field of
// the definition it is about. A new kind of source is one file beside this one.
import type { ConfigSource } from "../../model/project.js";
import type { SecretValue } from "../secret-value.js";
import type { ResolveOptions } from "../resolve.js";

/** The kinds of source a secret or config definition can name (`file`, `environment`, ...). */
export type SourceKind = ConfigSource["kind"];

/** The source of one definition, of kind `K`. */
export type SourceOf<K extends SourceKind> = Extract<ConfigSource, { kind: K }>;

/** What one run of the dispatcher gives every source it calls. */
export interface SourceContext {
  /** What is being read, for messages ("the 1 MiB limit for a config"). */
  kind: "secret" | "config";
  options: ResolveOptions;
  /** A value computed once per run however many definitions ask (the raw environment, say). */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** One kind of source: reads the bytes that a definition's source of kind `K` names. */
export interface SecretSource<K extends SourceKind = SourceKind> {
  readonly kind: K;
  /** The value, held only in memory; throws SourceError for anything the user can fix. */
  resolve(source: SourceOf<K>, context: SourceContext): Promise<SecretValue>;
}

/** A source that could not give a value: `field` is the definition's field it is about. */
export class SourceError extends Error {
  override name = "SourceError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
