// Pulling images: the `pull` command, and the pulls `up`, `create` and `run` make before anything
// is created (ensureImages). Both go through pullImage: images pulled once each (services may
// share one), in parallel, with the registry's credentials from the docker CLI's config.json; a
// failure is one clear line per image naming its services, and an image that is already present
// locally says so.
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import type { ProgressListener } from "../engine/progress.js";
import { registryCredentials, type RegistryCredentialSource } from "../engine/registry-auth.js";
import type { Project, Service } from "../model/project.js";
import { selectServices } from "../plan/graph.js";
import {
  planPulls,
  platformProblems,
  pullPlatform,
  readPullPolicy,
  type ImageFacts,
  type PullFlag,
  type PullRequest,
} from "../plan/pull-plan.js";

export interface PullOptions {
  /** Only these services' images (default: every service's; dependencies are not added). */
  services?: string[];
  /** `always` (default) pulls every image; `missing` only those the engine does not have. */
  policy?: "always" | "missing";
  /** Report failures as warnings and succeed (`--ignore-pull-failures`). */
  ignoreFailures?: boolean;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
  /** Where config.json is found (`DOCKER_CONFIG`, `HOME`); default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface PullOutcome {
  image: string;
  services: string[];
  result: "pulled" | "present" | "skipped" | "failed";
  /** Why it was skipped, or what failed. */
  detail?: string;
}

/**
 * Pulls the images; throws one EngineError naming every image that failed (unless ignoreFailures),
 * or, before pulling anything, naming each image its services ask for as different platforms.
 */
export async function pull(
  project: Project,
  engine: Engine,
  options: PullOptions = {},
): Promise<PullOutcome[]> {
  const named = options.services ?? [];
  if (named.length > 0) selectServices(project, named, { noDeps: true });
  const services = (named.length > 0 ? named : Object.keys(project.services).sort()).map(
    (name) => project.services[name] as Service,
  );

  const byImage = new Map<string, Service[]>();
  const outcomes: PullOutcome[] = [];
  for (const service of services) {
    if (service.image === undefined) {
      outcomes.push({ image: "", services: [service.name], result: "skipped", detail: "built, not pulled" });
      continue;
    }
    byImage.set(service.image, [...(byImage.get(service.image) ?? []), service]);
  }

  // Every image's platform is settled before the first pull: a conflict anywhere pulls nothing.
  const platforms = new Map<string, string | undefined>();
  const conflicts: string[] = [];
  for (const [image, users] of byImage) {
    const choice = pullPlatform(image, users);
    if ("error" in choice) conflicts.push(choice.error);
    else platforms.set(image, choice.platform);
  }
  if (conflicts.length > 0) throw new EngineError(conflicts.join("\n"));

  const credentials = credentialsOnce(options);
  const pulled = await Promise.all(
    [...byImage].map(([image, users]) =>
      pullByPolicy(engine, image, users, platforms.get(image), credentials, options),
    ),
  );
  outcomes.push(...pulled);
  const failed = outcomes.filter((outcome) => outcome.result === "failed");
  if (failed.length > 0) {
    const lines = failed.map((outcome) => outcome.detail as string);
    if (!options.ignoreFailures) throw new EngineError(lines.join("\n"));
    for (const line of lines) options.onWarning?.(line);
  }
  return outcomes;
}

/** `pull`'s reading of the services' policies: never and build skip, missing skips what is present. */
async function pullByPolicy(
  engine: Engine,
  image: string,
  users: Service[],
  platform: string | undefined,
  credentials: () => Promise<RegistryCredentialSource>,
  options: PullOptions,
): Promise<PullOutcome> {
  const title = `Image ${image}`;
  const names = users.map((service) => service.name);
  const policies = new Set(users.map((service) => service.pullPolicy ?? "always"));
  if (policies.has("never") || (policies.has("build") && users.every((service) => service.build))) {
    options.onProgress?.({
      resource: title,
      status: "Skipped",
      detail: `pull_policy: ${[...policies].join(", ")}`,
    });
    return { image, services: names, result: "skipped", detail: "pull_policy" };
  }
  const onlyMissing =
    options.policy === "missing" ||
    users.every((service) => readPullPolicy(service.pullPolicy ?? "always") === "missing");
  const present = (await engine.inspectImage(image)) !== undefined;
  if (onlyMissing && present) {
    options.onProgress?.({ resource: title, status: "Exists", detail: "already present, not pulled" });
    return { image, services: names, result: "present" };
  }
  const request: PullRequest = {
    image,
    services: names,
    ...(platform === undefined ? {} : { platform }),
    cause: "pull",
  };
  return pullImage(engine, request, present, credentials, options, "kept and used");
}

/** Pulls one image with its registry's credentials; a failure is an outcome, not a throw. */
async function pullImage(
  engine: Engine,
  request: PullRequest,
  present: boolean,
  credentials: () => Promise<RegistryCredentialSource>,
  options: Pick<EnsureImagesOptions, "onProgress" | "onWarning">,
  /** What happens to a copy already present when the pull fails. */
  fallback: "kept and used" | "left as it was",
): Promise<PullOutcome> {
  const { image, services: names } = request;
  const title = `Image ${image}`;
  // Why a registry's credentials cannot be used is said by the source, once.
  const { credentials: found } = (await credentials()).lookup(image);
  options.onProgress?.({ resource: title, status: "Pulling" });
  try {
    await engine.pullImage(image, undefined, {
      ...(request.platform === undefined ? {} : { platform: request.platform }),
      ...(found === undefined ? {} : { credentials: found }),
    });
  } catch (error) {
    const reason = (error as Error).message.replace(/^image \S+: /, "");
    const where = unreachable(reason) ? "its registry cannot be reached" : "the pull failed";
    const local = present
      ? `; the copy already present on the engine is ${fallback}`
      : "; it is not present on the engine either";
    const detail = `cannot pull image "${image}" (${names.length > 1 ? "services" : "service"} ${names.join(", ")}): ${where}: ${reason}${local}`;
    options.onProgress?.({
      resource: title,
      status: "Error",
      detail: `${where}${present ? " (present locally)" : ""}`,
    });
    return { image, services: names, result: "failed", detail };
  }
  options.onProgress?.({ resource: title, status: "Pulled" });
  return { image, services: names, result: "pulled" };
}

