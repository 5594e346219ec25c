// `composec config` on good projects, through the built CLI: the seed examples of
// secrets-in-compose.md (verbatim but for image names), the output formats and listing flags,
// standard input, warnings on stderr beside data on stdout, and the one promise that matters most
// here: a secret's value never appears in any output or error.
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import jsYaml from "js-yaml";
import { cleanupTempProjects, cli, images, tempProject, type CliResult } from "./helpers.js";

afterAll(cleanupTempProjects);

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A successful run: exit 0, no stack trace, nothing on stderr unless warnings are expected. */
function expectSuccess(result: CliResult, { warnings = false } = {}): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).not.toMatch(/^ {4}at /m);
  if (!warnings) expect(result.stderr).toBe("");
}

// The seed examples, verbatim but for the image names.
const singleService = `services:
  myapp:
    image: ${images.busybox}
    secrets:
      - my_secret
secrets:
  my_secret:
    file: ./my_secret.txt
`;

const multiService = `services:
   db:
     image: ${images.redis}
     volumes:
       - db_data:/var/lib/mysql
     environment:
       MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db_root_password
       MYSQL_DATABASE: wordpress
       MYSQL_USER: wordpress
       MYSQL_PASSWORD_FILE: /run/secrets/db_password
     secrets:
       - db_root_password
       - db_password

   wordpress:
     depends_on:
       - db
     image: ${images.node}
     ports:
       - "8000:80"
     environment:
       WORDPRESS_DB_HOST: db:3306
       WORDPRESS_DB_USER: wordpress
       WORDPRESS_DB_PASSWORD_FILE: /run/secrets/db_password
     secrets:
       - db_password


secrets:
   db_password:
     file: db_password.txt
   db_root_password:
     file: db_root_password.txt

volumes:
    db_data:
`;

const buildSecret = `services:
  myapp:
    build:
      secrets:
        - npm_token
      context: .

secrets:
  npm_token:
    environment: NPM_TOKEN
`;

const defaultGrant = (source: string) => ({
  source,
  target: `/run/secrets/${source}`,
  uid: "0",
  gid: "0",
  mode: "0444",
});

async function multiServiceProject(): Promise<string> {
  return tempProject({
    "compose.yaml": multiService,
    "db_password.txt": "db-password\n",
    "db_root_password.txt": "root-password\n",
  });
}

