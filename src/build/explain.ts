// A failed build's message: BuildKit's own words first, then what it means for this project (the
// Dockerfile line, the failing step's output, the secret the service did not grant, the frontend
// BuildKit tried to fetch). Pure, so each case is a unit test.

export interface BuildFailure {
  service: string;
  /** The engine's error, as it reported it. */
  message: string;
  /** The Dockerfile's path (or `dockerfile_inline`) and text. */
  dockerfileShown: string;
  dockerfileText: string;
  /** Secret ids BuildKit asked for that the service does not grant. */
  missingSecrets: string[];
  /** The step that failed, with its last lines of output. */
  failedStep?: { label: string; output: string[] };
  /** Whether the build was asked to look for newer base images (`--pull`, `build.pull`). */
  pull?: boolean;
}

/** The message a failed build is reported with. */
export function explainFailure(failure: BuildFailure): string {
  const { service, message } = failure;
  const lines: string[] = [];

  const notFound = /secret (\S+) not found/.exec(message)?.[1];
  if (notFound !== undefined) {
    return (
      `service "${service}": the Dockerfile needs secret "${notFound}" (RUN --mount=type=secret,id=${notFound},required=true), ` +
      `and the service does not grant it; add it to services.${service}.build.secrets (and define it under top-level secrets:)`
    );
  }

  lines.push(`service "${service}": build failed: ${message}`);

  const parseLine = /dockerfile parse error (?:on )?line (\d+)/i.exec(message)?.[1];
  if (parseLine !== undefined) {
    const number = Number(parseLine);
    const text = failure.dockerfileText.split(/\r?\n/)[number - 1];
    lines.push(`  --> ${failure.dockerfileShown}:${number}`);
    if (text !== undefined) lines.push(`  ${number} | ${text}`);
  }

  const syntax = syntaxDirective(failure.dockerfileText);
  const registry = /failed to do request|registry|dial tcp|lookup |pull access denied|manifest unknown/i.test(
    message,
  );
  if (syntax !== undefined && (registry || /frontend|gateway/i.test(message))) {
    lines.push(
      `  the Dockerfile's "# syntax=${syntax}" line makes BuildKit fetch that frontend image from a registry, and that failed;` +
        " remove the line to use the engine's built-in Dockerfile frontend, or load the image into the engine first",
    );
  }

  if (failure.pull && syntax === undefined && registry) {
    lines.push(
      "  --pull (or build.pull) makes BuildKit ask the registry for newer base images, and that failed; without it, a base image the engine has is used as it is",
    );
  }

  if (failure.failedStep !== undefined && failure.failedStep.output.length > 0 && parseLine === undefined) {
    lines.push("  ------", `  > ${failure.failedStep.label}:`);
    for (const line of failure.failedStep.output) lines.push(`  ${line}`);
    lines.push("  ------");
  }

  for (const id of failure.missingSecrets) {
    lines.push(
      `  note: the build asked for secret "${id}", which service "${service}" does not grant (services.${service}.build.secrets); its RUN step ran without it`,
    );
  }
  return lines.join("\n");
}

/**
 * The value of a `# syntax=` parser directive, if the Dockerfile starts with one. Directives are
 * comments at the very top; the first line that is not one ends them (as BuildKit reads them).
 */
export function syntaxDirective(dockerfile: string): string | undefined {
  for (const line of dockerfile.split(/\r?\n/)) {
    const directive = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (directive === null) return undefined;
    if (directive[1]!.toLowerCase() === "syntax") return directive[2];
  }
  return undefined;
}
