// The building blocks of the compose schema (schema.ts): strings, numbers, lists, mappings, unions,
// each with the message a user sees when a value does not fit. The API follows zod/mini's, which
// the schema was first written with, so it reads the same; what differs is the cost. `config` on a
// large project is mostly start-up, and zod spent it on generality the schema does not use: it
// copies every value it checks, runs every optional attribute of every service even when absent,
// and builds its schemas through several layers at load. These check the parsed data in place,
// visit only what is there, and allocate nothing for a valid file but the path they walk.

export type PathKey = string | number;

/** One way a value does not fit; `path` is relative to where the check started. */
export interface Issue {
  code: "invalid_type" | "invalid_union" | "invalid_value" | "invalid_format" | "custom";
  path: PathKey[];
  message: string;
  /** The value found (`undefined` when the attribute is missing). */
  input: unknown;
  /** For `invalid_union`: what each alternative found, paths relative to the union's value. */
  errors?: Issue[][];
}

/** A message, or a function choosing one (`undefined` keeps the default). */
type ErrorParam = string | ((issue: { code: Issue["code"]; input: unknown }) => string | undefined);
export interface Params {
  error?: ErrorParam;
}

/** An extra rule on a value that already has the right type. */
export type Check<T> = (value: T, context: CheckContext) => void;
export interface CheckContext {
  addIssue(issue: { code: Issue["code"]; path?: PathKey[]; input?: unknown; message: string }): void;
}

/** What a mapping or union needs of the schemas inside it, whatever their types. */
export interface AnySchema {
  readonly _output: unknown;
  readonly expected: string;
  run(value: unknown, path: PathKey[], issues: Issue[]): void;
  /** Whether `value` is of this schema's type, its parts aside: a union skips forms that are not. */
  hasType(value: unknown): boolean;
}

export abstract class Schema<T> implements AnySchema {
  /** The type of a value that fits, for `infer`; never set at run time. */
  declare readonly _output: T;
  private checks: Check<T>[] = [];

  constructor(protected readonly params: Params = {}) {}

  /** Whether `value` has this schema's type (its parts are checked by `checkParts`). */
  protected abstract fits(value: unknown): boolean;

  hasType(value: unknown): boolean {
    return this.fits(value);
  }
  /** What the default message says is expected, e.g. "a string". */
  abstract readonly expected: string;
  protected readonly mismatch: Issue["code"] = "invalid_type";
  protected checkParts(_value: T, _path: PathKey[], _issues: Issue[]): void {}

  /** A copy of this schema with `checks` added (as zod's `.check()`). */
  check(...checks: Check<T>[]): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    copy.checks = [...this.checks, ...checks];
    return copy;
  }

  /** Checks `value` at `path` (a stack the caller owns), adding an issue for each problem. */
  run(value: unknown, path: PathKey[], issues: Issue[]): void {
    if (!this.fits(value)) {
      issues.push(this.issue(this.mismatch, path, value));
      return;
    }
    this.checkParts(value as T, path, issues);
    if (this.checks.length === 0) return;
    // One context per schema, pointed at this value: checks run once the parts are done, never
    // inside one another, and a context per value would be garbage for every mapping of a file.
    this.context.path = path;
    this.context.issues = issues;
    for (let index = 0; index < this.checks.length; index++) this.checks[index]!(value as T, this.context);
  }

  private readonly context = {
    path: [] as PathKey[],
    issues: [] as Issue[],
    addIssue(issue: Parameters<CheckContext["addIssue"]>[0]): void {
      this.issues.push({
        code: issue.code,
        path: [...this.path, ...(issue.path ?? [])],
        input: issue.input,
        message: issue.message,
      });
    },
  };

  protected issue(code: Issue["code"], path: PathKey[], input: unknown, extra?: Partial<Issue>): Issue {
    const custom = this.params.error;
    const message =
      (typeof custom === "function" ? custom({ code, input }) : custom) ?? `must be ${this.expected}`;
    return { code, path: [...path], input, message, ...extra };
  }

  /** Checks `value`; a value that fits is returned as it is (not copied). */
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Issue[] } } {
    const issues: Issue[] = [];
    this.run(value, [], issues);
    return issues.length === 0 ? { success: true, data: value as T } : { success: false, error: { issues } };
  }
}

