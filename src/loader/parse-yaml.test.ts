// YAML as Compose (go-yaml) reads it: errors with line and column, duplicate keys refused, a
// leading-zero `mode` is octal, but `no` and `22:22` stay strings (CLARIFICATIONS.md 5); merge keys.
import { describe, expect, it } from "vitest";
import { parseYaml } from "./parse-yaml.js";
import { loadFail, loadOk } from "./test-helpers.js";

describe("parseYaml", () => {
  it("returns plain data and the position of each value", () => {
    const { parsed, problems } = parseYaml("c.yaml", "services:\n  web:\n    image: busybox\n");
    expect(problems).toEqual([]);
    expect(parsed!.data).toEqual({ services: { web: { image: "busybox" } } });
    expect(parsed!.written.positions.get("services.web.image")).toMatchObject({ file: "c.yaml", line: 3 });
  });

  it("a syntax error comes back as a problem with line and column", () => {
    const { parsed, problems } = parseYaml("c.yaml", "services:\n  web:\n    image: [busybox\n");
    expect(parsed).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.location).toMatchObject({ file: "c.yaml" });
    expect(problems[0]!.location!.line).toBeGreaterThanOrEqual(3);
  });

  it("reads plain scalars as the core schema does, with go-yaml's octal integers", () => {
    const text = [
      "words: [web, ./data, no, yes, on, 22:22, nulls, True1, '0400']",
      "nulls: [~, null, Null, NULL, '']",
      "bools: [true, True, TRUE, false, False, FALSE, tRUE]",
      "ints: [0, 7, -12, +3, 0400, 0o17, 0x1F, 1_000]",
      "floats: [1.5, -0.25, .5, 1e3, .inf, -.Inf, .NaN]",
      "empty:",
    ].join("\n");
    const data = parseYaml("c.yaml", text).parsed!.data as Record<string, unknown[]>;
    expect(data["words"]).toEqual(["web", "./data", "no", "yes", "on", "22:22", "nulls", "True1", "0400"]);
    expect(data["nulls"]).toEqual([null, null, null, null, ""]);
    expect(data["bools"]).toEqual([true, true, true, false, false, false, "tRUE"]);
    expect(data["ints"]).toEqual([0, 7, -12, 3, 256, 15, 31, 1000]);
    expect(data["floats"]).toEqual([1.5, -0.25, 0.5, 1000, Infinity, -Infinity, NaN]);
    expect(data["empty"]).toBeNull();
  });

  it("explicit tags still convert (!!int, !!str, !!bool, !!null, !!float)", () => {
    const text = 'a: !!int "0400"\nb: !!str 8080\nc: !!bool "true"\nd: !!null null\ne: !!float "2"\n';
    expect(parseYaml("c.yaml", text).parsed!.data).toEqual({ a: 256, b: "8080", c: true, d: null, e: 2 });
  });
});

describe("YAML in compose files", () => {
  it("a syntax error is reported with its file, line and column", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
           ports: ["80"]
      `,
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+\b/);
  });

  it("a tab used for indentation is a syntax error with its position", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n\timage: busybox\n",
    });
    expect(errors[0]).toMatch(/^compose\.yaml:3:\d+\b/);
  });

  it("a duplicate key is an error at the second occurrence", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            environment:
              A: "1"
            image: alpine
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+\b/);
    expect(errors[0]).toMatch(/duplicate|unique|already defined/i);
    // The key itself, so the user knows which one without counting lines.
    expect(errors[0]).toContain('"image"');
  });

  it("a duplicate service name is an error too", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: a
          web:
            image: b
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+\b/);
  });

  it("an unquoted mode with a leading zero is octal (0400 is 256), as go-yaml reads it", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
        services:
          web:
            image: busybox
            secrets:
              - source: s
                mode: 0400
        secrets:
          s:
            environment: S
      `,
      },
      { env: { S: "x" } },
    );
    expect(project.services["web"]!.secrets[0]!.mode).toBe(0o400);
  });

  it("no, yes, on and off stay strings (YAML 1.2 core schema, as go-yaml v3)", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            restart: no
            environment:
              A: no
              B: yes
              C: on
              D: off
              E: true
      `,
    });
    const web = project.services["web"]!;
    expect(web.restart).toBe("no");
    expect(web.environment).toMatchObject({ A: "no", B: "yes", C: "on", D: "off", E: "true" });
  });

  it("22:22 stays a string, not a base-60 number", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports:
              - 22:22
            environment:
              TIME: 22:22
      `,
    });
    const web = project.services["web"]!;
    expect(web.ports).toEqual([{ target: 22, published: "22", protocol: "tcp", mode: "ingress" }]);
    expect(web.environment["TIME"]).toBe("22:22");
  });

  it("merge keys (<<) copy an anchor's mapping, and keys written beside them win", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        x-common: &common
          image: busybox
          environment:
            SHARED: "1"
          restart: always
        services:
          a:
            <<: *common
          b:
            <<: *common
            restart: "on-failure"
      `,
    });
    expect(project.services["a"]!).toMatchObject({ image: "busybox", restart: "always" });
    expect(project.services["a"]!.environment).toMatchObject({ SHARED: "1" });
    expect(project.services["b"]!).toMatchObject({ image: "busybox", restart: "on-failure" });
  });

  it("merge keys accept a list of anchors, the first winning", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        x-a: &a
          image: from-a
        x-b: &b
          image: from-b
          init: true
        services:
          web:
            <<: [*a, *b]
      `,
    });
    expect(project.services["web"]!).toMatchObject({ image: "from-a", init: true });
  });

  it('an empty file is an error naming it, as in Compose ("empty compose file")', async () => {
    const { errors } = await loadFail({ "compose.yaml": "" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("compose.yaml");
  });

  it("a document that is not a mapping is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": "- just\n- a list\n" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:1:1\b/);
    expect(errors[0]).toContain("mapping");
  });
});
