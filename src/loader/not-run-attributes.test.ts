// `develop`, `models` and `provider`: composec does not run them, but they are typed (located
// errors), kept as written and printed by `config`, each with a warning saying it is not run.
import { describe, expect, it } from "vitest";
import { toComposeDocument } from "../model/to-compose.js";
import { toYamlText } from "../model/yaml-text.js";
import { loadFail, loadOk } from "./test-helpers.js";

const written = `
  services:
    web:
      image: x
      develop:
        watch:
          - path: ./src
            action: sync+exec
            target: /app/src
            exec: {command: [kill, "-HUP", "1"]}
      models:
        llm: {endpoint_var: LLM_URL}
  models:
    llm:
      model: ai/smollm2
`;

describe("develop, models, provider", () => {
  it("are kept, printed (config of config is the same) and warned about", async () => {
    const first = await loadOk({ "compose.yaml": written });
    const web = first.project.services["web"]!;
    expect(web.develop).toEqual({
      watch: [
        { path: "./src", action: "sync+exec", target: "/app/src", exec: { command: ["kill", "-HUP", "1"] } },
      ],
    });
    expect(web.models).toEqual({ llm: { endpoint_var: "LLM_URL" } });
    expect(first.warnings).toEqual([
      'compose.yaml:12:1 models: composec does not run "models" (AI models for a model runner (Docker Model Runner)); it is ignored',
      'compose.yaml:4:5 services.web.develop: composec does not run "develop" (watch rules for `compose watch`, a command composec does not have); it is ignored',
      'compose.yaml:10:5 services.web.models: composec does not run "models" (AI models for a model runner (Docker Model Runner)); it is ignored',
    ]);
    expect(first.project.models).toEqual({ llm: { model: "ai/smollm2" } });
    const text = toYamlText(toComposeDocument(first.project));
    expect(text).toContain("develop:");
    expect(text).toContain("\nmodels:\n  llm:\n    model: ai/smollm2\n");
    const second = await loadOk({ "compose.yaml": text });
    expect(toYamlText(toComposeDocument(second.project))).toBe(text);
  });

  it("top-level models merge by key across files, print in canonical order and read back the same", async () => {
    const { project, warnings } = await loadOk(
      {
        "a.yaml": `
services:
  web: {image: x}
models:
  llm: {runtime_flags: ["--a"], model: ai/a, x-note: kept}
  gone: {model: ai/gone}
  embed: {model: ai/e, context_size: 512}
`,
        "b.yaml": `
models:
  llm: {model: ai/b, name: small}
  gone: !reset null
`,
      },
      { files: ["a.yaml", "b.yaml"] },
    );
    expect(project.models).toEqual({
      llm: { model: "ai/b", name: "small", runtime_flags: ["--a"], "x-note": "kept" },
      embed: { model: "ai/e", context_size: 512 },
    });
    expect(warnings.filter((warning) => warning.includes(" models:"))).toHaveLength(2);
    const text = toYamlText(toComposeDocument(project));
    expect(text.slice(text.indexOf("models:"))).toBe(
      [
        "models:",
        "  embed:",
        "    model: ai/e",
        "    context_size: 512",
        "  llm:",
        "    model: ai/b",
        "    name: small",
        "    runtime_flags:",
        '      - "--a"',
        "    x-note: kept",
        "",
      ].join("\n"),
    );
    const again = await loadOk({ "compose.yaml": text });
    expect(again.project.models).toEqual(project.models);
    expect(toYamlText(toComposeDocument(again.project))).toBe(text);
  });

  it("later files append watch rules", async () => {
    const { project } = await loadOk(
      {
        "a.yaml": "services:\n  web:\n    image: x\n    develop: {watch: [{path: a, action: rebuild}]}\n",
        "b.yaml": "services:\n  web:\n    develop: {watch: [{path: b, action: restart}]}\n",
      },
      { files: ["a.yaml", "b.yaml"] },
    );
    expect(
      (project.services["web"]!.develop!["watch"] as { path: string }[]).map((rule) => rule.path),
    ).toEqual(["a", "b"]);
  });

  it("wrong forms are located errors", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: x
            develop:
              watch: [{path: a, action: copy}]
            provider: {options: {a: 1}}
        models:
          llm: {name: x}
      `,
    });
    expect(errors).toEqual([
      'compose.yaml:5:33 services.web.develop.watch[0].action: must be rebuild, sync, restart, sync+restart or sync+exec, not "copy"',
      "compose.yaml:6:5 services.web.provider.type: is required",
      "compose.yaml:8:3 models.llm.model: is required",
    ]);
  });
});
