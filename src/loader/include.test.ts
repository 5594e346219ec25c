// `include` (include.ts): each entry is loaded as a project of its own (its directory for relative
// paths, its own .env or env_file under the including project's variables, its own includes), and
// what it defines joins the including file. A name defined twice is an error naming both places;
// a cycle is an error; problems inside an included file point into that file.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("include", () => {
  it("adds the included services, networks, volumes and secrets, paths relative to the included file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        include:
          - db/compose.yaml
        services:
          web:
            image: busybox
            depends_on: [db]
      `,
      "db/compose.yaml": `
        services:
          db:
            build: ./image
            volumes: ["./init:/init", "data:/var/lib/db"]
            networks: [back]
            secrets: [db_password]
        networks:
          back: {}
        volumes:
          data:
        secrets:
          db_password:
            file: ./password.txt
      `,
      "db/password.txt": "p",
    });
    expect(Object.keys(project.services).sort()).toEqual(["db", "web"]);
    const db = project.services["db"]!;
    expect(db.build!.context).toBe(join(dir, "db/image"));
    expect(db.volumes.map((v) => ("source" in v ? v.source : ""))).toEqual([join(dir, "db/init"), "data"]);
    expect(project.secrets["db_password"]!.source).toEqual({
      kind: "file",
      path: join(dir, "db/password.txt"),
    });
    expect(Object.keys(project.networks).sort()).toEqual(["back", "default"]);
    expect(Object.keys(project.volumes)).toEqual(["data"]);
    // Names of what an include defines are the project's names.
    expect(project.networks["back"]!.name).toBe(`${project.name}_back`);
  });

  it("a secret defined in an included file can be granted to a service of the including file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        include: [lib/secrets.yaml]
        services:
          web:
            image: busybox
            secrets:
              - source: api_key
                mode: 0400
      `,
      "lib/secrets.yaml": "secrets:\n  api_key:\n    file: ./api_key.txt\n",
      "lib/api_key.txt": "k",
    });
    expect(project.services["web"]!.secrets).toEqual([
      { source: "api_key", target: "/run/secrets/api_key", uid: 0, gid: 0, mode: 0o400 },
    ]);
    expect(project.secrets["api_key"]!.source).toEqual({ kind: "file", path: join(dir, "lib/api_key.txt") });
  });

  it("an included file is interpolated with its own .env, the including project's variables winning", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          include: [sub/compose.yaml]
          services:
            web:
              image: \${MAIN_ONLY:-unset}-\${SUB_ONLY:-unset}
        `,
        ".env": "MAIN_ONLY=main\nSHARED=from-main-dotenv\n",
        "sub/compose.yaml": `
          services:
            sub:
              image: busybox
              labels:
                shared: \${SHARED}
                own: \${SUB_ONLY}
                shell: \${FROM_SHELL}
        `,
        "sub/.env": "SHARED=from-sub-dotenv\nSUB_ONLY=sub\nFROM_SHELL=sub\n",
      },
      { env: { FROM_SHELL: "shell" } },
    );
    expect(project.services["sub"]!.labels).toEqual({
      shared: "from-main-dotenv",
      own: "sub",
      shell: "shell",
    });
    // The included .env is not the including file's.
    expect(project.services["web"]!.image).toBe("main-unset");
  });

  it("the long form: a list of files merged in order, project_directory and env_file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        include:
          - path: [lib/base.yaml, lib/tweak.yaml]
            project_directory: elsewhere
            env_file: [conf/a.env, conf/b.env, /dev/null]
      `,
      "lib/base.yaml": `
        services:
          app:
            image: \${IMAGE}
            build: ./ctx
            environment: {A: base, B: base}
      `,
      "lib/tweak.yaml": 'services:\n  app:\n    environment: {B: "${B_VALUE}"}\n',
      "conf/a.env": "IMAGE=from-a\nB_VALUE=from-a\n",
      "conf/b.env": "B_VALUE=from-b\n",
    });
    const app = project.services["app"]!;
    expect(app.image).toBe("from-a");
    expect(app.environment).toEqual({ A: "base", B: "from-b" });
    expect(app.build!.context).toBe(join(dir, "elsewhere/ctx"));
  });

  it("includes nest, each path relative to the file that names it", async () => {
    const { project } = await loadOk({
      "compose.yaml": "include: [a/compose.yaml]\n",
      "a/compose.yaml": "include: [b/compose.yaml]\nservices:\n  a:\n    image: busybox\n",
      "a/b/compose.yaml": "services:\n  b:\n    image: busybox\n",
    });
    expect(Object.keys(project.services).sort()).toEqual(["a", "b"]);
  });

  it("an override file given with -f may change an included service", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": "include: [sub/compose.yaml]\n",
        "sub/compose.yaml": "services:\n  app:\n    image: busybox\n    user: '1'\n",
        "override.yaml": "services:\n  app:\n    user: '2'\n",
      },
      { files: ["compose.yaml", "override.yaml"] },
    );
    expect(project.services["app"]).toMatchObject({ image: "busybox", user: "2" });
  });

  it("the same definition included twice (two includes of one common file) is no conflict", async () => {
    const { project } = await loadOk({
      "compose.yaml": "include: [a/compose.yaml, b/compose.yaml]\n",
      "a/compose.yaml": "include: [../common/compose.yaml]\nservices:\n  a:\n    image: busybox\n",
      "b/compose.yaml": "include: [../common/compose.yaml]\nservices:\n  b:\n    image: busybox\n",
      "common/compose.yaml": "services:\n  shared:\n    image: busybox\nnetworks:\n  back:\n",
    });
    expect(Object.keys(project.services).sort()).toEqual(["a", "b", "shared"]);
  });

  it("a file two includes share warns once about what composec does not run", async () => {
    const { warnings } = await loadOk({
      "compose.yaml": "include: [a/compose.yaml, b/compose.yaml]\n",
      "a/compose.yaml": "include: [../common/compose.yaml]\nservices:\n  a:\n    image: busybox\n",
      "b/compose.yaml": "include: [../common/compose.yaml]\nservices:\n  b:\n    image: busybox\n",
      "common/compose.yaml":
        "services:\n  shared:\n    image: busybox\n    credential_spec: {file: spec.json}\n",
    });
    expect(warnings.filter((line) => line.includes("credential_spec"))).toHaveLength(1);
  });

  it("extends inside an included file works relative to that file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": "include: [sub/compose.yaml]\n",
      "sub/compose.yaml": `
        services:
          app:
            extends: {file: common.yaml, service: base}
      `,
      "sub/common.yaml": "services:\n  base:\n    image: busybox\n    build: ./ctx\n",
    });
    expect(project.services["app"]!.build!.context).toBe(join(dir, "sub/ctx"));
  });
});

