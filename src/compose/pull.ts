// `pull` as a library function: fetch the images of the selected services from their registries.
// Images are pulled once each (services may share one), in parallel. A failure is one clear line per
// image; an image that is already present locally says so, whether it was skipped by policy or could
// not be updated.
import { EngineError } from "../errors.js";
import type { Engine } from "../engine/client.js";
import type { ProgressListener } from "../engine/progress.js";
import type { Project, Service } from "../model/project.js";
import { selectServices } from "../plan/graph.js";

export interface PullOptions {
  /** Only these services' images (default: every service's; dependencies are not added). */
  services?: string[];
  /** `always` (default) pulls every image; `missing` only those the engine does not have. */
  policy?: "always" | "missing";
  /** Report failures as warnings and succeed (`--ignore-pull-failures`). */
  ignoreFailures?: boolean;
  onProgress?: ProgressListener;
  onWarning?: (message: string) => void;
}

export interface PullOutcome {
  image: string;
  services: string[];
  result: "pulled" | "present" | "skipped" | "failed";
  /** Why it was skipped, or what failed. */
  detail?: string;
}

/** Pulls the images; throws one EngineError naming every image that failed (unless ignoreFailures). */
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

  const pulled = await Promise.all(
    [...byImage].map(([image, users]) => pullOne(engine, image, users, options)),
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

async function pullOne(
  engine: Engine,
  image: string,
  users: Service[],
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
    [...policies].every((policy) => policy === "missing" || policy === "if_not_present");
  const present = (await engine.inspectImage(image)) !== undefined;
  if (onlyMissing && present) {
    options.onProgress?.({ resource: title, status: "Exists", detail: "already present, not pulled" });
    return { image, services: names, result: "present" };
  }

  options.onProgress?.({ resource: title, status: "Pulling" });
  try {
    await engine.pullImage(image);
  } catch (error) {
    const reason = (error as Error).message.replace(/^image \S+: /, "");
    const where = unreachable(reason) ? "its registry cannot be reached" : "the pull failed";
    const local = present
      ? "; the copy already present on the engine is kept and used"
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

/** Whether an engine message means the registry could not be reached (as opposed to refused). */
function unreachable(message: string): boolean {
  return /no such host|dial tcp|connection refused|i\/o timeout|network is unreachable|TLS handshake timeout|Client\.Timeout/i.test(
    message,
  );
}
