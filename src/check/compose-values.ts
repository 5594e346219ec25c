// Values written in the compose files and env files: a declared secret's value copied elsewhere
// (CS001), credential patterns (CS002-CS005), credential names with literal values (CS006), and
// build arguments named like credentials (CS007).
import type { Service } from "../model/project.js";
import type { PathSegment } from "../loader/paths.js";
import { finding, projectRelative, type Context } from "./context.js";
import { envLines } from "./input.js";
import { locateEntry } from "./locate.js";
import { maskedPreview, previewOf } from "./mask.js";
import { findCredentials, isCredentialName, isInterpolated, isLiteralCredentialValue } from "./patterns.js";

/** Checks the values of the services' environment, command, labels and build args, and the env files. */
export function checkComposeValues(context: Context, services: string[]): void {
  const { project } = context;
  for (const name of services) {
    const service = project.services[name]!;
    const fromEnvFiles = envFileNames(context, service);
    for (const [key, value] of Object.entries(service.environment)) {
      if (value === null) continue;
      checkEntry(context, service, ["environment", key], key, value, fromEnvFiles.has(key));
    }
    for (const [key, value] of Object.entries(service.build?.args ?? {})) {
      checkEntry(context, service, ["build", "args", key], key, value, false, true);
    }
    for (const [key, value] of Object.entries(service.labels)) {
      checkSecretValue(context, service, ["labels", key], value);
    }
    for (const field of ["command", "entrypoint"] as const) {
      (service[field] ?? []).forEach((word, index) =>
        checkSecretValue(context, service, [field, index], word),
      );
    }
    (service.healthcheck?.test ?? []).forEach((word, index) =>
      checkSecretValue(context, service, ["healthcheck", "test", index], word),
    );
  }
  checkEnvFiles(context, services);
}

function envFileNames(context: Context, service: Service): Set<string> {
  const names = new Set<string>();
  for (const file of service.envFiles) {
    for (const line of envLines(context.input.texts.get(file.path) ?? "")) names.add(line.name);
  }
  return names;
}

function where(service: Service, segments: PathSegment[]): string {
  return ["services", service.name, ...segments].map(String).join(".");
}

/** Reports a secret's value inside `value`; true when one was. */
function checkSecretValue(
  context: Context,
  service: Service,
  segments: PathSegment[],
  value: string | null,
): boolean {
  if (value === null || context.values.empty) return false;
  const hit = context.values.find(value);
  if (!hit) return false;
  const written = locateEntry(context.input.sources, service, segments);
  if (!written) return false;
  const interpolated = isInterpolated(written.text);
  context.report(
    finding(
      "CS001",
      written.location,
      where(service, segments),
      `${where(service, segments)} holds the value of secret "${hit.key}"${interpolated ? " (through interpolation)" : ""}: ${previewOf(value, hit)}`,
    ),
  );
  return true;
}

function checkEntry(
  context: Context,
  service: Service,
  segments: PathSegment[],
  key: string,
  value: string | null,
  fromEnvFile: boolean,
  buildArg = false,
): void {
  // Decided on the value first: positions in the file are worked out only for a finding.
  const credential = value === null ? undefined : findCredentials(value)[0];
  const warnings = !context.input.errorsOnly;
  const named = warnings && value !== null && isCredentialName(key) && isLiteralCredentialValue(value);
  const secret = value === null || context.values.empty ? undefined : context.values.find(value);
  const argument = warnings && buildArg && isCredentialName(key);
  if (!credential && !named && !secret && !argument) return;
  const written = locateEntry(context.input.sources, service, segments);
  // A variable an env_file set (and the compose file does not) is checked in that env file.
  if (!written || (fromEnvFile && !written.exact)) return;
  if (secret && checkSecretValue(context, service, segments, value)) return;
  const path = where(service, segments);
  const literal = value !== null && !isInterpolated(written.text);
  if (literal && credential) {
    context.report(
      finding(
        credential.rule,
        written.location,
        path,
        `${path} holds a ${credential.kind}: ${maskedPreview(credential.value)}`,
      ),
    );
    return;
  }
  if (literal && named) {
    context.report(
      finding("CS006", written.location, path, `${path} has a literal value: ${maskedPreview(value)}`),
    );
    return;
  }
  if (argument) {
    context.report(
      finding(
        "CS007",
        written.location,
        path,
        `build argument ${key} is named like a credential; build arguments stay in the image's history`,
      ),
    );
  }
}

/** The env files: the project's variable files and the services' env_file entries. */
function checkEnvFiles(context: Context, services: string[]): void {
  if (context.values.empty) return;
  const { project, input } = context;
  // The line that defines an `environment` secret's own variable is its source, not a copy.
  const sourceVariables = new Map<string, string>();
  for (const [key, definition] of Object.entries(project.secrets)) {
    if (definition.source.kind === "environment") sourceVariables.set(definition.source.variable, key);
  }
  const files = new Set<string>(input.variableFiles);
  for (const name of services) for (const file of project.services[name]!.envFiles) files.add(file.path);
  for (const file of files) {
    const isVariableFile = input.variableFiles.includes(file);
    const shown = projectRelative(project, file);
    for (const line of envLines(input.texts.get(file) ?? "")) {
      const hit = context.values.find(line.value);
      if (!hit) continue;
      if (isVariableFile && sourceVariables.get(line.name) === hit.key) continue;
      context.report(
        finding(
          "CS001",
          { file, line: line.line, column: line.column },
          `${shown} ${line.name}`,
          `${shown}: ${line.name} holds the value of secret "${hit.key}": ${previewOf(line.value, hit)}`,
        ),
      );
    }
  }
}
