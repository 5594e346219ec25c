// Which files make up a project and what it is called, as `docker compose` decides: -f, then
// COMPOSE_FILE, then compose.yaml & co in the working directory or its parents (with the override
// file); the name from -p, COMPOSE_PROJECT_NAME, `name:`, or the directory.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeProjectName } from "./discover.js";
import { expectFail, expectOk, loadFail, loadIn, loadOk, writeProject } from "./test-helpers.js";

const service = (image: string) => `services:\n  web:\n    image: ${image}\n`;

describe("compose file discovery", () => {
  it("prefers compose.yaml over docker-compose.yml", async () => {
    const { project, dir } = await loadOk({
      "docker-compose.yml": service("from-docker-compose"),
      "compose.yaml": service("from-compose"),
    });
    expect(project.services["web"]!.image).toBe("from-compose");
    expect(project.composeFiles).toEqual([join(dir, "compose.yaml")]);
  });

  it("finds docker-compose.yml when it is the only one", async () => {
    const { project } = await loadOk({ "docker-compose.yml": service("legacy") });
    expect(project.services["web"]!.image).toBe("legacy");
  });

  it("merges compose.override.yaml over compose.yaml", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: base\n    environment: {A: a}\n",
      "compose.override.yaml": "services:\n  web:\n    image: override\n    environment: {B: b}\n",
    });
    expect(project.services["web"]!.image).toBe("override");
    expect(project.services["web"]!.environment).toMatchObject({ A: "a", B: "b" });
    expect(project.composeFiles).toEqual([join(dir, "compose.yaml"), join(dir, "compose.override.yaml")]);
  });

  it("merges docker-compose.override.yml over docker-compose.yml", async () => {
    const { project } = await loadOk({
      "docker-compose.yml": service("base"),
      "docker-compose.override.yml": service("override"),
    });
    expect(project.services["web"]!.image).toBe("override");
  });

  it("does not read the override file when -f is given", async () => {
    const { project } = await loadOk(
      { "compose.yaml": service("base"), "compose.override.yaml": service("override") },
      { files: ["compose.yaml"] },
    );
    expect(project.services["web"]!.image).toBe("base");
  });

  it("searches the parent directories, and the project directory is the file's", async () => {
    const dir = writeProject({ "compose.yaml": service("parent"), "deep/er/.keep": "" });
    const { project } = expectOk(await loadIn(dir, { cwd: "deep/er" }));
    expect(project.services["web"]!.image).toBe("parent");
    expect(project.workingDir).toBe(dir);
  });

  it("a missing -f file is an error naming it", async () => {
    const { errors } = await loadFail({ "compose.yaml": service("x") }, { files: ["nope.yaml"] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("nope.yaml");
    expect(errors[0]).toMatch(/not found|does not exist|no such/i);
  });

  it("an -f path that is a directory is an error naming it", async () => {
    const { errors } = await loadFail({ "compose.yaml": service("x"), "sub/.keep": "" }, { files: ["sub"] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("sub");
    expect(errors[0]).toContain("directory");
  });

  it("no compose file anywhere is an error that says what was looked for", async () => {
    // An empty directory deep enough that no parent holds a compose file of a real project.
    const dir = writeProject({});
    mkdirSync(join(dir, "empty"));
    const { errors } = expectFail(await loadIn(dir, { cwd: "empty" }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("compose.yaml");
  });

  it("reads COMPOSE_FILE (separated by ':') when no -f is given", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": service("ignored"),
        "a.yaml": "services:\n  web:\n    image: a\n    environment: {A: a}\n",
        "b.yaml": "services:\n  web:\n    environment: {B: b}\n",
      },
      { env: { COMPOSE_FILE: "a.yaml:b.yaml" } },
    );
    expect(project.services["web"]!.image).toBe("a");
    expect(project.services["web"]!.environment).toMatchObject({ A: "a", B: "b" });
  });

  it("-f wins over COMPOSE_FILE", async () => {
    const { project } = await loadOk(
      { "a.yaml": service("a"), "b.yaml": service("b") },
      { files: ["b.yaml"], env: { COMPOSE_FILE: "a.yaml" } },
    );
    expect(project.services["web"]!.image).toBe("b");
  });

  it("reads -f - from standard input, relative paths against the working directory", async () => {
    const { project, dir } = await loadOk(
      { "s.txt": "x" },
      {
        files: ["-"],
        readStdin: async () =>
          "services:\n  web:\n    image: stdin\n    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\n",
      },
    );
    expect(project.services["web"]!.image).toBe("stdin");
    expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(dir, "s.txt") });
  });
});