describe("include problems", () => {
  it("a service defined by the including file and by an include is an error naming both places", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        include:
          - sub/compose.yaml
        services:
          app:
            image: mine
        secrets:
          token:
            file: ./token.txt
      `,
      "token.txt": "t",
      "sub/compose.yaml": `
        services:
          app:
            image: theirs
        secrets:
          token:
            file: ./token.txt
      `,
      "sub/token.txt": "t",
    });
    expect(errors).toEqual([
      'compose.yaml:2:5 include[0]: sub/compose.yaml:2:3 defines service "app", which compose.yaml:4:3 defines too; give one of them another name (an override file given with -f may change an included service)',
      'compose.yaml:2:5 include[0]: sub/compose.yaml:5:3 defines secret "token", which compose.yaml:7:3 defines too; give one of them another name (an override file given with -f may change an included secret)',
    ]);
  });

  it("two includes defining one name differently is an error naming both", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "include:\n  - a.yaml\n  - path: b.yaml\n",
      "a.yaml": "services:\n  app:\n    image: a\n",
      "b.yaml": "services:\n  app:\n    image: b\n",
    });
    expect(errors).toEqual([
      'compose.yaml:3:5 include[1]: b.yaml:2:3 defines service "app", which a.yaml:2:3 defines too; give one of them another name (an override file given with -f may change an included service)',
    ]);
  });

  it("an include cycle is an error naming the chain", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "include: [a/compose.yaml]\nservices:\n  web:\n    image: busybox\n",
      "a/compose.yaml": "include: [../b.yaml]\n",
      "b.yaml": "include:\n  - path: ./compose.yaml\n",
    });
    expect(errors).toEqual([
      "b.yaml:2:11 include[0].path: include cycle: compose.yaml includes a/compose.yaml includes b.yaml includes compose.yaml; remove one of these includes",
    ]);
  });

  it("a symbolic link does not hide a cycle", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "include: [alias.yaml]\nservices:\n  web:\n    image: busybox\n",
      "alias.yaml": { symlink: "compose.yaml" },
    });
    expect(errors).toEqual([
      "compose.yaml:1:11 include[0]: include cycle: compose.yaml includes alias.yaml; remove one of these includes",
    ]);
  });

  it("problems inside an included file point into that file", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        include: [sub/compose.yaml]
        services:
          web:
            image: busybox
            depends_on: [app]
      `,
      "sub/compose.yaml": `
        services:
          app:
            image: busybox
            secrets:
              - source: token
                mode: 9999
            ports: 80
      `,
    });
    expect(errors).toEqual([
      'sub/compose.yaml:7:12 services.app.ports: must be a list of port mappings such as "8080:80", not 80',
      'sub/compose.yaml:6:15 services.app.secrets[0].mode: "9999" is not a file mode (it is beyond 0777); use an octal mode such as 0400',
    ]);
  });

  it("an included file that cannot be read stops the load before checks across files", async () => {
    const { errors } = await loadFail({
      "compose.yaml":
        "include: [sub/compose.yaml]\nservices:\n  web:\n    image: busybox\n    depends_on: [app]\n",
      "sub/compose.yaml": "services:\n  app:\n    image: [busybox\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^sub\/compose\.yaml:\d+:\d+: invalid YAML: /);
  });

  it("a missing file or env file is an error at the include entry", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        include:
          - nope/compose.yaml
          - path: sub/compose.yaml
            env_file: missing.env
      `,
      "sub/compose.yaml": "services:\n  app:\n    image: busybox\n",
    });
    expect(errors).toEqual([
      'compose.yaml:2:5 include[0]: "nope/compose.yaml" not found (looked for nope/compose.yaml); give the path of a compose file, relative to this file\'s directory',
      "compose.yaml:4:15 include[1].env_file: env file missing.env not found; create it or remove it from env_file",
    ]);
  });

  it("a bad shape is an error saying what is valid", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        include:
          - 42
          - project_directory: x
          - path: a.yaml
            env-file: a.env
        services:
          web:
            image: busybox
      `,
    });
    expect(errors).toEqual([
      "compose.yaml:2:5 include[0]: must be the path of a compose file or a mapping with path (and project_directory, env_file), not 42",
      "compose.yaml:3:5 include[1].path: is required: the compose file to include",
      'compose.yaml:5:15 include[2].env-file: unknown attribute "env-file" in an include entry; did you mean "env_file"?',
    ]);
    const { errors: notAList } = await loadFail({ "compose.yaml": "include: other.yaml\n" });
    expect(notAList).toEqual([
      'compose.yaml:1:10 include: must be a list of compose files to include, not "other.yaml"',
    ]);
  });
});
