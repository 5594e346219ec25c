// The Dockerfiles of the checked services' builds: secret values anywhere in them (CS001), and in
// ENV, ARG and RUN the credential patterns (CS002-CS005), credential names with literal values
// (CS006) and ARGs named like credentials (CS007). Each Dockerfile is read once, however many
// services build from it.
import { finding, projectRelative, type Context } from "./context.js";
import { readDockerfile, type DockerInstruction } from "./dockerfile.js";
import { dockerfilePath, inlineDockerfileKey } from "./input.js";
import { maskedPreview, previewOf } from "./mask.js";
import { findCredentials, isCredentialName, isInterpolated, isLiteralCredentialValue } from "./patterns.js";
import type { Location } from "../errors.js";

export interface ReadDockerfile {
  /** The file (absolute), or the inline Dockerfile's key. */
  file: string;
  /** Where findings point: the file, or (inline) the service's build in the compose file. */
  shown: string;
  instructions: DockerInstruction[];
  /** An inline Dockerfile has no lines of its own: findings point at `dockerfile_inline`. */
  inlineAt?: Location;
}

/** Reads each checked service's Dockerfile once; by service name. */
export function readDockerfiles(context: Context, services: string[]): Map<string, ReadDockerfile> {
  const { project, input } = context;
  const byFile = new Map<string, ReadDockerfile>();
  const byService = new Map<string, ReadDockerfile>();
  for (const name of services) {
    const build = project.services[name]!.build;
    if (!build) continue;
    const file = dockerfilePath(build) ?? inlineDockerfileKey(name);
    let read = byFile.get(file);
    if (!read) {
      const text = input.texts.get(file);
      if (text === undefined) continue;
      const inlineAt =
        build.dockerfileInline !== undefined
          ? input.sources.locate(project.services[name]!, ["build", "dockerfile_inline"])
          : undefined;
      read = {
        file,
        shown:
          build.dockerfileInline !== undefined
            ? `services.${name}.build.dockerfile_inline`
            : projectRelative(project, file),
        instructions: readDockerfile(text),
        ...(inlineAt ? { inlineAt } : {}),
      };
      byFile.set(file, read);
      checkDockerfile(context, read, text);
    }
    byService.set(name, read);
  }
  return byService;
}

function checkDockerfile(context: Context, dockerfile: ReadDockerfile, text: string): void {
  const at = (line: number, column: number): Location =>
    dockerfile.inlineAt ?? { file: dockerfile.file, line, column };
  const reported = new Set<number>();
  // Secret values anywhere in the file, one finding per line.
  if (!context.values.empty) {
    const bytes = Buffer.from(text, "utf8");
    for (const hit of context.values.findAll(bytes)) {
      const line = countLines(bytes, hit.offset);
      if (reported.has(line)) continue;
      reported.add(line);
      const instruction = instructionAt(dockerfile.instructions, line);
      context.report(
        finding(
          "CS001",
          at(line, 1),
          `${dockerfile.shown} ${instruction ?? "line"} holds secret ${hit.key}`,
          `${dockerfile.shown}:${line}: ${instruction ?? "a line"} holds the value of secret "${hit.key}": ${previewOf(bytes, hit)}`,
        ),
      );
    }
  }
  let runs = 0;
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword === "RUN") {
      runs++;
      if (reported.has(instruction.line)) continue;
      const credential = findCredentials(instruction.text)[0];
      if (!credential) continue;
      context.report(
        finding(
          credential.rule,
          at(instruction.line, instruction.column),
          `${dockerfile.shown} RUN #${runs}`,
          `${dockerfile.shown}:${instruction.line}: RUN holds a ${credential.kind}: ${maskedPreview(credential.value)}`,
        ),
      );
      continue;
    }
    if (instruction.keyword !== "ENV" && instruction.keyword !== "ARG") continue;
    for (const property of instruction.properties) {
      if (reported.has(property.line)) continue;
      const where = `${dockerfile.shown} ${instruction.keyword} ${property.name}`;
      const location = at(property.line, property.column);
      const value = property.value;
      const literal = value !== undefined && !isInterpolated(value);
      const credential = literal ? findCredentials(value)[0] : undefined;
      if (credential) {
        context.report(
          finding(
            credential.rule,
            location,
            where,
            `${where} holds a ${credential.kind}: ${maskedPreview(credential.value)}`,
          ),
        );
      } else if (literal && isCredentialName(property.name) && isLiteralCredentialValue(value)) {
        context.report(
          finding("CS006", location, where, `${where} has a literal value: ${maskedPreview(value)}`),
        );
      } else if (instruction.keyword === "ARG" && isCredentialName(property.name)) {
        context.report(
          finding(
            "CS007",
            location,
            where,
            `${where}: a build argument named like a credential; build arguments stay in the image's history`,
          ),
        );
      }
    }
  }
}

/** The instruction (`ENV`, `RUN`...) written at or above `line`, for messages. */
function instructionAt(instructions: DockerInstruction[], line: number): string | undefined {
  let found: DockerInstruction | undefined;
  for (const instruction of instructions) if (instruction.line <= line) found = instruction;
  if (!found) return undefined;
  const property = found.properties.find((p) => p.line === line) ?? found.properties[0];
  return property ? `${found.keyword} ${property.name}` : found.keyword;
}

function countLines(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let index = bytes.indexOf(0x0a); index >= 0 && index < offset; index = bytes.indexOf(0x0a, index + 1))
    line++;
  return line;
}
