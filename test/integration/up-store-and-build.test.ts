// `up` with the other two secret sources end to end: external secrets from the local store
// (delivered, protected from `secret rm` while in use, rotated live, a missing name refused before
// anything exists), and images built by `up` itself with a build secret (--build, --no-build).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, docker, images, PROJECT_LABEL, tempProject } from "./helpers.js";
import { digestIn, IDLE, randomValue, sha256, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();
let storeDir: string;
let storeEnv: Record<string, string>;

beforeAll(async () => {
  storeDir = await mkdtemp(path.join(os.tmpdir(), "composec-up-store-"));
  storeEnv = {
    COMPOSEC_HOME: path.join(storeDir, "home"),
    COMPOSEC_KEY_FILE: path.join(storeDir, "master.key"),
  };
});
afterAll(async () => {
  await rm(storeDir, { recursive: true, force: true });
});

const externalProject = (key: string) =>
  `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [${key}]\nsecrets:\n  ${key}:\n    external: true\n`;

describe("up with external secrets from the local store", () => {
  it("delivers the stored value, refuses secret rm while in use, and delivers a rotation live", async () => {
    const name = await project("ext");
    const first = randomValue("ext-first");
    const created = await cli(["secret", "create", "api_token", "-"], { env: storeEnv, input: first });
    expect(created.code).toBe(0);
    const dir = await tempProject({ "compose.yaml": externalProject("api_token") });
    expect((await cli(["-p", name, "up", "-d"], { cwd: dir, env: storeEnv })).code).toBe(0);
    const container = `${name}-app-1`;
    expect(await digestIn(container, "/run/secrets/api_token")).toBe(sha256(first));

    const removal = await cli(["secret", "rm", "api_token"], { env: storeEnv });
    expect(removal.code).toBe(1);
    expect(removal.stderr).toContain(`used by running project ${name}`);

    const startedAt = (await docker.getContainer(container).inspect()).State.StartedAt;
    const second = randomValue("ext-second");
    expect((await cli(["secret", "rotate", "api_token", "-"], { env: storeEnv, input: second })).code).toBe(
      0,
    );
    const again = await cli(["-p", name, "up", "-d"], { cwd: dir, env: storeEnv });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Secrets updated: /run/secrets/api_token");
    expect(await digestIn(container, "/run/secrets/api_token")).toBe(sha256(second));
    expect((await docker.getContainer(container).inspect()).State.StartedAt).toBe(startedAt);
    for (const output of [created, removal, again]) {
      const text = output.stdout + output.stderr;
      expect(text.includes(first) || text.includes(second), "a stored value in composec's output").toBe(
        false,
      );
    }
  });

  it("a name missing from the store stops up before anything is made, suggesting a close one", async () => {
    const name = await project("ext-missing");
    expect((await cli(["secret", "create", "db_password", "-"], { env: storeEnv, input: "x" })).code).toBe(0);
    const dir = await tempProject({ "compose.yaml": externalProject("db_pasword") });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir, env: storeEnv });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no secret "db_pasword" in the local secret store at');
    expect(result.stderr).toContain('did you mean "db_password"?');
    expect(
      await docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${name}`] } }),
    ).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`${PROJECT_LABEL}=${name}`] } })).toEqual([]);
  });
});

describe("up builds what it needs, with build secrets", () => {
  const compose = `services:\n  myapp:\n    build:\n      secrets:\n        - npm_token\n      context: .\n    command: ${IDLE}\nsecrets:\n  npm_token:\n    environment: NPM_TOKEN\n`;
  const dockerfile = `FROM ${images.busybox}\nARG NONCE\nRUN --mount=type=secret,id=npm_token echo "$NONCE" >/dev/null && sha256sum /run/secrets/npm_token | cut -d' ' -f1 > /digest\n`;

  it("builds a missing image, --no-build refuses to, and the step read the token", async () => {
    const name = await project("upbuild");
    const token = randomValue("upbuild-token");
    const dir = await tempProject({ "compose.yaml": compose, Dockerfile: dockerfile });
    // A fresh NONCE build arg per test keeps the cache from serving another test's layer.
    await writeFile(
      path.join(dir, "compose.yaml"),
      compose.replace("context: .", `context: .\n      args:\n        NONCE: ${name}`),
    );
    try {
      const refused = await cli(["-p", name, "up", "-d", "--no-build"], {
        cwd: dir,
        env: { NPM_TOKEN: token },
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--no-build");

      const built = await cli(["-p", name, "up", "-d"], { cwd: dir, env: { NPM_TOKEN: token } });
      expect(built.code).toBe(0);
      expect(built.stderr).toContain(`Image ${name}-myapp  Built`);
      expect(built.stderr.includes(token) || built.stdout.includes(token), "the token in the output").toBe(
        false,
      );
      const digest = await digestIn(`${name}-myapp-1`, "/digest");
      expect(digest).toBeDefined();
      const read = await cli(["-p", name, "exec", "-T", "myapp", "cat", "/digest"], { cwd: dir });
      expect(read.stdout.trim()).toBe(sha256(token));

      // The image exists now: a plain `up` does not build again; `--build` does.
      const plain = await cli(["-p", name, "up", "-d"], { cwd: dir, env: { NPM_TOKEN: token } });
      expect(plain.stderr).not.toContain("Built");
      const rebuilt = await cli(["-p", name, "up", "-d", "--build"], { cwd: dir, env: { NPM_TOKEN: token } });
      expect(rebuilt.code).toBe(0);
      expect(rebuilt.stderr).toContain(`Image ${name}-myapp  Built`);
    } finally {
      await cli(["-p", name, "down", "-t", "0"], { cwd: dir });
      await docker
        .getImage(`${name}-myapp`)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
});
