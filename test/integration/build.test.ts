// Intent: the seed's build example (`npm_token` from NPM_TOKEN, read by one RUN step through
// BuildKit) end to end through the built CLI and the real engine: the step read the exact value
// (the digest it wrote into the image is the token's), and the token's bytes are nowhere else: not
// in `docker history`, the image config, the saved image (every layer), the build arguments, or
// composec's output. Then the rest of `build:`: a rebuild served from the cache, the attributes,
// .dockerignore, inline Dockerfiles, one service's build unable to read another's secret.
// The token is random per run and never printed: tests compare sha256 digests and search bytes.
import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  runInImage,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

const projects: string[] = [];

/** A project name for this test; its images are removed after the file. */
function project(prefix: string): string {
  const name = uniqueProjectName(prefix);
  projects.push(name);
  return name;
}

afterAll(async () => {
  for (const name of projects) {
    const built = await docker.listImages({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${name}`] }),
    });
    for (const image of built)
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
  }
  await cleanupTempProjects();
});

const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/** A throwaway token: random, so no cache and no other test can hold it. Never printed. */
const newToken = (): string => `npm_${randomBytes(18).toString("hex")}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `expect(haystack).not.toContain(token)` that never prints the token when it fails. */
function expectAbsent(where: string, haystack: Buffer | string, token: string): void {
  const found = (Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack)).includes(Buffer.from(token));
  expect(found, `the token's bytes appear in ${where}`).toBe(false);
}

const seedCompose = `services:
  myapp:
    build:
      secrets:
        - npm_token
      context: .
secrets:
  npm_token:
    environment: NPM_TOKEN
`;
const seedDockerfile = `FROM ${images.busybox}
RUN --mount=type=secret,id=npm_token sha256sum /run/secrets/npm_token > /digest
`;

describe("composec build", () => {
  it("the seed's example: the RUN step reads the token, and the token is nowhere in the image or the output", async () => {
    const name = project("build-seed");
    const token = newToken();
    const dir = await tempProject({ "compose.yaml": seedCompose, Dockerfile: seedDockerfile });
    // --no-cache: BuildKit keys its cache without secret values (as it must), so this exact step
    // built earlier with another token would be reused, digest and all.
    const result = await cli(["-p", name, "build", "--no-cache"], { cwd: dir, env: { NPM_TOKEN: token } });
    expectAbsent("composec's output", result.stdout + result.stderr, token);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`#`);
    expect(result.stderr).toContain("[myapp 2/2] RUN --mount=type=secret,id=npm_token");
    expect(result.stderr).toContain(`Image ${name}-myapp  Built`);

    const image = `${name}-myapp`;
    const run = await runInImage(image, ["cat", "/digest"]);
    expect(run.stdout.slice(0, 64)).toBe(sha256(token));

    const history = await docker.getImage(image).history();
    expectAbsent("docker history", JSON.stringify(history), token);
    const inspect = await docker.getImage(image).inspect();
    expectAbsent("the image config", JSON.stringify(inspect), token);
    expect(inspect.Config.Labels).toMatchObject({
      "com.docker.compose.project": name,
      "com.docker.compose.service": "myapp",
    });
    // No build argument carries it (there are none), and history names the mount, not the value.
    expect(JSON.stringify(history)).not.toMatch(/NPM_TOKEN=/);

    // The saved image: every layer as an uncompressed tar inside the archive.
    const saved = await readAll((await docker.getImage(image).get()) as unknown as Readable);
    expectAbsent("the saved image (docker save)", saved, token);
    // The search sees layer contents: the digest the step wrote is found the same way.
    expect(saved.includes(Buffer.from(sha256(token)))).toBe(true);
  });

  it("a rebuild with no change is served from the cache, and says so; the secret is no part of the cache key", async () => {
    const name = project("build-cache");
    const dir = await tempProject({ "compose.yaml": seedCompose, Dockerfile: seedDockerfile });
    const env = { NPM_TOKEN: newToken() };
    expect((await cli(["-p", name, "build"], { cwd: dir, env })).code).toBe(0);
    const again = await cli(["-p", name, "build"], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^#\d+ CACHED$/m);
    expect(again.stderr).toContain(`Image ${name}-myapp  Built (from cache: 1/1 steps)`);
    // The secret is not part of the cache key (no hash of it either): another token still hits.
    const otherToken = await cli(["-p", name, "build"], { cwd: dir, env: { NPM_TOKEN: newToken() } });
    expect(otherToken.code, otherToken.stderr).toBe(0);
    expect(otherToken.stderr).toContain(`Image ${name}-myapp  Built (from cache: 1/1 steps)`);
  });

  it("--progress quiet prints nothing but succeeds", async () => {
    const name = project("build-quiet");
    const dir = await tempProject({ "compose.yaml": seedCompose, Dockerfile: seedDockerfile });
    const result = await cli(["-p", name, "build", "--progress", "quiet"], {
      cwd: dir,
      env: { NPM_TOKEN: newToken() },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("");
  });

  it("a step that prints the secret has it blanked in composec's output", async () => {
    const name = project("build-redact");
    const token = newToken();
    const dir = await tempProject({
      "compose.yaml": seedCompose,
      Dockerfile: `FROM ${images.busybox}\nRUN --mount=type=secret,id=npm_token echo "token is $(cat /run/secrets/npm_token)"\n`,
    });
    const result = await cli(["-p", name, "build", "--no-cache"], { cwd: dir, env: { NPM_TOKEN: token } });
    expect(result.code, result.stderr).toBe(0);
    expectAbsent("composec's output", result.stdout + result.stderr, token);
    expect(result.stderr).toMatch(/token is \[secret redacted\]/);
  });

  it("passes args, labels, tags, target, extra_hosts, shm_size and network to the build", async () => {
    const name = project("build-attrs");
    const dir = await tempProject({
      "compose.yaml": `services:
  web:
    build:
      context: .
      dockerfile: docker/web.Dockerfile
      args:
        GREETING: hello
      labels:
        team: docs
      tags:
        - ${name}-extra:1
      target: final
      extra_hosts:
        - "buildhost=10.1.2.3"
      shm_size: 64m
      network: none
`,
      "docker/web.Dockerfile": `FROM ${images.busybox} AS base
ARG GREETING
RUN echo "$GREETING" > /greeting
RUN awk '/buildhost/ { print $1 }' /etc/hosts > /hosts
RUN df -k /dev/shm | tail -1 | awk '{print $2}' > /shm
RUN ls /sys/class/net | tr '\\n' ' ' > /nets
FROM base AS final
RUN echo final > /stage
FROM base AS other
RUN echo other > /stage
`,
    });
    const result = await cli(["-p", name, "build"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const image = `${name}-web`;
    const out = await runInImage(image, ["sh", "-c", "cat /greeting /hosts /shm /stage; cat /nets; echo"]);
    expect(out.stdout.trim().split("\n")).toEqual(["hello", "10.1.2.3", "65536", "final", "lo"]);
    const inspect = await docker.getImage(`${name}-extra:1`).inspect();
    expect(inspect.Config.Labels).toMatchObject({ team: "docs", "com.docker.compose.service": "web" });
    expect(inspect.RepoTags).toEqual(expect.arrayContaining([`${image}:latest`, `${name}-extra:1`]));
  });

  it("honours .dockerignore, and builds from dockerfile_inline", async () => {
    const name = project("build-ignore");
    const dir = await tempProject({
      "compose.yaml": `services:
  web:
    image: ${name}-named:2
    build:
      context: .
      dockerfile_inline: |
        FROM ${images.busybox}
        COPY . /ctx
        RUN ls -A /ctx | grep -v '^.composec-dockerfile-' | tr '\\n' ' ' > /listing
`,
      ".dockerignore": "*.log\nsecrets/\n",
      "app.js": "",
      "debug.log": "",
      "secrets/key": "",
    });
    const result = await cli(["-p", name, "build"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const out = await runInImage(`${name}-named:2`, ["cat", "/listing"]);
    expect(out.stdout.trim()).toBe(".dockerignore app.js compose.yaml");
  });

  it("builds only the services named, each with only its own secrets", async () => {
    const name = project("build-two");
    const dir = await tempProject({
      "compose.yaml": `services:
  a:
    build:
      context: a
      secrets: [alpha]
  b:
    build:
      context: b
      secrets:
        - source: beta
          target: beta_id
secrets:
  alpha:
    file: ./alpha.txt
  beta:
    environment: BETA
`,
      "alpha.txt": newToken(),
      "a/Dockerfile": `FROM ${images.busybox}\nRUN --mount=type=secret,id=alpha test -s /run/secrets/alpha\n`,
      "b/Dockerfile": `FROM ${images.busybox}\nRUN --mount=type=secret,id=alpha,required=true true\n`,
    });
    const env = { BETA: newToken() };
    const onlyA = await cli(["-p", name, "build", "a"], { cwd: dir, env });
    expect(onlyA.code, onlyA.stderr).toBe(0);
    expect(onlyA.stderr).toContain(`Image ${name}-a  Built`);
    expect(onlyA.stderr).not.toContain(`${name}-b`);
    // b's build asks for a's secret: the session of b's build does not have it.
    const onlyB = await cli(["-p", name, "build", "b"], { cwd: dir, env });
    expect(onlyB.code).toBe(1);
    expect(onlyB.stderr).toContain('service "b": the Dockerfile needs secret "alpha"');
  });

  it("warns about a build argument that looks like a secret, without its value", async () => {
    const name = project("build-argwarn");
    const value = newToken();
    const dir = await tempProject({
      "compose.yaml": `services:\n  web:\n    build:\n      context: .\n      args:\n        API_TOKEN: \${API_TOKEN}\n`,
      Dockerfile: `FROM ${images.busybox}\nARG API_TOKEN\nRUN true\n`,
    });
    const result = await cli(["-p", name, "build"], { cwd: dir, env: { API_TOKEN: value } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: services\.web\.build\.args\.API_TOKEN: looks like a secret.*build\.secrets/,
    );
    expectAbsent("composec's output", result.stderr, value);
  });
});
