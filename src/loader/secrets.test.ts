// Top-level `secrets.<key>`: every rule of SECRETS-SPEC.md §1 and the bad inputs of §3 that concern
// a definition (names, sources, external, name defaults, paths, environment variables).
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { loadFail, loadOk } from "./test-helpers.js";

/** A project whose service `web` uses every secret defined in `secrets` (YAML, top level). */
const using = (keys: string[], secrets: string) =>
  `services:\n  web:\n    image: busybox\n    secrets: [${keys.map((k) => JSON.stringify(k)).join(", ")}]\nsecrets:\n${secrets}`;

/** A project that defines `secrets` (YAML, top level) without using them: rules of definitions alone. */
const defining = (secrets: string) =>
  `services:\n  web:\n    image: busybox\n    secrets: []\nsecrets:\n${secrets}`;

describe("secret keys", () => {
  it("letters, digits, '.', '_' and '-' are valid, upper case and dots included", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": using(
          ["couchdb.json", "DB_Password", "a-b_c.d", "0lead"],
          [
            "  couchdb.json: {environment: V}",
            "  DB_Password: {environment: V}",
            "  a-b_c.d: {environment: V}",
            "  0lead: {environment: V}",
            "",
          ].join("\n"),
        ),
      },
      { env: { V: "v" } },
    );
    expect(Object.keys(project.secrets).sort()).toEqual(["0lead", "DB_Password", "a-b_c.d", "couchdb.json"]);
    expect(project.services["web"]!.secrets.map((s) => s.target)).toContain("/run/secrets/couchdb.json");
  });

  it("any other character is an error quoting the key", async () => {
    for (const bad of ["bad name!", "a/b", "é"]) {
      const { errors } = await loadFail(
        {
          "compose.yaml": `services:\n  web:\n    image: busybox\nsecrets:\n  "${bad}":\n    environment: V\n`,
        },
        { env: { V: "v" } },
      );
      expect(errors, bad).toHaveLength(1);
      expect(errors[0]).toMatch(/^compose\.yaml:5:\d+ secrets\./);
      expect(errors[0]).toContain(`"${bad}"`);
    }
  });
});

describe("secret sources", () => {
  it("file: a path, made absolute against the compose file's directory", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    file: ./s.txt\n"),
      "s.txt": "x",
    });
    expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(dir, "s.txt") });
  });

  it("environment: a variable name", async () => {
    const { project } = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    environment: MY_VAR\n") },
      { env: { MY_VAR: "x" } },
    );
    expect(project.secrets["s"]!.source).toEqual({ kind: "environment", variable: "MY_VAR" });
  });

  it("both file and environment is an error naming the secret", async () => {
    const { errors } = await loadFail(
      { "compose.yaml": defining("  s:\n    file: ./s.txt\n    environment: V\n"), "s.txt": "x" },
      { env: { V: "v" } },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets\.s\b/);
    expect(errors[0]).toContain("file");
    expect(errors[0]).toContain("environment");
  });

  it("neither is an error naming the secret and the valid sources", async () => {
    for (const definition of ["  s: {}\n", "  s:\n    labels: {a: b}\n", "  s:\n    name: x\n"]) {
      const { errors } = await loadFail({ "compose.yaml": defining(definition) });
      expect(errors, definition).toHaveLength(1);
      expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets\.s: /);
      expect(errors[0]).toContain("file");
      expect(errors[0]).toContain("environment");
      expect(errors[0]).toContain("external");
    }
  });

  it("content: is refused with a hint (configs have it, secrets do not)", async () => {
    const { errors } = await loadFail({ "compose.yaml": defining("  s:\n    content: hunter2\n") });
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.content: /);
    expect(errors[0]).toContain("configs");
  });

  it("an empty file: is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": defining("  s:\n    file: ''\n") });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
  });

  it("a file: that interpolates to the empty string is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": defining("  s:\n    file: ${SECRET_PATH}\n") });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.file: /);
  });

  it("an empty environment: is an error", async () => {
    const { errors } = await loadFail({ "compose.yaml": defining("  s:\n    environment: ''\n") });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.s\.environment: /);
  });
});

describe("invalid definitions", () => {
  it("an invalid definition is reported once, not again as undefined where a service uses it", async () => {
    // The secret is defined, if wrongly: calling the reference undefined would send the user looking
    // for a typo that is not there.
    for (const definition of [
      "  s:\n    file: ./s.txt\n    environment: V\n",
      "  s: {}\n",
      "  s:\n    external: true\n    file: ./s.txt\n",
    ]) {
      const { errors } = await loadFail(
        { "compose.yaml": using(["s"], definition), "s.txt": "x" },
        { env: { V: "v" } },
      );
      expect(errors.join("\n"), definition).not.toContain("not defined");
      expect(errors, definition).toHaveLength(1);
    }
  });
});

