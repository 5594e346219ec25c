// What a failed build says: BuildKit's words, then the Dockerfile line, the failing step's output,
// the secret the service did not grant, or the frontend a `# syntax=` line tried to fetch.
import { describe, expect, it } from "vitest";
import { explainFailure, syntaxDirective, type BuildFailure } from "./explain.js";

const failure = (overrides: Partial<BuildFailure>): BuildFailure => ({
  service: "web",
  message: "boom",
  dockerfileShown: "/p/Dockerfile",
  dockerfileText: "FROM composec-test/busybox:1\nRUN true\n",
  missingSecrets: [],
  ...overrides,
});

describe("explainFailure", () => {
  it("points at the Dockerfile line of a parse error, keeping BuildKit's message", () => {
    const message =
      "failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: FROMM";
    expect(explainFailure(failure({ message, dockerfileText: "FROM a\nRUN true\nFROMM x\n" }))).toBe(
      `service "web": build failed: ${message}\n  --> /p/Dockerfile:3\n  3 | FROMM x`,
    );
  });

  it("shows the failing step's output under the engine's message", () => {
    const text = explainFailure(
      failure({
        message: "executor failed running [/bin/sh -c exit 3]: exit code: 3",
        failedStep: { label: "[web 2/2] RUN exit 3", output: ["out-line", "err-line"] },
      }),
    );
    expect(text).toBe(
      [
        'service "web": build failed: executor failed running [/bin/sh -c exit 3]: exit code: 3',
        "  ------",
        "  > [web 2/2] RUN exit 3:",
        "  out-line",
        "  err-line",
        "  ------",
      ].join("\n"),
    );
  });

  it("names a required secret the service does not grant, and where to grant it", () => {
    const text = explainFailure(
      failure({ message: "secret other not found: not found", missingSecrets: ["other"] }),
    );
    expect(text).toBe(
      'service "web": the Dockerfile needs secret "other" (RUN --mount=type=secret,id=other,required=true), and the service does not grant it; add it to services.web.build.secrets (and define it under top-level secrets:)',
    );
  });

  it("notes a secret that was asked for and not granted when the build failed otherwise", () => {
    const text = explainFailure(failure({ message: "exit code: 1", missingSecrets: ["npmrc"] }));
    expect(text).toContain('note: the build asked for secret "npmrc", which service "web" does not grant');
  });

  it("explains a # syntax= line whose frontend could not be fetched", () => {
    const text = explainFailure(
      failure({
        message:
          'failed to solve with frontend gateway.v0: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": dial tcp: lookup registry-1.docker.io: no such host',
        dockerfileText: "# syntax=docker/dockerfile:1\nFROM a\n",
      }),
    );
    expect(text).toMatch(
      /"# syntax=docker\/dockerfile:1" line makes BuildKit fetch that frontend image from a registry/,
    );
    expect(text).toMatch(/remove the line to use the engine's built-in Dockerfile frontend/);
  });

  it("explains a --pull that could not reach the registry", () => {
    const text = explainFailure(
      failure({
        message:
          'failed to do request: Head "https://registry-1.docker.io/v2/x/manifests/1": dial tcp: lookup registry-1.docker.io: no such host',
        pull: true,
      }),
    );
    expect(text).toContain("--pull (or build.pull) makes BuildKit ask the registry for newer base images");
  });

  it("says nothing of # syntax= when the failure has nothing to do with it", () => {
    const text = explainFailure(
      failure({ message: "exit code: 1", dockerfileText: "# syntax=docker/dockerfile:1\nFROM a\n" }),
    );
    expect(text).not.toMatch(/syntax/);
  });
});

describe("syntaxDirective", () => {
  it.each([
    ["# syntax=docker/dockerfile:1\nFROM a", "docker/dockerfile:1"],
    ["#syntax = docker/dockerfile:1.4 \nFROM a", "docker/dockerfile:1.4"],
    ["# escape=`\n# SYNTAX=x/y\nFROM a", "x/y"],
    ["FROM a\n# syntax=docker/dockerfile:1", undefined],
    ["# a comment\n# syntax=docker/dockerfile:1\nFROM a", undefined],
  ])("%j -> %s", (text, expected) => {
    expect(syntaxDirective(text)).toBe(expected);
  });
});
