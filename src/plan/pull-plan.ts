// Which images `up`, `create` and `run` pull before anything is created (CLARIFICATIONS.md 8), from
// each service's `pull_policy` (or `--pull`, which overrides it) and what the engine already has.
// Pure: the caller inspects the images and carries the pulls out (src/compose/pull.ts). The
// `pull` command reads the policies its own way, but asks pullPlatform() which platform to pull.
//
// Services with a `build:` section are not pulled here: their image is built when missing (or
// always, with `pull_policy: build`), as src/build/ decides. `refresh`, `daily`, `weekly` and
// `every_<duration>` are read as `missing`: composec keeps no record of when an image was last pulled.
import { formatPlatform, parsePlatform, platformMatches, type Platform } from "../model/platform.js";
import type { Project, Service } from "../model/project.js";

/** `up --pull`: replaces every service's own pull_policy. */
export type PullFlag = "always" | "missing" | "never";

/** What the engine says of an image: its id and the platform it was built for. */
export interface ImageFacts {
  id: string;
  os: string;
  architecture: string;
  variant?: string;
}

export interface PullRequest {
  image: string;
  /** The services that run it, sorted. */
  services: string[];
  /** The platform asked for, when a service names one. */
  platform?: string;
  /** Why it is pulled: `not present`, `pull_policy: always`, `--pull always`, ... */
  cause: string;
}

export interface PullPlan {
  pulls: PullRequest[];
  /** Reasons `up` cannot go on (an image that must not be pulled and is missing): nothing may be done. */
  errors: string[];
}

/**
 * The pulls that must happen before the services can be created. `images` holds what inspecting
 * each service's image found (`null`: absent).
 */
export function planPulls(
  project: Project,
  services: Iterable<string>,
  images: Record<string, ImageFacts | null>,
  flag?: PullFlag,
): PullPlan {
  const errors: string[] = [];
  const wanted = new Map<string, { users: Service[]; causes: Set<string> }>();
  for (const name of [...services].sort()) {
    const service = project.services[name];
    if (service === undefined || service.build !== undefined || service.image === undefined) continue;
    const image = service.image;
    const policy = effectivePolicy(service, flag);
    const source = flag !== undefined ? `--pull ${flag}` : `pull_policy: ${service.pullPolicy}`;
    if (policy === "build") {
      errors.push(
        `service "${name}": pull_policy is build, but the service has no build section; add build:, or use pull_policy missing, always or never`,
      );
      continue;
    }
    const absent = whyAbsent(service, images[image] ?? null);
    let cause: string | undefined;
    if (policy === "always") cause = source;
    else if (absent !== undefined && policy === "missing") cause = absent;
    else if (absent !== undefined) {
      errors.push(
        `service "${name}": image "${image}" is ${absent}, and ${source} forbids pulling it; load or build it first (docker load, docker build), or allow pulling`,
      );
    }
    if (cause === undefined) continue;
    const entry = wanted.get(image) ?? { users: [], causes: new Set() };
    entry.users.push(service);
    entry.causes.add(cause);
    wanted.set(image, entry);
  }

  const pulls: PullRequest[] = [];
  for (const [image, entry] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const choice = pullPlatform(image, entry.users);
    if ("error" in choice) {
      errors.push(choice.error);
      continue;
    }
    pulls.push({
      image,
      services: entry.users.map((service) => service.name),
      ...(choice.platform === undefined ? {} : { platform: choice.platform }),
      cause: [...entry.causes].sort().join(", "),
    });
  }
  return { pulls, errors };
}

/**
 * The platform `image` is pulled for, from those its services ask for (normalised, so
 * `linux/x86_64` and `linux/amd64` agree; none asked: the engine's own). One image name holds one
 * platform, so services asking for two get an error naming them; `up` and `pull` refuse alike.
 */
export function pullPlatform(
  image: string,
  users: readonly Service[],
): { platform: string | undefined } | { error: string } {
  const platforms = new Set(
    users.flatMap((service) =>
      service.platform === undefined ? [] : [formatPlatform(parsePlatform(service.platform))],
    ),
  );
  if (platforms.size > 1) {
    const names = users.map((service) => service.name).sort();
    return {
      error: `services ${names.join(", ")}: image "${image}" is asked for as ${[...platforms].sort().join(" and ")}, but one image name holds one platform; give the services the same platform, or different image names`,
    };
  }
  const [platform] = platforms;
  return { platform };
}

/** The policy a service is pulled by: `--pull`, else its own, else Compose's default (missing). */
function effectivePolicy(service: Service, flag: PullFlag | undefined): PullPolicy {
  return readPullPolicy(flag ?? service.pullPolicy ?? "missing");
}

type PullPolicy = "always" | "missing" | "never" | "build";

/** A written `pull_policy` as one of the four composec acts on. */
export function readPullPolicy(policy: string): PullPolicy {
  switch (policy) {
    case "always":
    case "never":
    case "build":
    case "missing":
      return policy;
    default:
      // if_not_present is missing's other name; refresh, daily, weekly and every_<duration> are read as missing.
      return "missing";
  }
}

/** Why the service cannot run the image the engine has: `not present`, or another platform. */
function whyAbsent(service: Service, facts: ImageFacts | null): string | undefined {
  if (facts === null) return "not present on the engine";
  if (service.platform === undefined) return undefined;
  const have: Platform = { os: facts.os, architecture: facts.architecture };
  if (facts.variant) have.variant = facts.variant;
  return platformMatches(parsePlatform(service.platform), have)
    ? undefined
    : `present only for ${formatPlatform(have)}, not ${service.platform}`;
}

/**
 * After the pulls: a service whose image is still not for its platform (a registry without that
 * platform hands over what it has) cannot be created; one message per service.
 */
export function platformProblems(
  project: Project,
  services: Iterable<string>,
  images: Record<string, ImageFacts | null>,
): string[] {
  const problems: string[] = [];
  for (const name of [...services].sort()) {
    const service = project.services[name];
    if (service?.platform === undefined || service.image === undefined || service.build !== undefined)
      continue;
    const facts = images[service.image] ?? null;
    if (facts === null) continue;
    const absent = whyAbsent(service, facts);
    if (absent !== undefined) {
      problems.push(
        `service "${name}": platform ${service.platform} cannot run here: image "${service.image}" is ${absent}, and its registry offers no ${service.platform} image`,
      );
    }
  }
  return problems;
}
