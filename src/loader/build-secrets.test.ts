// `build.secrets` (SECRETS-SPEC.md §1): the target is the BuildKit secret id, defaulting to the
// source; absolute targets and uid/gid/mode are refused (Compose drops them silently); every source
// kind works, external included; an undefined reference is an error.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const buildWith = (secrets: string, definitions = "  npm_token:\n    environment: NPM_TOKEN\n") =>
  `services:\n  app:\n    build:\n      context: .\n      secrets:\n${secrets}secrets:\n${definitions}`;

const env = { NPM_TOKEN: "t" };

describe("build secrets", () => {
  it("the short form's target (the secret id) is the source", async () => {
    const { project } = await loadOk({ "compose.yaml": buildWith("        - npm_token\n") }, { env });
    expect(project.services["app"]!.build!.secrets).toEqual([{ source: "npm_token", target: "npm_token" }]);
    // A build secret is not a runtime secret: the container gets nothing.
    expect(project.services["app"]!.secrets).toEqual([]);
  });

  it("the long form's target names the id", async () => {
    const { project } = await loadOk(
      { "compose.yaml": buildWith("        - source: npm_token\n          target: npmrc\n") },
      { env },
    );
    expect(project.services["app"]!.build!.secrets).toEqual([{ source: "npm_token", target: "npmrc" }]);
  });

  it("file, environment and external sources all work", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": buildWith(
          "        - a\n        - b\n        - c\n",
          "  a:\n    file: ./a.txt\n  b:\n    environment: NPM_TOKEN\n  c:\n    external: true\n",
        ),
        "a.txt": "a",
      },
      { env },
    );
    expect(project.services["app"]!.build!.secrets.map((s) => s.source)).toEqual(["a", "b", "c"]);
  });

  it("an absolute target is an error quoting it", async () => {
    const { errors } = await loadFail(
      { "compose.yaml": buildWith("        - source: npm_token\n          target: /run/secrets/npm\n") },
      { env },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ services\.app\.build\.secrets\[0\]\.target: /);
    expect(errors[0]).toContain('"/run/secrets/npm"');
  });

  it.each(["uid: '1000'", "gid: '1000'", "mode: 0400"])("%s on a build secret is an error", async (line) => {
    const field = line.split(":")[0]!;
    const { errors } = await loadFail(
      { "compose.yaml": buildWith(`        - source: npm_token\n          ${line}\n`) },
      { env },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(`^compose\\.yaml:7:\\d+ services\\.app\\.build\\.secrets\\[0\\]\\.${field}: `),
    );
  });

  it("an undefined secret is an error naming the build and the secret", async () => {
    const { errors } = await loadFail({ "compose.yaml": buildWith("        - npm_tokn\n") }, { env });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.app\.build\.secrets\[0\]/);
    expect(errors[0]).toContain('"npm_tokn"');
    expect(errors[0]).toContain('did you mean "npm_token"');
  });

  it("an environment build secret whose variable is unset is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": buildWith("        - npm_token\n") });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets\.npm_token\.environment: /);
    expect(errors[0]).toContain("NPM_TOKEN");
  });

  it("two build secrets with the same id are an error", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": buildWith(
          "        - npm_token\n        - source: other\n          target: npm_token\n",
          "  npm_token:\n    environment: NPM_TOKEN\n  other:\n    environment: NPM_TOKEN\n",
        ),
      },
      { env },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.app.build.secrets[1]");
    expect(errors[0]).toContain('"npm_token"');
  });
});
