// The newer `build:` attributes: typed, merged, printed so that `config` of `config` is the same,
// and the ones POST /build (Engine API 1.41) cannot carry named by unsupportedBuildAttributes.
import { describe, expect, it } from "vitest";
import { unsupportedBuildAttributes } from "../build/build.js";
import { formatLocation } from "../errors.js";
import { sourcesOf } from "./source-map.js";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { loadFail, loadOk } from "./test-helpers.js";

const written = `
  services:
    app:
      build:
        context: .
        platforms: [linux/amd64, linux/arm64]
        ulimits: {nofile: {soft: 10, hard: 20}}
        isolation: default
        privileged: true
        entitlements: [network.host]
        ssh: {default: null, key: ./id}
        cache_to: [type=local,dest=/tmp/c]
        additional_contexts: {base: ../base}
        provenance: mode=max
        sbom: false
        no_cache_filter: stage1
`;

describe("newer build attributes", () => {
  it("are read, printed and read back the same", async () => {
    const first = await loadOk({ "compose.yaml": written });
    const build = first.project.services["app"]!.build!;
    expect(build.ssh).toEqual(["default", "key=./id"]);
    expect(build.noCacheFilter).toEqual(["stage1"]);
    expect(build.ulimits).toEqual({ nofile: { soft: 10, hard: 20 } });
    const text = toYamlText(toComposeDocument(first.project));
    const second = await loadOk({ "compose.yaml": text });
    expect(toYamlText(toComposeDocument(second.project))).toBe(text);
  });

  it("what POST /build cannot carry is named, each with what it needs", async () => {
    const { project } = await loadOk({ "compose.yaml": written });
    const problems = unsupportedBuildAttributes(project.services["app"]!, sourcesOf(project));
    expect(problems.map((problem) => problem.path)).toEqual([
      "services.app.build.additional_contexts",
      "services.app.build.entitlements",
      "services.app.build.privileged",
      "services.app.build.ssh",
      "services.app.build.cache_to",
      "services.app.build.provenance",
      "services.app.build.no_cache_filter",
      "services.app.build.ulimits",
      "services.app.build.platforms",
    ]);
    // Each names where it was written: the build refuses long after loading.
    expect(
      problems.map((problem) => /compose\.yaml:(\d+):/.exec(formatLocation(problem.location))?.[1]),
    ).toEqual(["12", "9", "8", "10", "11", "13", "15", "6", "5"]);
  });

  it("a wrong form is a located error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      platforms: linux/amd64\n",
    });
    expect(errors).toEqual([
      'compose.yaml:5:18 services.app.build.platforms: must be a list of strings, not "linux/amd64"',
    ]);
  });
});