export interface EnsureImagesOptions {
  /** `--pull`: replaces every service's pull_policy. */
  pull?: PullFlag;
  /** Say what would be pulled instead of pulling. */
  dryRun?: boolean;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
  env?: Record<string, string | undefined>;
}

export interface EnsuredImages {
  /** The images pulled (or, dry, to be pulled). */
  pulled: string[];
  /**
   * The id the engine has for each image-only service's `image:` (null: absent), as of the end of
   * the pulls: what observe() would inspect again. An image a selected `build:` names is left out
   * (a build may replace it).
   */
  ids: Record<string, string | null>;
}

/**
 * Pulls what the selected services need before anything is created (CLARIFICATIONS.md 8): images
 * missing (or for another platform), or every image with pull_policy/`--pull` always. Throws one
 * EngineError, naming service, image and the engine's reason for each, when an image must not be
 * pulled and is missing, or when a pull fails.
 */
export async function ensureImages(
  project: Project,
  engine: Engine,
  services: Iterable<string>,
  options: EnsureImagesOptions = {},
): Promise<EnsuredImages> {
  const selected = [...services];
  const images = await inspectImages(engine, pulledReferences(project, selected));
  const plan = planPulls(project, selected, images, options.pull);
  if (plan.errors.length > 0) throw new EngineError(plan.errors.join("\n"));
  const pulled = plan.pulls.map((request) => request.image);
  if (plan.pulls.length === 0) return { pulled, ids: imageIds(project, selected, images) };
  if (options.dryRun) {
    for (const request of plan.pulls) {
      options.onWarning?.(
        `image ${request.image} would be pulled (${request.services.join(", ")}: ${request.cause})`,
      );
    }
    return { pulled, ids: imageIds(project, selected, images) };
  }
  const credentials = credentialsOnce(options);
  const outcomes = await Promise.all(
    plan.pulls.map((request) =>
      pullImage(engine, request, images[request.image] != null, credentials, options, "left as it was"),
    ),
  );
  const failed = outcomes.filter((outcome) => outcome.result === "failed");
  if (failed.length > 0) {
    throw new EngineError(
      `${failed.map((outcome) => outcome.detail as string).join("\n")}\nnothing was created`,
    );
  }
  // Only the images just pulled changed.
  const after = { ...images, ...(await inspectImages(engine, new Set(pulled))) };
  const problems = platformProblems(project, selected, after);
  if (problems.length > 0) throw new EngineError(`${problems.join("\n")}\nnothing was created`);
  return { pulled, ids: imageIds(project, selected, after) };
}

/** The `image:` of each selected service without `build:`: the images pulling is about. */
function pulledReferences(project: Project, services: string[]): Set<string> {
  const references = new Set<string>();
  for (const name of services) {
    const service = project.services[name];
    if (service?.image !== undefined && service.build === undefined) references.add(service.image);
  }
  return references;
}

/** What the engine has of each reference (null: absent). */
async function inspectImages(
  engine: Engine,
  references: Set<string>,
): Promise<Record<string, ImageFacts | null>> {
  const entries = await Promise.all(
    [...references].map(async (reference) => {
      const info = await engine.inspectImage(reference);
      const facts: ImageFacts | null =
        info === undefined
          ? null
          : {
              id: info.Id,
              os: info.Os,
              architecture: info.Architecture,
              ...(info.Variant ? { variant: info.Variant } : {}),
            };
      return [reference, facts] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** EnsuredImages.ids: the facts' ids, without the images a selected build may replace. */
function imageIds(
  project: Project,
  services: string[],
  images: Record<string, ImageFacts | null>,
): Record<string, string | null> {
  const ids: Record<string, string | null> = {};
  for (const [reference, facts] of Object.entries(images)) ids[reference] = facts?.id ?? null;
  for (const name of services) {
    const service = project.services[name];
    if (service?.build !== undefined && service.image !== undefined) delete ids[service.image];
  }
  return ids;
}

/**
 * config.json, read once per batch of pulls and only when something is pulled (not on every
 * image, not on an `up` that pulls nothing); why its credentials are unusable is said once, and so
 * is why a registry's are (a credential helper named for it), however many of its images are pulled.
 */
function credentialsOnce(
  options: Pick<EnsureImagesOptions, "onWarning" | "env">,
): () => Promise<RegistryCredentialSource> {
  const said = new Set<string>();
  const sayOnce = (note: string | undefined) => {
    if (note === undefined || said.has(note)) return;
    said.add(note);
    options.onWarning?.(note);
  };
  let source: Promise<RegistryCredentialSource> | undefined;
  return () =>
    (source ??= registryCredentials(options.env ?? process.env).then((found) => {
      sayOnce(found.note);
      return {
        ...found,
        lookup: (image: string) => {
          const { note, ...rest } = found.lookup(image);
          sayOnce(note);
          return rest;
        },
      };
    }));
}

/** Whether an engine message means the registry could not be reached (as opposed to refused). */
function unreachable(message: string): boolean {
  return /no such host|dial tcp|connection refused|i\/o timeout|network is unreachable|TLS handshake timeout|Client\.Timeout/i.test(
    message,
  );
}