describe("environment secrets", () => {
  it("a variable set to the empty string is a valid (0-byte) secret", async () => {
    const { project } = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    environment: EMPTY\n") },
      { env: { EMPTY: "" } },
    );
    expect(project.secrets["s"]!.source).toEqual({ kind: "environment", variable: "EMPTY" });
  });

  it("an unset variable is an error naming the variable and the secret", async () => {
    const { errors } = await loadFail({
      "compose.yaml": using(["db_password"], "  db_password:\n    environment: DB_PASSWORD\n"),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:7:\d+ secrets\.db_password\.environment: /);
    expect(errors[0]).toContain("DB_PASSWORD");
  });

  it("the variable may come from .env, as interpolation's do", async () => {
    const { project } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    environment: FROM_DOTENV\n"),
      ".env": "FROM_DOTENV=v\n",
    });
    expect(project.secrets["s"]!.source.kind).toBe("environment");
  });

  it("the variable may come from --env-file, and .env is then not read", async () => {
    const ok = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    environment: TOKEN\n"), "prod.env": "TOKEN=p\n" },
      { envFiles: ["prod.env"] },
    );
    expect(ok.project.secrets["s"]!.source.kind).toBe("environment");
    const { errors } = await loadFail(
      {
        "compose.yaml": using(["s"], "  s:\n    environment: TOKEN\n"),
        ".env": "TOKEN=d\n",
        "other.env": "X=1\n",
      },
      { envFiles: ["other.env"] },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("TOKEN");
  });
});

