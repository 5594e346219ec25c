// Rules between parts of a project (finalize.ts): depends_on, networks and volumes must name what is
// defined (with a suggestion when a name is close), no dependency cycles, every service has an image
// or a build; and all such problems of a project are reported in one run.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("depends_on", () => {
  it("a list means service_started, required", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            depends_on: [db]
          db:
            image: busybox
      `,
    });
    expect(project.services["web"]!.dependsOn).toEqual({
      db: { condition: "service_started", required: true, restart: false },
    });
  });

  it("the long form takes condition, required and restart", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            depends_on:
              db:
                condition: service_healthy
                restart: true
              migrate:
                condition: service_completed_successfully
                required: false
          db:
            image: busybox
          migrate:
            image: busybox
      `,
    });
    expect(project.services["web"]!.dependsOn).toEqual({
      db: { condition: "service_healthy", required: true, restart: true },
      migrate: { condition: "service_completed_successfully", required: false, restart: false },
    });
  });

  it("an undefined service is an error with a suggestion", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            depends_on: [dbb]
          db:
            image: busybox
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ services\.web\.depends_on(\.dbb|\[0\])?: /);
    expect(errors[0]).toContain('"dbb"');
    expect(errors[0]).toContain('did you mean "db"');
  });

  it("a bad condition is an error naming the valid ones", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            depends_on:
              db:
                condition: healthy
          db:
            image: busybox
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.depends_on\.db\.condition: /);
    expect(errors[0]).toContain("service_healthy");
  });

  it("a dependency cycle is an error naming the services in order", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          a:
            image: busybox
            depends_on: [b]
          b:
            image: busybox
            depends_on: [c]
          c:
            image: busybox
            depends_on: [a]
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("cycle");
    expect(errors[0]).toMatch(/a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c/);
  });

  it("a service depending on itself is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  a:\n    image: busybox\n    depends_on: [a]\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"a"');
  });
});

describe("networks", () => {
  it("a service without networks joins default, named <project>_default", async () => {
    const { project } = await loadOk(
      { "compose.yaml": "services:\n  web:\n    image: busybox\n" },
      { projectName: "p" },
    );
    expect(project.services["web"]!.networks).toEqual({ default: { aliases: [] } });
    expect(project.networks["default"]).toMatchObject({ name: "p_default", external: false });
  });

  it("a list of names and a mapping with aliases and addresses", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": `
          services:
            a:
              image: busybox
              networks: [front, back]
            b:
              image: busybox
              networks:
                back:
                  aliases: [database]
                  ipv4_address: 172.28.0.5
                front:
          networks:
            front:
            back:
              name: shared-back
            outside:
              external: true
        `,
      },
      { projectName: "p" },
    );
    expect(project.services["a"]!.networks).toEqual({ front: { aliases: [] }, back: { aliases: [] } });
    expect(project.services["b"]!.networks).toEqual({
      back: { aliases: ["database"], ipv4Address: "172.28.0.5" },
      front: { aliases: [] },
    });
    expect(project.networks["front"]!.name).toBe("p_front");
    expect(project.networks["back"]!.name).toBe("shared-back");
    expect(project.networks["outside"]).toMatchObject({ name: "outside", external: true });
  });

  it("an undefined network is an error with a suggestion", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            networks: [backnd]
        networks:
          backend:
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ services\.web\.networks/);
    expect(errors[0]).toContain('"backnd"');
    expect(errors[0]).toContain('did you mean "backend"');
  });
});

describe("volumes", () => {
  it("an undefined named volume is an error with a suggestion", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - dbdata:/var/lib/db
        volumes:
          db_data:
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.volumes\[0\]/);
    expect(errors[0]).toContain('"dbdata"');
    expect(errors[0]).toContain('did you mean "db_data"');
  });
});

describe("services", () => {
  it("a service with neither image nor build is an error naming it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n  worker:\n    command: run\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.worker: /);
    expect(errors[0]).toContain("image");
    expect(errors[0]).toContain("build");
  });

  it("build alone is enough, its context relative to the compose file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": "services:\n  web:\n    build: ./app\n",
    });
    expect(project.services["web"]!.build).toMatchObject({ context: `${dir}/app` });
  });
});

describe("all problems at once", () => {
  it("reports every problem of a file in one run, each with its own path", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            networks: [nope]
            depends_on: [ghost]
            volumes: [missing_vol:/data]
            secrets:
              - undefined_secret
              - source: token
                mode: 9999
              - source: token
                target: ../escape
          worker:
            command: run
          a:
            image: busybox
            depends_on: [b]
          b:
            image: busybox
            depends_on: [a]
        secrets:
          token:
            environment: UNSET_TOKEN
          both:
            file: ./x
            environment: X
          "bad name!":
            file: ./y
      `,
    });
    const text = errors.join("\n");
    for (const expected of [
      "services.web.networks",
      '"ghost"',
      '"missing_vol"',
      '"undefined_secret"',
      "services.web.secrets[1].mode",
      "services.web.secrets[2].target",
      "services.worker",
      "cycle",
      "secrets.token.environment",
      "secrets.both",
      "bad name!",
    ]) {
      expect(text).toContain(expected);
    }
  });

  it("a wrong type does not hide the other problems of the file", async () => {
    // SECRETS-SPEC.md §3: all problems in a file are reported at once, not one per run.
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            read_only: maybe
            secrets: [undefined_secret]
        secrets:
          token:
            file: ./missing.txt
      `,
    });
    const text = errors.join("\n");
    expect(text).toContain("services.web.read_only");
    expect(text).toContain('"undefined_secret"');
    expect(text).toContain("secrets.token.file");
  });
});
