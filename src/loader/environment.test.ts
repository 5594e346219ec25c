// `environment` and `env_file`: a list of NAME=value, a mapping, a bare name taking its value from
// the shell or .env, and env files under the values written in the compose file.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("environment", () => {
  it("a list of NAME=value; the value may contain '=' and be empty", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            environment:
              - A=1
              - URL=a=b
              - EMPTY=
      `,
    });
    expect(project.services["web"]!.environment).toEqual({ A: "1", URL: "a=b", EMPTY: "" });
  });

  it("a mapping; numbers and booleans become strings", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            environment:
              A: 1
              B: true
              C: "text"
              D: 1.5
      `,
    });
    expect(project.services["web"]!.environment).toEqual({ A: "1", B: "true", C: "text", D: "1.5" });
  });

  it("a bare name takes its value from the shell or .env; unset, it has none", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              environment:
                - FROM_SHELL
                - FROM_DOTENV
                - NOWHERE
            api:
              image: busybox
              environment:
                FROM_SHELL:
                NOWHERE:
        `,
        ".env": "FROM_DOTENV=dotenv\n",
      },
      { env: { FROM_SHELL: "shell" } },
    );
    expect(project.services["web"]!.environment).toEqual({
      FROM_SHELL: "shell",
      FROM_DOTENV: "dotenv",
      NOWHERE: null,
    });
    expect(project.services["api"]!.environment).toEqual({ FROM_SHELL: "shell", NOWHERE: null });
  });

  it("env_file values are read, and environment wins over them", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            env_file: ./web.env
            environment:
              BOTH: from-compose
      `,
      "web.env": "BOTH=from-file\nONLY_FILE=yes\n",
    });
    expect(project.services["web"]!.environment).toEqual({ BOTH: "from-compose", ONLY_FILE: "yes" });
  });

  it("a missing env_file is an error unless required: false", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    env_file: [./missing.env]\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.env_file");
    expect(errors[0]).toContain("missing.env");
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            env_file:
              - path: ./missing.env
                required: false
      `,
    });
    expect(project.services["web"]!.environment).toEqual({});
  });

  it("a bad line in an env_file is an error with its file and line", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    env_file: ./web.env\n",
      "web.env": "A=1\nB='unclosed\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^web\.env:2(:\d+)?\b/);
  });
});
