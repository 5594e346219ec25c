// Interpolation: every form of SECRETS-SPEC.md §1, as docker compose substitutes them, on strings
// alone and through the loader (where a failure must name the file, line and path).
import { describe, expect, it } from "vitest";
import { interpolateData, interpolateString, InterpolationError } from "./interpolate.js";
import { loadFail, loadOk } from "./test-helpers.js";

const vars: Record<string, string> = { SET: "value", EMPTY: "", OTHER: "other" };
const lookup = (name: string) => vars[name];
const sub = (text: string) => interpolateString(text, lookup);

describe("interpolateString", () => {
  it("substitutes ${VAR} and $VAR, and an unset variable as the empty string", () => {
    expect(sub("a ${SET} b")).toBe("a value b");
    expect(sub("a $SET b")).toBe("a value b");
    expect(sub("$SET.txt")).toBe("value.txt");
    expect(sub("${UNSET}")).toBe("");
    expect(sub("x${EMPTY}y")).toBe("xy");
  });

  it("${VAR:-default} uses the default when the variable is unset or empty", () => {
    expect(sub("${SET:-d}")).toBe("value");
    expect(sub("${EMPTY:-d}")).toBe("d");
    expect(sub("${UNSET:-d}")).toBe("d");
    expect(sub("${UNSET:-}")).toBe("");
  });

  it("${VAR-default} uses the default only when the variable is unset", () => {
    expect(sub("${SET-d}")).toBe("value");
    expect(sub("${EMPTY-d}")).toBe("");
    expect(sub("${UNSET-d}")).toBe("d");
  });

  it("${VAR:?message} fails when the variable is unset or empty, with the message", () => {
    expect(sub("${SET:?need it}")).toBe("value");
    expect(() => sub("${UNSET:?need UNSET}")).toThrow(InterpolationError);
    expect(() => sub("${UNSET:?need UNSET}")).toThrow(/UNSET.*need UNSET/);
    expect(() => sub("${EMPTY:?need EMPTY}")).toThrow(/EMPTY.*need EMPTY/);
  });

  it("${VAR?message} fails only when the variable is unset", () => {
    expect(sub("${SET?m}")).toBe("value");
    expect(sub("${EMPTY?m}")).toBe("");
    expect(() => sub("${UNSET?must be set}")).toThrow(/UNSET.*must be set/);
  });

  it("${VAR:+alt} gives the alternative when the variable is set and not empty", () => {
    expect(sub("${SET:+alt}")).toBe("alt");
    expect(sub("${EMPTY:+alt}")).toBe("");
    expect(sub("${UNSET:+alt}")).toBe("");
  });

  it("${VAR+alt} gives the alternative when the variable is set, even empty", () => {
    expect(sub("${SET+alt}")).toBe("alt");
    expect(sub("${EMPTY+alt}")).toBe("alt");
    expect(sub("${UNSET+alt}")).toBe("");
  });

  it("$$ is a literal $ and is not substituted further", () => {
    expect(sub("$$")).toBe("$");
    expect(sub("$${SET}")).toBe("${SET}");
    expect(sub("$$SET")).toBe("$SET");
    expect(sub("cost: 5$$")).toBe("cost: 5$");
  });

  it("substitutes inside defaults and alternatives (nested)", () => {
    expect(sub("${UNSET:-${OTHER}}")).toBe("other");
    expect(sub("${UNSET:-${ALSO_UNSET:-deep}}")).toBe("deep");
    expect(sub("${SET:+${OTHER}-x}")).toBe("other-x");
    expect(sub("${UNSET:-a}/${SET}")).toBe("a/value");
  });

  it("refuses an unterminated ${ and a malformed name", () => {
    expect(() => sub("${SET")).toThrow(InterpolationError);
    expect(() => sub("prefix ${UNSET:-x")).toThrow(/invalid interpolation format/);
    expect(() => sub("${}")).toThrow(InterpolationError);
    expect(() => sub("${1ABC}")).toThrow(InterpolationError);
  });
});

describe("interpolateData", () => {
  it("interpolates string values at any depth, not keys, and reports every failure with its path", () => {
    const { data, problems } = interpolateData(
      { services: { "${SET}": { image: "${SET}", command: ["${OTHER}", "${UNSET:?x}"] } }, n: 5 },
      lookup,
    );
    expect(data).toEqual({
      services: { "${SET}": { image: "value", command: ["other", "${UNSET:?x}"] } },
      n: 5,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe("services.${SET}.command[1]");
  });
});

describe("interpolation in compose files", () => {
  it("substitutes every form from the shell environment", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          services:
            web:
              image: "busybox:\${TAG:-1}"
              environment:
                A: \${SET}
                B: \${EMPTY-unused}
                C: \${UNSET:+alt}
                D: \${SET+alt}
                E: "$$HOME"
                F: \${UNSET:-\${SET}}
        `,
      },
      { env: { SET: "v", EMPTY: "" } },
    );
    expect(project.services["web"]!.image).toBe("busybox:1");
    expect(project.services["web"]!.environment).toMatchObject({
      A: "v",
      B: "",
      C: "",
      D: "alt",
      E: "$HOME",
      F: "v",
    });
  });

  it("a required variable that is unset is an error naming the file, line, path and message", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            environment:
              TOKEN: \${TOKEN:?set TOKEN to your API token}
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.environment\.TOKEN: /);
    expect(errors[0]).toContain("TOKEN");
    expect(errors[0]).toContain("set TOKEN to your API token");
  });

  it("an unterminated ${ is an error with its position", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: "busybox:\${TAG"
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:3:\d+ services\.web\.image: /);
    expect(errors[0]).toContain("${TAG");
  });

  it("reports every failed substitution of a file in one run", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: \${IMAGE:?no image}
            user: \${USER_ID?no user}
            working_dir: "\${BROKEN"
      `,
    });
    expect(errors).toHaveLength(3);
    expect(errors.join("\n")).toContain("services.web.image");
    expect(errors.join("\n")).toContain("services.web.user");
    expect(errors.join("\n")).toContain("services.web.working_dir");
  });
});
