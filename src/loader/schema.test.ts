// The shape of a compose file: unknown attributes with a "did you mean", wrong types anywhere named
// by file, line, path and value, and Compose attributes composec does not run yet as warnings.
import { describe, expect, it } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

describe("unknown attributes", () => {
  it("an unknown service attribute is an error that suggests the close one", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            enviroment:
              A: "1"
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.enviroment: /);
    expect(errors[0]).toContain('"enviroment"');
    expect(errors[0]).toContain('did you mean "environment"');
  });

  it("an unknown top-level attribute is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
        secret:
          s:
            file: ./s
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ secret: /);
    expect(errors[0]).toContain('did you mean "secrets"');
  });

  it("an unknown attribute of a secret grant names its path", async () => {
    const { errors } = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              secrets:
                - source: s
                  taget: /x
          secrets:
            s:
              environment: S
        `,
      },
      { env: { S: "1" } },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ services\.web\.secrets\[0\]\.taget: /);
    expect(errors[0]).toContain('did you mean "target"');
  });

  it("x-* extensions are allowed everywhere and kept", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        x-top: {a: 1}
        services:
          web:
            image: busybox
            x-mine: yes
      `,
    });
    expect(project.extensions).toEqual({ "x-top": { a: 1 } });
    expect(project.services["web"]!.extensions).toEqual({ "x-mine": "yes" });
  });

  it("a Compose attribute composec does not run is a warning naming it and why, not silence", async () => {
    const { warnings } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            credential_spec:
              file: spec.json
      `,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.credential_spec: /);
    expect(warnings[0]).toContain("Windows containers only");
  });

  it("version: is obsolete: a warning", async () => {
    const { warnings } = await loadOk({
      "compose.yaml": `
        version: "3.8"
        services:
          web:
            image: busybox
      `,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^compose\.yaml:1:\d+ version: /);
  });
});

describe("wrong types", () => {
  it("ports: 80 (not a list) is an error, as in compose-go", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            ports: 80
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.ports: /);
    expect(errors[0]).toContain("list");
    expect(errors[0]).toContain("80");
  });

  it("a service that is not a mapping is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": "services:\n  web: busybox\n" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:2:\d+ services\.web: /);
    expect(errors[0]).toContain("mapping");
  });

  it("services written as a list is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": "services:\n  - web\n" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ services: /);
  });

  it("top-level secrets written as a list is an error that says so", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
        secrets:
          - db_password
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets: /);
    expect(errors[0]).toContain("not a list");
  });

  it("a wrong type names the path and the value found", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            read_only: maybe
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.read_only: /);
    expect(errors[0]).toContain('"maybe"');
    expect(errors[0]).toContain("true or false");
  });

  it("every wrong type of a file is reported in one run", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: [busybox]
            environment: 5
            healthcheck:
              retries: lots
            restart: sometimes
            depends_on: db
      `,
    });
    const text = errors.join("\n");
    expect(text).toContain("services.web.image");
    expect(text).toContain("services.web.environment");
    expect(text).toContain("services.web.healthcheck.retries");
    expect(text).toContain("services.web.restart");
    expect(text).toContain("services.web.depends_on");
    expect(errors).toHaveLength(5);
  });

  it("a secret grant of the wrong type names its index", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            secrets:
              - 5
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ services\.web\.secrets\[0\]: /);
  });

  it("a secret definition that is not a mapping is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
        secrets:
          s: ./s.txt
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ secrets\.s: /);
  });

  it("a secret file: that is not a string is an error", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
        secrets:
          s:
            file: [a, b]
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:6:\d+ secrets\.s\.file: /);
  });
});