describe("project name", () => {
  it("is the directory's name, normalised", async () => {
    const dir = writeProject({ "My Project.v2/compose.yaml": service("x") });
    const { project } = expectOk(await loadIn(dir, { cwd: "My Project.v2" }));
    expect(project.name).toBe("myprojectv2");
  });

  it("normalises as Compose does", () => {
    expect(normalizeProjectName("My_App-1")).toBe("my_app-1");
    expect(normalizeProjectName("_.-lead")).toBe("lead");
    expect(normalizeProjectName("Ünïcode App")).toBe("ncodeapp");
  });

  it("top-level name: wins over the directory, normalised", async () => {
    const { project } = await loadOk({ "compose.yaml": `name: My.App\n${service("x")}` });
    expect(project.name).toBe("myapp");
  });

  it("name: may be interpolated", async () => {
    const { project } = await loadOk(
      { "compose.yaml": `name: app-\${STAGE}\n${service("x")}` },
      { env: { STAGE: "prod" } },
    );
    expect(project.name).toBe("app-prod");
  });

  it("COMPOSE_PROJECT_NAME wins over name:", async () => {
    const { project } = await loadOk(
      { "compose.yaml": `name: fromfile\n${service("x")}` },
      { env: { COMPOSE_PROJECT_NAME: "fromenv" } },
    );
    expect(project.name).toBe("fromenv");
  });

  it("COMPOSE_PROJECT_NAME may come from .env", async () => {
    const { project } = await loadOk({
      "compose.yaml": service("x"),
      ".env": "COMPOSE_PROJECT_NAME=dotenvname\n",
    });
    expect(project.name).toBe("dotenvname");
  });

  it("-p wins over COMPOSE_PROJECT_NAME and name:", async () => {
    const { project } = await loadOk(
      { "compose.yaml": `name: fromfile\n${service("x")}` },
      { projectName: "fromflag", env: { COMPOSE_PROJECT_NAME: "fromenv" } },
    );
    expect(project.name).toBe("fromflag");
  });

  it("an invalid -p is an error, not normalised", async () => {
    for (const bad of ["My App", "UPPER", "-leading", "a.b"]) {
      const { errors } = await loadFail({ "compose.yaml": service("x") }, { projectName: bad });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`"${bad}"`);
    }
  });

  it("an invalid COMPOSE_PROJECT_NAME is an error", async () => {
    const { errors } = await loadFail(
      { "compose.yaml": service("x") },
      { env: { COMPOSE_PROJECT_NAME: "Bad Name" } },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("COMPOSE_PROJECT_NAME");
    expect(errors[0]).toContain('"Bad Name"');
  });

  it("names the secrets, networks and volumes after the project", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          services:
            web:
              image: x
              volumes: [data:/data]
              secrets: [token]
          volumes:
            data:
          secrets:
            token:
              environment: TOKEN
        `,
      },
      { projectName: "demo", env: { TOKEN: "t" } },
    );
    expect(project.secrets["token"]!.name).toBe("demo_token");
    expect(project.volumes["data"]!.name).toBe("demo_data");
    expect(project.networks["default"]!.name).toBe("demo_default");
  });
});
