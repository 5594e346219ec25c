// `!reset` and `!override`: YAML tags an override file (or a service that `extends` another) puts on
// a value to change how it merges. As in Compose (compose-go's reset.go), each tagged value is
// recorded by its path and the place it names is removed from what this file merges onto: `!reset`
// then drops the file's own value too (the attribute is back to its default, whatever the tagged
// value was: `!reset null`, `!reset []`, `!reset {}`), while `!override` keeps it, so it replaces the
// base's value instead of merging with it. A tag on a list entry only drops or keeps that entry of
// this file: Compose removes nothing from a base list by position, nor do we.
import jsYaml from "js-yaml";
import type { Service } from "../model/project.js";
import type { PartialService } from "./canonicalize.js";
import type { MergedProject } from "./merge.js";
import type { PathSegment } from "./paths.js";
import type { SourceMap } from "./source-map.js";

export type OverrideTag = "reset" | "override";

/** A tagged place of one file: what to remove from the base before this file merges onto it. */
export interface TaggedPath {
  tag: OverrideTag;
  path: PathSegment[];
}

/** A tagged value as js-yaml constructs it; `extractTags` unwraps every one. */
class Tagged {
  constructor(
    readonly tag: OverrideTag,
    readonly value: unknown,
  ) {}
}

/** js-yaml types for both tags on each kind of node (`!reset` alone is an empty scalar). */
export const OVERRIDE_TAG_TYPES = (["reset", "override"] as const).flatMap((tag) =>
  (["scalar", "sequence", "mapping"] as const).map(
    (kind) =>
      new jsYaml.Type(`!${tag}`, {
        kind,
        construct: (data: unknown) => new Tagged(tag, kind === "scalar" && data === "" ? null : data),
      }),
  ),
);

/** Whether `text` may hold one of the tags: only then is the parsed data walked for them. */
export function mayHaveOverrideTags(text: string): boolean {
  return text.includes("!reset") || text.includes("!override");
}

/**
 * Unwraps the tagged values of parsed data in place: a `!reset` value leaves its mapping or list,
 * an `!override` one is replaced by what it tags. Returns the data (a tagged root becomes its
 * value) and the places tagged, outermost first.
 */
export function extractTags(data: unknown): { data: unknown; tagged: TaggedPath[] } {
  const tagged: TaggedPath[] = [];
  // A value reached twice (an alias) is walked once; its tags are the first place's.
  const seen = new Set<object>();
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (value instanceof Tagged) {
      tagged.push({ tag: value.tag, path });
      return value.tag === "reset" ? RESET : walk(value.value, path);
    }
    if (value === null || typeof value !== "object" || seen.has(value)) return value;
    seen.add(value);
    if (Array.isArray(value)) {
      let kept = 0;
      for (let index = 0; index < value.length; index++) {
        const entry = walk(value[index], [...path, index]);
        if (entry !== RESET) value[kept++] = entry;
      }
      value.length = kept;
    } else {
      const mapping = value as Record<string, unknown>;
      for (const key of Object.keys(mapping)) {
        const entry = walk(mapping[key], [...path, key]);
        if (entry === RESET) delete mapping[key];
        else mapping[key] = entry;
      }
    }
    return value;
  };
  const root = walk(data, []);
  return { data: root === RESET ? null : root, tagged };
}

const RESET = Symbol("reset");

/** Removes from `merged` (copy on write) every place `tagged` names, before a file merges onto it. */
export function removeTagged(merged: MergedProject, tagged: readonly TaggedPath[], sources: SourceMap): void {
  for (const { path } of tagged) {
    const [kind, name, ...rest] = path;
    if (kind === "name" && path.length === 1) delete merged.name;
    else if (typeof kind === "string" && kind.startsWith("x-")) {
      merged.extensions = withoutPath(merged.extensions, [kind, ...path.slice(1)]) as Record<string, unknown>;
    } else if (kind === "services") {
      if (name === undefined) merged.services = {};
      else if (typeof name === "string" && merged.services[name]) {
        if (rest.length === 0) delete merged.services[name];
        else merged.services[name] = withoutServicePath(merged.services[name], rest, sources);
      }
    } else if (kind === "networks" || kind === "volumes" || kind === "secrets" || kind === "models") {
      merged[kind] = (name === undefined ? {} : withoutPath(merged[kind], path.slice(1))) as never;
    }
  }
}

/** `service` without the place `path` (below `services.<name>`) names, by its canonical field. */
export function withoutServicePath(
  service: PartialService,
  path: readonly PathSegment[],
  sources: SourceMap,
): PartialService {
  const [attribute, ...rest] = path;
  if (typeof attribute !== "string") return service;
  let copy: PartialService = service;
  if (attribute.startsWith("x-")) {
    if (!service.extensions) return service;
    copy = { ...service, extensions: withoutPath(service.extensions, [attribute, ...rest]) as never };
  } else {
    for (const field of canonicalFields(attribute)) {
      if (!(field in copy)) continue;
      if (copy === service) copy = { ...service };
      if (rest.length === 0) delete copy[field];
      else (copy as Record<string, unknown>)[field] = withoutPath(copy[field], rest, true);
    }
  }
  if (copy !== service) sources.inherit(copy, service);
  return copy;
}

/**
 * The canonical fields a service attribute becomes (canonicalize.ts): most are its name in camel
 * case; these are not.
 */
const FIELDS_OF: Record<string, (keyof Service)[]> = {
  env_file: ["envFiles"],
  label_file: ["labelFiles"],
  depends_on: ["dependsOn"],
  scale: ["replicas"],
  deploy: ["replicas", "deploy"],
};

function canonicalFields(attribute: string): (keyof PartialService)[] {
  return FIELDS_OF[attribute] ?? [camelCase(attribute) as keyof PartialService];
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * `value` without what `path` names, copied along the way. With `canonical`, a written attribute
 * name also finds its camel-case field (`build.dockerfile_inline` is `dockerfileInline`). A list
 * entry is not removed: Compose keeps base list entries.
 */
function withoutPath(value: unknown, path: readonly PathSegment[], canonical = false): unknown {
  if (path.length === 0 || value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const mapping = value as Record<string, unknown>;
  const [segment, ...rest] = path;
  let key = String(segment);
  if (canonical && !Object.hasOwn(mapping, key) && Object.hasOwn(mapping, camelCase(key)))
    key = camelCase(key);
  if (!Object.hasOwn(mapping, key)) return value;
  const copy = { ...mapping };
  if (rest.length === 0) delete copy[key];
  else copy[key] = withoutPath(mapping[key], rest, canonical);
  return copy;
}
