// Intent: `extends` and `include` through the built CLI. `config` prints the resolved project (no
// extends or include left, paths of other files absolute against their own directories, what an
// include defines beside the project's own services); a problem inside an included file is shown
// at that file's line and column; and `up -d` runs a service that comes from an included file with
// a file secret of that file, whose bytes the container reads exactly (compared by digest).
import path from "node:path";
import jsYaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempProjects, cli, images, tempProject } from "./helpers.js";
import { cliOk, digestIn, IDLE, randomValue, sha256, statIn, trackProjects } from "./secrets-helpers.js";

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

afterAll(cleanupTempProjects);

const project = trackProjects();

describe("composec config with extends and include", () => {
  it("prints the resolved project", async () => {
    const dir = await tempProject({
      "compose.yaml": `
include:
  - db/compose.yaml
services:
  web:
    extends:
      file: common/base.yaml
      service: app
    environment:
      MODE: web
    depends_on: [db]
`,
      "common/base.yaml": `
services:
  app:
    image: ${images.busybox}
    build: ./ctx
    environment:
      MODE: base
      LEVEL: \${LEVEL}
    volumes: ["./data:/data"]
`,
      ".env": "LEVEL=from-dotenv\n",
      "db/compose.yaml": `
services:
  db:
    image: ${images.busybox}
    secrets: [db_password]
secrets:
  db_password:
    file: ./password.txt
`,
      "db/password.txt": "not printed",
    });
    const result = await cli(["-p", "extinc", "config"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\bextends\b|\binclude\b/);
    const { services, secrets } = jsYaml.load(result.stdout) as Document;
    expect(Object.keys(services).sort()).toEqual(["db", "web"]);
    expect(services.web).toMatchObject({
      image: images.busybox,
      build: { context: path.join(dir, "common/ctx") },
      environment: { MODE: "web", LEVEL: "from-dotenv" },
      volumes: [{ type: "bind", source: path.join(dir, "common/data"), target: "/data" }],
    });
    expect(secrets).toEqual({
      db_password: { name: "extinc_db_password", file: path.join(dir, "db/password.txt") },
    });
  });

  it("a problem inside an included file is shown at its line and column", async () => {
    const dir = await tempProject({
      "compose.yaml": "include: [sub/compose.yaml]\n",
      "sub/compose.yaml": "services:\n  app:\n    image: busybox\n    ports: 80\n",
    });
    const result = await cli(["config"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${path.join(dir, "sub/compose.yaml")}:4:12 services.app.ports: `);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });
});

describe("composec up with include", () => {
  // The service and its secret are both defined by the included file; the secret's file is
  // relative to that file's directory, not the project's.
  it("runs an included service with its file secret", async () => {
    const value = randomValue("inc");
    const name = await project("include-up");
    const dir = await tempProject({
      "compose.yaml": "include:\n  - path: stack/compose.yaml\n",
      "stack/compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - source: api_key
        mode: 0440
secrets:
  api_key:
    file: ./api_key.txt
`,
      "stack/api_key.txt": value,
    });
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
    const container = `${name}-app-1`;
    expect(await digestIn(container, "/run/secrets/api_key")).toBe(sha256(value));
    expect(await statIn(container, "/run/secrets/api_key")).toBe("0 0 440");
  });
});
