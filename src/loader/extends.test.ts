// `extends` (extends.ts): a service starts from another one, of the same file or another, and its own
// definition overrides the base with the merge rules of -f files; relative paths of another file stay
// relative to that file; chains work; cycles, missing services and missing files are errors pointing
// at the `extends`; nothing but the service comes from another file (its secrets must be defined in
// the project, as in Compose).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("extends in the same file", () => {
  it("the local definition overrides the base: scalars replace, environment merges per key", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          base:
            image: busybox
            user: "1"
            working_dir: /app
            environment: {A: base, B: base}
            labels: [l1=base]
          web:
            extends: base
            user: "2"
            environment: [B=web, C=web]
      `,
    });
    expect(project.services["web"]).toMatchObject({
      name: "web",
      image: "busybox",
      user: "2",
      workingDir: "/app",
      environment: { A: "base", B: "web", C: "web" },
      labels: { l1: "base" },
    });
    // The base itself is unchanged.
    expect(project.services["base"]).toMatchObject({ user: "1", environment: { A: "base", B: "base" } });
  });

  it("ports merge by host_ip:published:target/protocol, volumes by target, secrets by target", async () => {
    const { project, dir } = await loadOk(
      {
        "compose.yaml": `
          services:
            base:
              image: busybox
              ports: ["8080:80", "53:53/udp"]
              volumes: ["./a:/data", "./logs:/logs"]
              secrets:
                - source: token
                  mode: 0400
                  uid: "1000"
            web:
              extends:
                service: base
              ports: ["8080:80", "9090:90"]
              volumes: ["./b:/data:ro"]
              secrets:
                - source: token
                  uid: "2000"
                - other
          secrets:
            token: {environment: TOKEN}
            other: {environment: TOKEN}
        `,
      },
      { env: { TOKEN: "t" } },
    );
    const web = project.services["web"]!;
    expect(web.ports.map((p) => `${p.published}:${p.target}/${p.protocol}`)).toEqual([
      "8080:80/tcp",
      "53:53/udp",
      "9090:90/tcp",
    ]);
    expect(web.volumes.map((v) => [v.target, "source" in v ? v.source : "", v.readOnly])).toEqual([
      ["/data", join(dir, "b"), true],
      ["/logs", join(dir, "logs"), false],
    ]);
    expect(web.secrets).toEqual([
      { source: "token", target: "/run/secrets/token", uid: 2000, gid: 0, mode: 0o400 },
      { source: "other", target: "/run/secrets/other", uid: 0, gid: 0, mode: 0o444 },
    ]);
  });

  it("everything is inherited, depends_on included, as compose-go does", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          db:
            image: busybox
          base:
            image: busybox
            depends_on: [db]
            command: [sleep, "1"]
          web:
            extends: base
      `,
    });
    expect(Object.keys(project.services["web"]!.dependsOn)).toEqual(["db"]);
    expect(project.services["web"]!.command).toEqual(["sleep", "1"]);
  });

  it("chains: a extends b extends c, each level overriding the one below", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          a:
            extends: b
            environment: {A: a}
          b:
            extends: {service: c}
            user: "2"
            environment: {A: b, B: b}
          c:
            image: busybox
            user: "1"
            environment: {A: c, B: c, C: c}
      `,
    });
    expect(project.services["a"]).toMatchObject({
      image: "busybox",
      user: "2",
      environment: { A: "a", B: "b", C: "c" },
    });
    expect(project.services["b"]).toMatchObject({ user: "2", environment: { A: "b", B: "b", C: "c" } });
  });

  it("a cycle is an error at the extends that closes it, naming the chain", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          a:
            extends: b
          b:
            extends: c
          c:
            extends: a
          d:
            image: busybox
            extends: d
      `,
    });
    expect(errors).toEqual([
      "compose.yaml:7:14 services.c.extends: extends cycle: a -> b -> c -> a; remove one of these extends",
      "compose.yaml:10:14 services.d.extends: extends cycle: d -> d; remove one of these extends",
    ]);
  });

  it("a missing service is an error at the extends, with a suggestion or what exists", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          base:
            image: busybox
          web:
            extends: bsae
          api:
            extends:
              service: nothing
      `,
    });
    expect(errors).toEqual([
      'compose.yaml:5:14 services.web.extends: service "bsae" is not defined in this file; did you mean "base"?',
      'compose.yaml:8:16 services.api.extends.service: service "nothing" is not defined in this file; it defines base, web, api',
    ]);
  });

  it("a fault of a base is reported once, where it is written, however many services extend it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          base:
            image: busybox
            secrets: [nope]
          web:
            extends: base
          api:
            extends: web
      `,
    });
    expect(errors).toEqual([
      'compose.yaml:4:15 services.base.secrets[0].source: secret "nope" is not defined under top-level secrets',
    ]);
  });

  it("a base in another -f file is not found: extends without file looks in its own file", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": "services:\n  base:\n    image: busybox\n",
        "override.yaml": "services:\n  web:\n    extends: base\n",
      },
      { files: ["compose.yaml", "override.yaml"] },
    );
    expect(errors).toEqual([
      'override.yaml:3:14 services.web.extends: service "base" is not defined in this file; it defines web',
    ]);
  });
});

