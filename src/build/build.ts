// `build:` carried out: check every selected service's context and Dockerfile and resolve its build
// secrets (all before the first engine call, every problem reported at once), then build each
// through BuildKit over the Engine API, with a session per build that serves only that service's
// build secrets.
import { createHash, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { EngineError, InterruptedError, ProjectError, type Location, type Problem } from "../errors.js";
import { sourcesOf, type SourceMap } from "../loader/source-map.js";
import { imageLabels, imageName } from "../model/names.js";
import type { Project, Service } from "../model/project.js";
import { resolveSecrets, type ResolveOptions } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";
import type { BuildApi, BuildQuery } from "./build-api.js";
import { checkContext, packContext, type BuildContext } from "./context.js";
import { explainFailure } from "./explain.js";
import { BuildTrace, secretRedactor, type StepCounts } from "./progress.js";
import { openBuildSession } from "./session.js";
import { decodeStatus } from "./status.js";
import { crashPoint } from "../crash-point.js";

export interface BuildOptions extends ResolveOptions {
  /** Services to build (default: every service with a `build:` section). */
  services?: string[];
  /** Build every step again (`--no-cache`), on top of each service's own `no_cache`. */
  noCache?: boolean;
  /** Look for a newer base image (`--pull`), on top of each service's own `pull`. */
  pull?: boolean;
  /** Each line of BuildKit progress, already prefixed with its step (`#3 [web 2/2] RUN ...`). */
  onLine?: (line: string) => void;
  /** Called as each image is done. */
  onBuilt?: (image: BuiltImage) => void;
  onWarning?: (message: string) => void;
  /** Aborting cancels the running builds. */
  signal?: AbortSignal;
  /** Session and build ids (default: random UUIDs). */
  randomId?: () => string;
}

export interface BuiltImage {
  service: string;
  /** The image's name (`image:`, or `<project>-<service>`), tagged `latest` unless it says. */
  image: string;
  /** `sha256:...` */
  id: string;
  steps: StepCounts;
}

/** Services that `buildServices` builds when given `names` (all with `build:` when empty). */
export function servicesToBuild(project: Project, names: string[] = []): Service[] {
  if (names.length === 0)
    return Object.values(project.services).filter((service) => service.build !== undefined);
  const problems: Problem[] = [];
  const selected: Service[] = [];
  for (const name of names) {
    const service = project.services[name];
    if (service === undefined) {
      const known = Object.keys(project.services).join(", ");
      problems.push({ message: `no such service: "${name}"${known ? ` (services: ${known})` : ""}` });
    } else if (service.build === undefined) {
      problems.push({
        path: `services.${name}`,
        message: `service "${name}" has no build section; it runs image "${service.image ?? ""}"`,
      });
    } else if (!selected.includes(service)) {
      selected.push(service);
    }
  }
  if (problems.length > 0) throw new ProjectError(problems);
  return selected;
}

/**
 * The services among `names` that `up` builds before it creates containers: with `--build` every
 * one that has a build section, with `--no-build` none, else those whose image the engine does not
 * have, and those with `pull_policy: build` always (as Compose decides).
 */
export async function servicesNeedingBuild(
  project: Project,
  api: BuildApi,
  names: string[],
  flags: { build?: boolean; noBuild?: boolean } = {},
): Promise<string[]> {
  if (flags.noBuild) return [];
  const withBuild = names.filter((name) => project.services[name]?.build !== undefined);
  if (flags.build) return withBuild;
  const missing = await Promise.all(
    withBuild.map(async (name) => {
      const service = project.services[name]!;
      if (service.pullPolicy === "build") return true;
      return (await api.inspectImage(imageName(project.name, service))) === undefined;
    }),
  );
  return withBuild.filter((_, index) => missing[index]);
}

/** Build arguments whose names look like secrets: they end up in `docker history`. */
export function secretLookingArgs(project: Project, services: Service[]): Problem[] {
  const warnings: Problem[] = [];
  for (const service of services) {
    for (const [name, value] of Object.entries(service.build?.args ?? {})) {
      if (value === null || !/pass|secret|token|key/i.test(name)) continue;
      warnings.push({
        path: `services.${service.name}.build.args.${name}`,
        message:
          "looks like a secret, and a build argument is recorded in the image (docker history shows it); " +
          "pass it as a build secret instead: build.secrets, read with RUN --mount=type=secret",
      });
    }
  }
  void project;
  return warnings;
}

/** The POST /build parameters for one service. Pure. */
export function buildQuery(
  project: Project,
  service: Service,
  context: BuildContext,
  ids: { session: string; build: string },
  options: { noCache?: boolean; pull?: boolean } = {},
): BuildQuery {
  const build = service.build!;
  const args = Object.fromEntries(
    Object.entries(build.args).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  const query: BuildQuery = {
    version: "2",
    session: ids.session,
    buildid: ids.build,
    t: [imageName(project.name, service), ...build.tags],
    dockerfile: context.dockerfile,
    labels: imageLabels(project.name, service.name, build.labels),
  };
  if (Object.keys(args).length > 0) query.buildargs = args;
  if (build.target !== undefined) query.target = build.target;
  if (build.network !== undefined) query.networkmode = build.network;
  if (build.shmSize !== undefined) query.shmsize = build.shmSize;
  if (build.extraHosts.length > 0) query.extrahosts = build.extraHosts;
  if (options.noCache || build.noCache) query.nocache = true;
  if (options.pull || build.pull) query.pull = true;
  if (build.cacheFrom.length > 0) query.cachefrom = JSON.stringify(build.cacheFrom);
  const platform = service.platform ?? build.platforms?.[0];
  if (platform !== undefined) query.platform = platform;
  return query;
}

/**
 * The build attributes POST /build of Engine API 1.41 cannot carry, each a problem naming what it
 * needs. They are refused before anything is built, rather than dropped. Pure.
 */
export function unsupportedBuildAttributes(service: Service, sources?: SourceMap): Problem[] {
  const build = service.build!;
  const problems: Problem[] = [];
  // Located when the project came from files: a build refuses long after loading.
  const at = (attribute: string): { location?: Location } => {
    const location = sources?.locate(service, ["build", attribute]);
    return location ? { location } : {};
  };
  const refuse = (attribute: string, needs: string) =>
    problems.push({
      ...at(attribute),
      path: `services.${service.name}.build.${attribute}`,
      message: `composec cannot build with ${attribute}: it needs ${needs}, which POST /build of Engine API 1.41 does not offer; remove it or build the image with docker buildx`,
    });
  if (build.additionalContexts && Object.keys(build.additionalContexts).length > 0)
    refuse("additional_contexts", "BuildKit named contexts (buildx frontend attributes)");
  if (build.entitlements?.length) refuse("entitlements", "buildx entitlements");
  if (build.privileged) refuse("privileged", "the security.insecure entitlement (buildx)");
  if (build.ssh?.length)
    refuse("ssh", "SSH agent forwarding over the BuildKit session, which composec does not serve");
  if (build.cacheTo?.length) refuse("cache_to", "a BuildKit cache exporter (buildx)");
  if (build.provenance !== undefined && build.provenance !== false && build.provenance !== "false")
    refuse("provenance", "BuildKit attestations (buildx, BuildKit 0.11 or newer)");
  if (build.sbom !== undefined && build.sbom !== false && build.sbom !== "false")
    refuse("sbom", "BuildKit attestations (buildx, BuildKit 0.11 or newer)");
  if (build.noCacheFilter?.length)
    refuse("no_cache_filter", "BuildKit's per-stage no-cache option; use no_cache: true");
  // POST /build takes `ulimits`, but Engine 20.10's BuildKit builder leaves them out of its RUN
  // steps (measured: a RUN step sees the daemon's own limits): refused rather than dropped.
  if (build.ulimits && Object.keys(build.ulimits).length > 0)
    refuse(
      "ulimits",
      "a builder that applies them (Engine 20.10's BuildKit ignores the ulimits of POST /build)",
    );
  if (build.isolation !== undefined && build.isolation !== "default")
    refuse("isolation", "a Windows engine (a Linux engine's builder has only default isolation)");
  const platforms = build.platforms ?? [];
  if (platforms.length > 1) refuse("platforms", "a multi-platform build (buildx); name one platform");
  else if (platforms.length === 1 && service.platform !== undefined && platforms[0] !== service.platform) {
    problems.push({
      ...at("platforms"),
      path: `services.${service.name}.build.platforms`,
      message: `"${platforms[0]}" is not the service's platform "${service.platform}"; build.platforms must include it`,
    });
  }
  return problems;
}

/**
 * Builds the images of `options.services` (default: all with `build:`); returns what was built.
 * Throws ProjectError before touching the engine when an input is wrong, EngineError when a build
 * fails (every failing service in one message).
 */
export async function buildServices(
  project: Project,
  api: BuildApi,
  options: BuildOptions,
): Promise<BuiltImage[]> {
  const services = servicesToBuild(project, options.services);
  for (const warning of secretLookingArgs(project, services)) {
    options.onWarning?.(`${warning.path}: ${warning.message}`);
  }

  const problems: Problem[] = [];
  const contexts = new Map<string, BuildContext>();
  for (const service of services) {
    problems.push(...unsupportedBuildAttributes(service, sourcesOf(project)));
    const checked = await checkContext(service.name, service.build!);
    problems.push(...checked.problems);
    if (checked.context) contexts.set(service.name, checked.context);
  }
  const keys = new Set(services.flatMap((service) => service.build!.secrets.map((grant) => grant.source)));
  let values = new Map<string, SecretValue>();
  try {
    values = await resolveSecrets(project, keys, options);
  } catch (error) {
    if (!(error instanceof ProjectError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) {
    for (const value of values.values()) value.wipe();
    throw new ProjectError(problems);
  }

  let number = 0;
  const nextNumber = (): number => ++number;
  const randomId = options.randomId ?? randomUUID;
  try {
    const results = await Promise.allSettled(
      services.map((service) => {
        const secrets = new Map<string, SecretValue>();
        for (const grant of service.build!.secrets) secrets.set(grant.target, values.get(grant.source)!);
        return buildOne(api, project, service, contexts.get(service.name)!, secrets, {
          ...options,
          nextNumber,
          randomId,
        });
      }),
    );
    const failures = results.filter(
      (result): result is PromiseRejectedResult => result.status === "rejected",
    );
    if (failures.length > 0) {
      const reasons = failures.map((failure) => failure.reason as unknown);
      const interrupted = reasons.find((reason) => reason instanceof InterruptedError);
      if (interrupted) throw interrupted;
      const unexpected = reasons.find(
        (reason) => !(reason instanceof EngineError) && !(reason instanceof ProjectError),
      );
      if (unexpected) throw unexpected;
      if (reasons.length === 1) throw reasons[0];
      throw new EngineError(reasons.map((reason) => (reason as Error).message).join("\n"));
    }
    return results.map((result) => (result as PromiseFulfilledResult<BuiltImage>).value);
  } finally {
    for (const value of values.values()) value.wipe();
  }
}

interface OneBuildOptions extends BuildOptions {
  nextNumber: () => number;
  randomId: () => string;
}

async function buildOne(
  api: BuildApi,
  project: Project,
  service: Service,
  context: BuildContext,
  secrets: Map<string, SecretValue>,
  options: OneBuildOptions,
): Promise<BuiltImage> {
  if (options.signal?.aborted) throw new InterruptedError("interrupted before the build started");
  const trace = new BuildTrace(
    service.name,
    options.nextNumber,
    secretRedactor([...secrets.values()].map((value) => value.bytes())),
  );
  const session = await openBuildSession(api, {
    secrets,
    id: options.randomId(),
    name: `composec ${project.name} ${service.name}`,
    sharedKey: createHash("sha256").update(context.dir).digest("hex"),
  });
  crashPoint("build.session-open");
  const buildId = options.randomId();
  const cancel = (): void => void api.cancelBuild(buildId).catch(() => {});
  options.signal?.addEventListener("abort", cancel);
  try {
    const query = buildQuery(project, service, context, { session: session.id, build: buildId }, options);
    let tar: Readable;
    try {
      tar = await packContext(context);
    } catch (error) {
      throw new ProjectError([
        { path: `services.${service.name}.build.context`, message: (error as Error).message },
      ]);
    }
    const stream = await api.postBuild(tar, query, options.signal);
    const outcome = await readBuildStream(stream, trace, options.onLine);
    crashPoint("build.stream-ended");
    if (options.signal?.aborted) throw new InterruptedError(`service "${service.name}": build cancelled`);
    if (outcome.error !== undefined || outcome.imageId === undefined) {
      const failedStep = trace.failure();
      throw new EngineError(
        explainFailure({
          service: service.name,
          message: outcome.error ?? "the engine ended the build without an image",
          dockerfileShown: context.dockerfileShown,
          dockerfileText: context.dockerfileText,
          missingSecrets: [...session.missing],
          pull: query.pull === true,
          ...(failedStep ? { failedStep } : {}),
        }),
        { resource: `service ${service.name}` },
      );
    }
    const built: BuiltImage = {
      service: service.name,
      image: imageName(project.name, service),
      id: outcome.imageId,
      steps: trace.counts(),
    };
    options.onBuilt?.(built);
    return built;
  } catch (error) {
    if (options.signal?.aborted && !(error instanceof InterruptedError)) {
      throw new InterruptedError(`service "${service.name}": build cancelled`, { cause: error });
    }
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    session.close();
    crashPoint("build.session-closed");
  }
}

/** Follows the JSON message stream of POST /build to its end. */
async function readBuildStream(
  stream: Readable,
  trace: BuildTrace,
  onLine: ((line: string) => void) | undefined,
): Promise<{ imageId?: string; error?: string }> {
  const outcome: { imageId?: string; error?: string } = {};
  let pending = "";
  const handle = (text: string): void => {
    if (text.trim() === "") return;
    let message: BuildMessage;
    try {
      message = JSON.parse(text) as BuildMessage;
    } catch {
      return; // Not ours to judge: the engine's messages are JSON; anything else is skipped.
    }
    if (message.error !== undefined || message.errorDetail !== undefined) {
      outcome.error = message.errorDetail?.message ?? message.error ?? "unknown error";
    } else if (message.id === "moby.buildkit.trace" && typeof message.aux === "string") {
      for (const line of trace.update(decodeStatus(Buffer.from(message.aux, "base64")))) onLine?.(line);
    } else if (message.id === "moby.image.id" && typeof message.aux === "object" && message.aux?.ID) {
      outcome.imageId = message.aux.ID;
    }
  };
  try {
    for await (const chunk of stream) {
      pending += (chunk as Buffer).toString("utf8");
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        handle(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    }
    handle(pending);
  } catch (error) {
    outcome.error ??= `the build stopped: ${(error as Error).message}`;
  }
  return outcome;
}

interface BuildMessage {
  id?: string;
  aux?: string | { ID?: string };
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}