describe("external secrets", () => {
  it("external: true takes its name from the key, unprefixed", async () => {
    const { project } = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    external: true\n") },
      { projectName: "p" },
    );
    expect(project.secrets["s"]).toMatchObject({
      key: "s",
      name: "s",
      source: { kind: "external", name: "s" },
    });
  });

  it("external with name: uses the name", async () => {
    const { project } = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    external: true\n    name: prod_db_password\n") },
      { projectName: "p" },
    );
    expect(project.secrets["s"]).toMatchObject({
      name: "prod_db_password",
      source: { kind: "external", name: "prod_db_password" },
    });
  });

  it('external: "true" after interpolation is external', async () => {
    const { project } = await loadOk(
      { "compose.yaml": using(["s"], "  s:\n    external: ${USE_STORE}\n") },
      { env: { USE_STORE: "true" } },
    );
    expect(project.secrets["s"]!.source.kind).toBe("external");
  });

  it("external: false with a file is a file secret", async () => {
    const { project } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    external: false\n    file: ./s.txt\n"),
      "s.txt": "x",
    });
    expect(project.secrets["s"]!.source.kind).toBe("file");
  });

  it("the old external.name is accepted with a deprecation warning", async () => {
    const { project, warnings } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    external:\n      name: old_style\n"),
    });
    expect(project.secrets["s"]).toMatchObject({
      name: "old_style",
      source: { kind: "external", name: "old_style" },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets\.s\.external\.name: /);
    expect(warnings[0]).toContain("deprecated");
  });

  it("external.name and name that agree: a warning, no error", async () => {
    const { project, warnings } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    name: same\n    external:\n      name: same\n"),
    });
    expect(project.secrets["s"]!.name).toBe("same");
    expect(warnings).toHaveLength(1);
  });

  it("external.name and name that differ: an error quoting both", async () => {
    const { errors } = await loadFail({
      "compose.yaml": defining("  s:\n    name: one\n    external:\n      name: two\n"),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:\d+:\d+ secrets\.s\.external\.name: /);
    expect(errors[0]).toContain('"one"');
    expect(errors[0]).toContain('"two"');
  });

  it("external with file or environment is an error", async () => {
    for (const [field, line] of [
      ["file", "    file: ./s.txt"],
      ["environment", "    environment: V"],
    ] as const) {
      const { errors } = await loadFail(
        { "compose.yaml": defining(`  s:\n    external: true\n${line}\n`), "s.txt": "x" },
        { env: { V: "v" } },
      );
      expect(errors, field).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^compose\\.yaml:8:\\d+ secrets\\.s\\.${field}: `));
      expect(errors[0]).toContain("external");
    }
  });

  it("external with labels and x-* is fine", async () => {
    const { project } = await loadOk({
      "compose.yaml": using(["s"], "  s:\n    external: true\n    labels: {team: db}\n    x-note: kept\n"),
    });
    expect(project.secrets["s"]).toMatchObject({ labels: { team: "db" }, extensions: { "x-note": "kept" } });
  });
});

describe("secret names and extra fields", () => {
  it("name defaults to <project>_<key>; an explicit name is never prefixed", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": using(
          ["a", "b"],
          "  a:\n    environment: V\n  b:\n    environment: V\n    name: mine\n",
        ),
      },
      { projectName: "shop", env: { V: "v" } },
    );
    expect(project.secrets["a"]!.name).toBe("shop_a");
    expect(project.secrets["b"]!.name).toBe("mine");
  });

  it("labels (list or mapping), x-* and the Swarm driver fields are kept", async () => {
    const { project } = await loadOk(
      {
        "compose.yaml": using(
          ["a", "b"],
          [
            "  a:",
            "    environment: V",
            "    labels: [team=db, tier=prod]",
            "    x-rotate: weekly",
            "  b:",
            "    environment: V",
            "    labels: {team: web}",
            "    driver: vault",
            "    driver_opts: {path: kv/x}",
            "    template_driver: golang",
            "",
          ].join("\n"),
        ),
      },
      { env: { V: "v" } },
    );
    expect(project.secrets["a"]).toMatchObject({
      labels: { team: "db", tier: "prod" },
      extensions: { "x-rotate": "weekly" },
    });
    expect(project.secrets["b"]).toMatchObject({
      labels: { team: "web" },
      driver: "vault",
      driverOpts: { path: "kv/x" },
      templateDriver: "golang",
    });
  });
});

describe("secret file paths", () => {
  it("a relative file resolves against the directory of the file that declares it", async () => {
    const { project, dir } = await loadOk(
      {
        "compose.yaml":
          "services:\n  web:\n    image: busybox\n    secrets: [a, b]\nsecrets:\n  a:\n    file: a.txt\n",
        "a.txt": "a",
        "deploy/secrets.yaml": "secrets:\n  b:\n    file: ./b.txt\n",
        "deploy/b.txt": "b",
      },
      { files: ["compose.yaml", "deploy/secrets.yaml"] },
    );
    expect(project.secrets["a"]!.source).toEqual({ kind: "file", path: join(dir, "a.txt") });
    expect(project.secrets["b"]!.source).toEqual({ kind: "file", path: join(dir, "deploy/b.txt") });
  });

  it("relative to the declaring file, not to the working directory", async () => {
    const { project, dir } = await loadOk(
      {
        "app/compose.yaml": using(["s"], "  s:\n    file: ./s.txt\n"),
        "app/s.txt": "x",
        "elsewhere/.keep": "",
      },
      { cwd: "elsewhere", files: ["../app/compose.yaml"] },
    );
    expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(dir, "app/s.txt") });
  });

  it("~ expands to the home directory", async () => {
    const home = (await loadOk({ "compose.yaml": "services:\n  web:\n    image: busybox\n" })).dir;
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(home, "token.txt"), "x");
    vi.stubEnv("HOME", home);
    try {
      const { project } = await loadOk(
        { "compose.yaml": using(["s"], "  s:\n    file: ~/token.txt\n") },
        { env: { HOME: home } },
      );
      expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(home, "token.txt") });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("an absolute path is kept", async () => {
    const { dir } = await loadOk({ "abs.txt": "x", "compose.yaml": "services: {}\n" });
    const { project } = await loadOk({
      "compose.yaml": using(["s"], `  s:\n    file: ${join(dir, "abs.txt")}\n`),
    });
    expect(project.secrets["s"]!.source).toEqual({ kind: "file", path: join(dir, "abs.txt") });
  });
});

describe("a secret's value in messages", () => {
  it("is masked where interpolation put it into a value an error or warning quotes", async () => {
    const value = "s3cr3t-token-value";
    const { errors, warnings } = await loadFail(
      {
        "compose.yaml": `
          services:
            web:
              image: busybox
              mem_limit: \${TOKEN}
              ports:
                - "\${TOKEN}:80"
          secrets:
            token:
              environment: TOKEN
        `,
      },
      { env: { TOKEN: value } },
    );
    expect(errors.length).toBeGreaterThan(0);
    // Checked for the value before anything is compared, so a failure cannot print it.
    expect([...errors, ...warnings].some((line) => line.includes(value))).toBe(false);
    expect(errors.some((line) => line.includes("mem_limit") && line.includes("****"))).toBe(true);
  });
});