describe("composec config: the seed examples", () => {
  it("single-service secret injection", async () => {
    const dir = await tempProject({ "compose.yaml": singleService, "my_secret.txt": "s3cr3t\n" });
    const result = await cli(["-p", "seed1", "config"], { cwd: dir });
    expectSuccess(result);
    const document = jsYaml.load(result.stdout) as Document;
    expect(document["name"]).toBe("seed1");
    expect(document["services"].myapp.image).toBe(images.busybox);
    expect(document["services"].myapp.secrets).toEqual([defaultGrant("my_secret")]);
    expect(document["secrets"]).toEqual({
      my_secret: { name: "seed1_my_secret", file: path.join(dir, "my_secret.txt") },
    });
  });

  it("multi-service secret sharing: each service gets only what it lists", async () => {
    const dir = await multiServiceProject();
    const result = await cli(["-p", "seed2", "config"], { cwd: dir });
    expectSuccess(result);
    const { services, secrets, volumes } = jsYaml.load(result.stdout) as Document;
    expect(Object.keys(services).sort()).toEqual(["db", "wordpress"]);
    expect(services.db.secrets).toEqual([defaultGrant("db_root_password"), defaultGrant("db_password")]);
    expect(services.wordpress.secrets).toEqual([defaultGrant("db_password")]);
    expect(services.db.environment).toMatchObject({ MYSQL_PASSWORD_FILE: "/run/secrets/db_password" });
    expect(services.wordpress.depends_on).toEqual({
      db: { condition: "service_started", required: true, restart: false },
    });
    expect(services.wordpress.ports).toEqual([
      { mode: "ingress", target: 80, published: "8000", protocol: "tcp" },
    ]);
    expect(services.db.volumes).toEqual([{ type: "volume", source: "db_data", target: "/var/lib/mysql" }]);
    expect(volumes).toEqual({ db_data: { name: "seed2_db_data" } });
    expect(secrets).toEqual({
      db_password: { name: "seed2_db_password", file: path.join(dir, "db_password.txt") },
      db_root_password: { name: "seed2_db_root_password", file: path.join(dir, "db_root_password.txt") },
    });
  });

  it("build secrets from an environment variable", async () => {
    const dir = await tempProject({ "compose.yaml": buildSecret, Dockerfile: `FROM ${images.busybox}\n` });
    const result = await cli(["-p", "seed3", "config"], { cwd: dir, env: { NPM_TOKEN: "npm-token-value" } });
    expectSuccess(result);
    const { services, secrets } = jsYaml.load(result.stdout) as Document;
    expect(services.myapp.build).toMatchObject({
      context: dir,
      secrets: [{ source: "npm_token", target: "npm_token" }],
    });
    expect(services.myapp.secrets).toBeUndefined();
    expect(secrets).toEqual({ npm_token: { name: "seed3_npm_token", environment: "NPM_TOKEN" } });
    expect(result.stdout.includes("npm-token-value")).toBe(false);
  });

  it("the build example without NPM_TOKEN is refused, naming the variable", async () => {
    const dir = await tempProject({ "compose.yaml": buildSecret, Dockerfile: `FROM ${images.busybox}\n` });
    const result = await cli(["config"], { cwd: dir, env: { NPM_TOKEN: undefined } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("secrets.npm_token.environment");
    expect(result.stderr).toContain("NPM_TOKEN");
  });
});

describe("composec config: formats and flags", () => {
  it("--format json prints the same document as YAML", async () => {
    const dir = await multiServiceProject();
    const yaml = await cli(["-p", "fmt", "config"], { cwd: dir });
    const json = await cli(["-p", "fmt", "config", "--format", "json"], { cwd: dir });
    expectSuccess(yaml);
    expectSuccess(json);
    expect(JSON.parse(json.stdout)).toEqual(jsYaml.load(yaml.stdout));
  });

  it("-q validates and prints nothing", async () => {
    const dir = await multiServiceProject();
    const result = await cli(["config", "-q"], { cwd: dir });
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("-q still fails on an invalid project", async () => {
    const dir = await tempProject({ "compose.yaml": multiService });
    const result = await cli(["config", "-q"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("db_password.txt");
  });

  it("--services, --secrets, --volumes and --networks list names, one per line", async () => {
    const dir = await multiServiceProject();
    const run = async (flag: string) => {
      const result = await cli(["config", flag], { cwd: dir });
      expectSuccess(result);
      return result.stdout;
    };
    expect(await run("--services")).toBe("db\nwordpress\n");
    expect(await run("--secrets")).toBe("db_password\ndb_root_password\n");
    expect(await run("--volumes")).toBe("db_data\n");
    expect(await run("--networks")).toBe("default\n");
  });

  it("-f - reads the project from standard input; relative paths resolve against the working directory", async () => {
    const dir = await tempProject({ "my_secret.txt": "x" });
    const result = await cli(["-p", "stdin", "-f", "-", "config", "--format", "json"], {
      cwd: dir,
      input: singleService,
    });
    expectSuccess(result);
    const document = JSON.parse(result.stdout) as Document;
    expect(document["services"].myapp.secrets).toEqual([defaultGrant("my_secret")]);
    expect(document["secrets"].my_secret.file).toBe(path.join(dir, "my_secret.txt"));
  });

  it("-f a -f b merges files, relative paths against each declaring file", async () => {
    const dir = await tempProject({
      "compose.yaml": singleService,
      "my_secret.txt": "x",
      "prod/override.yaml": "secrets:\n  my_secret:\n    file: ./prod_secret.txt\n",
      "prod/prod_secret.txt": "y",
    });
    const result = await cli(
      ["-f", "compose.yaml", "-f", "prod/override.yaml", "config", "--format", "json"],
      {
        cwd: dir,
      },
    );
    expectSuccess(result);
    expect((JSON.parse(result.stdout) as Document)["secrets"].my_secret.file).toBe(
      path.join(dir, "prod/prod_secret.txt"),
    );
  });

  it("warnings go to stderr, the document to stdout, and the exit code is 0", async () => {
    const dir = await tempProject({
      "compose.yaml": singleService.replace(
        "      - my_secret\n",
        "      - source: my_secret\n        mode: 0644\n",
      ),
      "my_secret.txt": "x",
    });
    const result = await cli(["config", "--format", "json"], { cwd: dir });
    expectSuccess(result, { warnings: true });
    expect(result.stderr).toMatch(/^warning: .*compose\.yaml:6:\d+ services\.myapp\.secrets\[0\]\.mode: /);
    expect((JSON.parse(result.stdout) as Document)["services"].myapp.secrets[0].mode).toBe("0444");
  });

  it("config creates nothing in the project directory", async () => {
    const dir = await multiServiceProject();
    const before = (await readdir(dir, { recursive: true })).sort();
    expectSuccess(await cli(["config"], { cwd: dir }));
    expect((await readdir(dir, { recursive: true })).sort()).toEqual(before);
  });
});

describe("an environment secret's value interpolated elsewhere", () => {
  // The variable behind an `environment` secret is also copied into a service's environment by
  // interpolation: config masks its value there, as container logs do.
  it("is masked in config output, YAML and JSON", async () => {
    const value = `INTERPOLATED${randomBytes(12).toString("hex")}`;
    const dir = await tempProject({
      "compose.yaml": `services:\n  web:\n    image: ${images.busybox}\n    environment:\n      TOKEN_COPY: \${API_TOKEN}\n    secrets: [api]\nsecrets:\n  api:\n    environment: API_TOKEN\n`,
    });
    for (const args of [["config"], ["config", "--format", "json"]]) {
      const result = await cli(args, { cwd: dir, env: { API_TOKEN: value } });
      expect(result.code).toBe(0);
      expect(result.stdout.includes(value), "the value appears in config output").toBe(false);
      expect(result.stdout).toContain("TOKEN_COPY");
      expect(result.stdout).toContain("****");
    }
  });
});

describe("secret values never appear", () => {
  // Each value is random and recognisable; outputs are searched for it and the result compared as
  // a boolean, so that not even a failing test prints it.
  const fileValue = `FILEVALUE${randomBytes(16).toString("hex")}`;
  const envValue = `ENVVALUE${randomBytes(16).toString("hex")}`;
  const compose = `services:
  app:
    image: ${images.busybox}
    secrets:
      - from_file
      - source: from_env
        uid: "1000"
        mode: 0440
    build:
      context: .
      secrets: [from_env]
secrets:
  from_file:
    file: ./value.txt
  from_env:
    environment: APP_TOKEN
`;

  function leaks(results: CliResult[]): { file: boolean; env: boolean } {
    const all = results.map((r) => r.stdout + r.stderr).join("\n");
    return { file: all.includes(fileValue), env: all.includes(envValue) };
  }

  it("in any config output, from the shell or from .env", async () => {
    const dir = await tempProject({
      "compose.yaml": compose,
      "value.txt": `${fileValue}\n`,
      Dockerfile: "FROM x\n",
    });
    const env = { APP_TOKEN: envValue };
    const results: CliResult[] = [];
    for (const flags of [
      [],
      ["--format", "json"],
      ["-q"],
      ["--services"],
      ["--secrets"],
      ["--volumes"],
      ["--networks"],
      ["--profiles"],
    ]) {
      results.push(await cli(["config", ...flags], { cwd: dir, env }));
    }
    results.push(await cli(["-f", "-", "config"], { cwd: dir, env, input: compose }));
    const fromDotenv = await tempProject({
      "compose.yaml": compose,
      "value.txt": fileValue,
      Dockerfile: "FROM x\n",
      ".env": `APP_TOKEN=${envValue}\n`,
    });
    results.push(await cli(["config"], { cwd: fromDotenv, env: { APP_TOKEN: undefined } }));
    results.push(
      await cli(["config", "--format", "json"], { cwd: fromDotenv, env: { APP_TOKEN: undefined } }),
    );
    for (const result of results) expect(result.code).toBe(0);
    expect(leaks(results)).toEqual({ file: false, env: false });
  });

  it("in errors and warnings of an invalid project", async () => {
    const dir = await tempProject({
      "compose.yaml": compose,
      "value.txt": fileValue,
      "compose.override.yaml": `services:
  app:
    secrets:
      - source: from_file
        mode: 9999
      - source: from_env
        target: ../escape
      - ${fileValue.slice(0, 0)}undefined_one
`,
    });
    const results = [
      await cli(["config"], { cwd: dir, env: { APP_TOKEN: envValue } }),
      await cli(["config", "--format", "json"], { cwd: dir, env: { APP_TOKEN: envValue } }),
      await cli(["config", "-q"], { cwd: dir, env: { APP_TOKEN: envValue } }),
    ];
    for (const result of results) expect(result.code).toBe(1);
    expect(leaks(results)).toEqual({ file: false, env: false });
  });

  it("when the variable is too large for a secret", async () => {
    // Linux caps one environment string at 128 KiB, so the oversized value comes from .env.
    const big = envValue.repeat(Math.ceil((1024 * 1024 + 1) / envValue.length));
    const dir = await tempProject({
      "compose.yaml": compose,
      "value.txt": fileValue,
      ".env": `APP_TOKEN=${big}\n`,
    });
    const result = await cli(["config"], { cwd: dir, env: { APP_TOKEN: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("secrets.from_env.environment");
    expect(leaks([result])).toEqual({ file: false, env: false });
  });

  // A password with a stray ${ or a missing '=' is a common typo; the error must name the file,
  // line and variable, and never echo the value into a terminal or CI log.
  it.each([
    ["a stray ${", `APP_TOKEN=${envValue}\${oops`],
    ["a missing =", `APP_TOKEN ${envValue}`],
    ["text after the closing quote", `APP_TOKEN='${envValue}' trailing`],
    ["a missing closing quote", `APP_TOKEN="${envValue}`],
  ])("when a .env line holding a value does not parse: %s", async (_shape, line) => {
    const dir = await tempProject({
      "compose.yaml": compose,
      "value.txt": fileValue,
      ".env": `A=1\n${line}\n`,
    });
    const result = await cli(["config"], { cwd: dir, env: { APP_TOKEN: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(".env:2");
    expect(leaks([result])).toEqual({ file: false, env: false });
  });
});

describe("top-level models", () => {
  it("are printed as written, with the not-run warning, and config of config is the same", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    models: [llm]
models:
  llm:
    runtime_flags: ["--threads", "2"]
    model: ai/smollm2
    context_size: 1024
`,
    });
    const first = await cli(["-p", "models", "config"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect((jsYaml.load(first.stdout) as Record<string, unknown>)["models"]).toEqual({
      llm: { model: "ai/smollm2", context_size: 1024, runtime_flags: ["--threads", "2"] },
    });
    expect(first.stderr).toContain('models: composec does not run "models"');
    const again = await cli(["-p", "models", "-f", "-", "config"], { cwd: dir, input: first.stdout });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });
});