describe("extends from another file", () => {
  it("relative paths of the other file stay relative to its directory; local ones to this file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        services:
          web:
            extends:
              file: common/base.yaml
              service: app
            volumes: ["./here:/here"]
      `,
      "common/base.yaml": `
        services:
          app:
            build: ./app
            env_file: ./app.env
            volumes: ["./data:/data", {type: bind, source: ./conf, target: /conf}]
      `,
      "common/app.env": "FROM_FILE=1\n",
    });
    const web = project.services["web"]!;
    expect(web.build!.context).toBe(join(dir, "common/app"));
    expect(web.envFiles).toEqual([{ path: join(dir, "common/app.env"), required: true }]);
    expect(web.environment).toEqual({ FROM_FILE: "1" });
    expect(web.volumes.map((v) => ("source" in v ? v.source : ""))).toEqual([
      join(dir, "common/data"),
      join(dir, "common/conf"),
      join(dir, "here"),
    ]);
    // The other file's services are not part of the project.
    expect(Object.keys(project.services)).toEqual(["web"]);
  });

  it("the other file is interpolated with the project's variables", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": "services:\n  web:\n    extends: {file: base.yaml, service: app}\n",
        "base.yaml": "services:\n  app:\n    image: ${IMAGE:?set IMAGE}\n",
        ".env": "IMAGE=from-dotenv\n",
      },
      { env: {} },
    );
    expect(project.services["web"]!.image).toBe("from-dotenv");
  });

  it("chains across files; a file named in the other file is relative to that file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        services:
          web:
            extends: {file: lib/mid.yaml, service: mid}
            environment: {A: web}
      `,
      "lib/mid.yaml": `
        services:
          mid:
            extends: {file: deeper/bottom.yaml, service: bottom}
            environment: {A: mid, B: mid}
      `,
      "lib/deeper/bottom.yaml": `
        services:
          bottom:
            extends: root
            environment: {A: bottom, B: bottom, C: bottom}
          root:
            image: busybox
            build: .
      `,
    });
    expect(project.services["web"]).toMatchObject({
      image: "busybox",
      environment: { A: "web", B: "mid", C: "bottom" },
    });
    expect(project.services["web"]!.build!.context).toBe(join(dir, "lib/deeper"));
  });

  it("a cycle across files names each service with its file", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    extends: {file: other.yaml, service: x}\n",
      "other.yaml": "services:\n  x:\n    extends: {file: compose.yaml, service: web}\n",
    });
    expect(errors).toEqual([
      "other.yaml:3:5 services.x.extends: extends cycle: web (compose.yaml) -> x (other.yaml) -> web (compose.yaml); remove one of these extends",
    ]);
  });

  it("a faulty base in another file does not silence this project's service of the same name", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            extends: {file: common.yaml, service: base}
          base:
            user: "1"
      `,
      "common.yaml": "services:\n  base:\n    image: [busybox]\n",
    });
    expect(errors.some((line) => line.startsWith("common.yaml:") && line.includes("image"))).toBe(true);
    expect(errors.some((line) => line.includes('service "base" has neither image nor build'))).toBe(true);
  });

  it("a missing file or service is an error at the extends", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            extends: {file: nope.yaml, service: app}
          api:
            extends:
              file: other.yaml
              service: ap
      `,
      "other.yaml": "services:\n  app:\n    image: busybox\n  db:\n    image: busybox\n",
    });
    expect(errors).toEqual([
      'compose.yaml:3:21 services.web.extends.file: "nope.yaml" not found (looked for nope.yaml); give the path of a compose file, relative to this file\'s directory',
      'compose.yaml:7:16 services.api.extends.service: service "ap" is not defined in other.yaml; did you mean "app"?',
    ]);
  });

  it("a directory named as the file to extend, or a file with no services, is an error at the extends", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            extends: {file: base, service: app}
          api:
            extends: {file: empty.yaml, service: app}
      `,
      base: { directory: true },
      "empty.yaml": "name: nothing\n",
    });
    expect(errors).toEqual([
      'compose.yaml:3:21 services.web.extends.file: "base" (base) is a directory; give the path of a compose file',
      'compose.yaml:5:21 services.api.extends.file: "empty.yaml" (empty.yaml) has no services to extend',
    ]);
  });

  it("problems in the extended service point into the other file; the rest of it is not checked", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    extends: {file: other.yaml, service: app}\n",
      "other.yaml": `
        services:
          app:
            image: busybox
            restart: sometimes
          unrelated:
            imag: typo
            environment: ["\${BROKEN"]
      `,
    });
    expect(errors).toEqual([
      'other.yaml:4:14 services.app.restart: must be no, always, unless-stopped or on-failure[:max-retries], not "sometimes"',
    ]);
  });

  it("the other file's top-level secrets are not imported: the project must define them", async () => {
    const files = {
      "other.yaml": `
        services:
          app:
            image: busybox
            secrets: [token]
        secrets:
          token: {file: ./other-token.txt}
      `,
      "other-token.txt": "t",
    };
    const { errors } = await loadFail({
      ...files,
      "compose.yaml": "services:\n  web:\n    extends: {file: other.yaml, service: app}\n",
    });
    expect(errors).toEqual([
      'other.yaml:4:15 services.app.secrets[0].source: secret "token" is not defined under top-level secrets',
    ]);

    const { project, dir } = await loadOk({
      ...files,
      "compose.yaml": `
        services:
          web:
            extends: {file: other.yaml, service: app}
        secrets:
          token: {file: ./token.txt}
      `,
      "token.txt": "t",
    });
    expect(project.services["web"]!.secrets.map((s) => s.source)).toEqual(["token"]);
    expect(project.secrets["token"]!.source).toEqual({ kind: "file", path: join(dir, "token.txt") });
  });
});

describe("the shape of extends", () => {
  it("anything but a name or {service, file} is an error saying what is valid", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          a:
            image: busybox
            extends: [b]
          b:
            image: busybox
            extends: {file: x.yaml}
          c:
            image: busybox
            extends: {service: b, files: x.yaml}
      `,
    });
    expect(errors).toEqual([
      "compose.yaml:4:5 services.a.extends: must be a service name or a mapping with service (and file), not a list",
      "compose.yaml:7:5 services.b.extends.service: is required",
      'compose.yaml:10:34 services.c.extends.files: unknown attribute "files" in extends; did you mean "file"?',
    ]);
  });
});