type Infer<S> = S extends { readonly _output: infer T } ? T : never;
export type { Infer as infer };
export type Shape = Record<string, AnySchema>;

export class StringSchema extends Schema<string> {
  readonly expected = "a string";
  protected fits(value: unknown): boolean {
    return typeof value === "string";
  }
}

export class NumberSchema extends Schema<number> {
  constructor(
    params: Params,
    private readonly integer: boolean,
  ) {
    super(params);
  }
  get expected(): string {
    return this.integer ? "an integer" : "a number";
  }
  protected fits(value: unknown): boolean {
    return this.integer ? Number.isInteger(value) : typeof value === "number" && Number.isFinite(value);
  }
}

export class BooleanSchema extends Schema<boolean> {
  readonly expected = "true or false";
  protected fits(value: unknown): boolean {
    return typeof value === "boolean";
  }
}

export class NullSchema extends Schema<null> {
  readonly expected = "null";
  protected fits(value: unknown): boolean {
    return value === null;
  }
}

export class UnknownSchema extends Schema<unknown> {
  readonly expected = "anything";
  protected fits(): boolean {
    return true;
  }
}

export class EnumSchema<V extends string> extends Schema<V> {
  protected override readonly mismatch = "invalid_value";
  constructor(
    private readonly values: readonly V[],
    params: Params,
  ) {
    super(params);
  }
  get expected(): string {
    return `one of ${this.values.join(", ")}`;
  }
  protected fits(value: unknown): boolean {
    return this.values.includes(value as V);
  }
}

/** `inner`, or one more value let through as it is: `undefined` (optional) or `null` (nullable). */
abstract class OrValue<T, V extends undefined | null> extends Schema<T | V> {
  constructor(
    private readonly inner: Schema<T>,
    private readonly accepted: V,
  ) {
    super();
  }
  get expected(): string {
    return this.inner.expected;
  }
  protected fits(): boolean {
    return true;
  }
  override hasType(value: unknown): boolean {
    return value === this.accepted || this.inner.hasType(value);
  }
  override run(value: unknown, path: PathKey[], issues: Issue[]): void {
    if (value !== this.accepted) this.inner.run(value, path, issues);
  }
}

/** Marks an attribute that may be left out of a mapping. */
export class OptionalSchema<T> extends OrValue<T, undefined> {
  readonly optional = true;
  constructor(inner: Schema<T>) {
    super(inner, undefined);
  }
}

export class NullableSchema<T> extends OrValue<T, null> {
  constructor(inner: Schema<T>) {
    super(inner, null);
  }
}

