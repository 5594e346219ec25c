// `!reset` and `!override` in override files and in `extends`, as compose-go applies them: the
// tagged place is removed from the base; `!reset` drops this file's value too, `!override` keeps it.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

const two = (base: string, override: string) =>
  loadOk({ "base.yaml": base, "override.yaml": override }, { files: ["base.yaml", "override.yaml"] });

const BASE = `
  services:
    web:
      image: base
      command: [serve, --port, "80"]
      build:
        context: .
        dockerfile: web.Dockerfile
        args: {A: "1", B: "2"}
      environment: {FOO: foo, BAR: bar}
      ports: ["8080:80"]
      dns: [1.1.1.1]
      labels: {a: "1"}
      x-note: base
  networks:
    front:
      name: front-net
      driver: bridge
      labels: {team: a}
`;

describe("!reset", () => {
  it("removes a scalar, a list, a mapping and a build from the base, whatever the tagged value", async () => {
    const { project } = await two(
      BASE,
      `
        services:
          web:
            command: !reset []
            ports: !reset
            dns: !reset null
            labels: !reset {}
            build: !reset
            x-note: !reset
      `,
    );
    const web = project.services["web"]!;
    expect(web.command).toBeUndefined();
    expect(web.ports).toEqual([]);
    expect(web.dns).toEqual([]);
    expect(web.labels).toEqual({});
    expect(web.build).toBeUndefined();
    expect(web.extensions).toEqual({});
    expect(web.image).toBe("base");
  });

  it("removes one key of a mapping, and a nested field by its written name", async () => {
    const { project } = await two(
      BASE,
      `
        services:
          web:
            environment:
              FOO: !reset
            build:
              dockerfile: !reset
              args: {B: !reset , C: "3"}
      `,
    );
    const web = project.services["web"]!;
    expect(web.environment).toEqual({ BAR: "bar" });
    expect(web.build!.dockerfile).toBeUndefined();
    expect(web.build!.args).toEqual({ A: "1", C: "3" });
  });

  it("removes a whole service or a top-level definition", async () => {
    const { project } = await two(
      BASE.replace("  networks:", "    other:\n      image: other\n  networks:"),
      `
        services:
          web: !reset
        networks:
          front: !reset
      `,
    );
    expect(Object.keys(project.services)).toEqual(["other"]);
    expect(Object.keys(project.networks)).not.toContain("front");
  });

  it("on a list entry drops only this file's entry, as Compose does", async () => {
    const { project } = await two(BASE, "services:\n  web:\n    dns: [!reset 8.8.8.8, 9.9.9.9]\n");
    expect(project.services["web"]!.dns).toEqual(["1.1.1.1", "9.9.9.9"]);
  });

  it("removes the base's label files", async () => {
    const { project } = await loadOk(
      {
        "base.yaml": "services:\n  web:\n    image: x\n    label_file: a.labels\n",
        "override.yaml": "services:\n  web:\n    label_file: !reset\n",
        "a.labels": "a=1\n",
      },
      { files: ["base.yaml", "override.yaml"] },
    );
    expect(project.services["web"]!.labels).toEqual({});
  });

  it("in the first file only drops its value", async () => {
    const { project } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: x\n    user: !reset root\n",
    });
    expect(project.services["web"]!.user).toBeUndefined();
  });
});

describe("!override", () => {
  it("replaces a list, a mapping and a definition instead of merging", async () => {
    const { project } = await two(
      BASE,
      `
        services:
          web:
            ports: !override ["9090:90"]
            environment: !override {ONLY: "1"}
            build: !override
              context: sub
        networks:
          front: !override
            labels: {team: b}
      `,
    );
    const web = project.services["web"]!;
    expect(web.ports.map((port) => [port.published, port.target])).toEqual([["9090", 90]]);
    expect(web.environment).toEqual({ ONLY: "1" });
    expect(web.build!.dockerfile).toBeUndefined();
    expect(web.build!.args).toEqual({});
    expect(web.build!.context).toMatch(/\/sub$/);
    expect(project.networks["front"]!.driver).toBeUndefined();
    expect(project.networks["front"]!.labels).toEqual({ team: "b" });
  });

  it("replaces the whole service", async () => {
    const { project } = await two(BASE, "services:\n  web: !override\n    image: fresh\n");
    const web = project.services["web"]!;
    expect(web.image).toBe("fresh");
    expect(web.command).toBeUndefined();
    expect(web.environment).toEqual({});
  });
});

describe("tags in extends", () => {
  it("apply to the base service, in the same file and in another", async () => {
    const { project } = await loadOk({
      "common.yaml": `
        services:
          base:
            image: common
            command: sleep 1
            environment: {A: "1", B: "2"}
      `,
      "compose.yaml": `
        services:
          init:
            image: alpine
            command: sleep infinity
            dns: [1.1.1.1]
          local:
            extends: init
            command: !reset
            dns: !override [8.8.8.8]
          remote:
            extends: {file: common.yaml, service: base}
            environment:
              A: !reset
      `,
    });
    expect(project.services["local"]!.command).toBeUndefined();
    expect(project.services["local"]!.dns).toEqual(["8.8.8.8"]);
    expect(project.services["init"]!.command).toEqual(["sleep", "infinity"]);
    expect(project.services["remote"]!.environment).toEqual({ B: "2" });
  });
});

describe("tag errors", () => {
  it("an unknown tag is a located YAML error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    user: !rest x\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^compose\.yaml:4:\d+: unknown YAML tag "!rest"; Compose files know !reset and !override/,
    );
  });

  it("an !override value is validated like any value, located at the tag", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: x\n    ports: !override 80\n",
    });
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.ports: must be a list/);
  });
});