export class ArraySchema<T> extends Schema<T[]> {
  readonly expected = "a list";
  constructor(
    private readonly item: Schema<T>,
    params: Params,
  ) {
    super(params);
  }
  protected fits(value: unknown): boolean {
    return Array.isArray(value);
  }
  protected override checkParts(value: T[], path: PathKey[], issues: Issue[]): void {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      this.item.run(value[index], path, issues);
      path.pop();
    }
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class RecordSchema<T> extends Schema<Record<string, T>> {
  readonly expected = "a mapping";
  constructor(
    private readonly item: Schema<T>,
    params: Params,
  ) {
    super(params);
  }
  protected fits(value: unknown): boolean {
    return isMapping(value);
  }
  protected override checkParts(value: Record<string, T>, path: PathKey[], issues: Issue[]): void {
    for (const key in value) {
      path.push(key);
      this.item.run(value[key], path, issues);
      path.pop();
    }
  }
}

type Flatten<T> = { [K in keyof T]: T[K] };
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
/** A mapping's type: its attributes (optional ones with `?`), and any other key (`x-*`, say). */
type ObjectOutput<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
> & { [key: string]: unknown };

export class ObjectSchema<S extends Shape> extends Schema<ObjectOutput<S>> {
  readonly expected = "a mapping";
  private readonly keys: string[];
  private readonly schemas: AnySchema[];
  constructor(shape: S, params: Params) {
    super(params);
    this.keys = Object.keys(shape);
    this.schemas = Object.values(shape);
  }
  protected fits(value: unknown): boolean {
    return isMapping(value);
  }
  protected override checkParts(value: ObjectOutput<S>, path: PathKey[], issues: Issue[]): void {
    for (let index = 0; index < this.keys.length; index++) {
      const key = this.keys[index]!;
      const schema = this.schemas[index]!;
      const item = value[key];
      if (item === undefined && schema instanceof OptionalSchema) continue;
      path.push(key);
      schema.run(item, path, issues);
      path.pop();
    }
  }
}

export class UnionSchema<T> extends Schema<T> {
  readonly expected = "one of the accepted forms";
  constructor(
    private readonly options: readonly AnySchema[],
    params: Params,
  ) {
    super(params);
  }
  protected fits(): boolean {
    return true;
  }
  override hasType(value: unknown): boolean {
    return this.options.some((option) => option.hasType(value));
  }
  override run(value: unknown, path: PathKey[], issues: Issue[]): void {
    // Each form is tried where the value is; what a failed form found is taken back out of
    // `issues`, so a value that fits costs no allocation.
    const start = issues.length;
    for (let index = 0; index < this.options.length; index++) {
      const option = this.options[index]!;
      if (!option.hasType(value)) continue;
      const before = issues.length;
      option.run(value, path, issues);
      if (issues.length === before) {
        issues.length = start;
        return;
      }
    }
    const errors = this.options.map(() => [] as Issue[]);
    // Which form found which issues is not kept above; run them again, now that it is a failure.
    const found: Issue[] = [];
    issues.length = start;
    this.options.forEach((option, index) => {
      found.length = 0;
      option.run(value, path, found);
      errors[index] = found.map((issue) => ({ ...issue, path: issue.path.slice(path.length) }));
    });
    issues.push(this.issue("invalid_union", path, value, { errors }));
  }
}

// Constructors, named as in zod/mini.

export const string = (params: Params = {}) => new StringSchema(params);
export const number = (params: Params = {}) => new NumberSchema(params, false);
export const int = (params: Params = {}) => new NumberSchema(params, true);
export const boolean = (params: Params = {}) => new BooleanSchema(params);
export const unknown = () => new UnknownSchema();
const nullValue = (params: Params = {}) => new NullSchema(params);
const enumOf = <const V extends string>(values: readonly V[], params: Params = {}) =>
  new EnumSchema<V>(values, params);
export { nullValue as null, enumOf as enum };
export const optional = <T>(inner: Schema<T>) => new OptionalSchema(inner);
export const nullable = <T>(inner: Schema<T>) => new NullableSchema(inner);
export const array = <T>(item: Schema<T>, params: Params = {}) => new ArraySchema(item, params);
export const record = <T>(_key: Schema<string>, item: Schema<T>, params: Params = {}) =>
  new RecordSchema(item, params);
/** A mapping with these attributes; other keys are let through for the caller's checks. */
export const looseObject = <S extends Shape>(shape: S, params: Params = {}) =>
  new ObjectSchema(shape, params);
export const union = <const O extends readonly AnySchema[]>(options: O, params: Params = {}) =>
  new UnionSchema<Infer<O[number]>>(options, params);

/** A string check: the whole value matches `pattern`. */
export const regex =
  (pattern: RegExp, params: Params = {}): Check<string> =>
  (value, context) => {
    if (!pattern.test(value)) {
      const custom = params.error;
      context.addIssue({
        code: "invalid_format",
        input: value,
        message:
          (typeof custom === "function" ? custom({ code: "invalid_format", input: value }) : custom) ??
          `must match ${String(pattern)}`,
      });
    }
  };

/**
 * A check of a whole value that may add any number of issues (as zod's `superRefine`). It runs on
 * every value of the right type, whatever its parts' problems: zod's `when: () => true`, which
 * callers may still pass.
 */
export const superRefine =
  <T>(check: (value: T, context: CheckContext) => void, _options?: { when?: unknown }): Check<T> =>
  (value, context) =>
    check(value, context);
