// The build context: `.dockerignore` applied as Docker applies it (exceptions, directories, root
// anchoring), the Dockerfile and .dockerignore always sent, root ownership and exact modes in the
// tar, an inline or outside Dockerfile added under a name fixed by its content, and every problem
// with the context or the Dockerfile found before the engine is asked.
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Build } from "../model/project.js";
import { checkContext, contextEntries, packContext } from "./context.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "composec-context-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(entries: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(entries)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

const build = (overrides: Partial<Build> = {}): Build => ({
  context: dir,
  args: {},
  labels: {},
  tags: [],
  extraHosts: [],
  noCache: false,
  pull: false,
  cacheFrom: [],
  secrets: [],
  ...overrides,
});

/** `tar -tv` of a stream: "mode uid/gid name" per entry. */
async function listing(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const out = spawnSync("tar", ["--numeric-owner", "-tvf", "-"], { input: Buffer.concat(chunks) });
  return out.stdout
    .toString()
    .trim()
    .split("\n")
    .map((line) => {
      const [mode, owner, , , , name] = line.split(/\s+/);
      return `${mode} ${owner} ${name}`;
    });
}

describe("contextEntries", () => {
  it("applies .dockerignore as Docker does", async () => {
    await files({
      ".dockerignore": "node_modules\n*.log\n!keep.log\nbuild/\n!build/keep\n**/*.tmp\n",
      Dockerfile: "FROM a\n",
      "app.js": "",
      "a.log": "",
      "keep.log": "",
      "sub/a.log": "",
      "sub/x.tmp": "",
      "node_modules/pkg/index.js": "",
      "build/out": "",
      "build/keep": "",
    });
    const entries = [...(await contextEntries(dir))].sort();
    expect(entries).toEqual([
      ".dockerignore",
      "Dockerfile",
      "app.js",
      "build",
      "build/keep",
      "keep.log",
      "sub",
      "sub/a.log",
    ]);
  });

  it("always sends the Dockerfile and .dockerignore, even when .dockerignore leaves them out", async () => {
    await files({ ".dockerignore": "*\n", "docker/app.Dockerfile": "FROM a\n", other: "" });
    const entries = [...(await contextEntries(dir, [".dockerignore", "docker/app.Dockerfile"]))].sort();
    expect(entries).toEqual([".dockerignore", "docker", "docker/app.Dockerfile"]);
  });
});

describe("packContext", () => {
  it("packs what .dockerignore keeps, as root, with the files' own modes", async () => {
    await files({
      ".dockerignore": "secret.txt\n",
      Dockerfile: "FROM a\n",
      "run.sh": "#!/bin/sh\n",
      "secret.txt": "x",
    });
    await chmod(join(dir, "run.sh"), 0o775);
    await symlink("run.sh", join(dir, "link"));
    const { context } = await checkContext("web", build());
    expect(await listing(await packContext(context!))).toEqual([
      "-rw-r--r-- 0/0 .dockerignore",
      "-rw-r--r-- 0/0 Dockerfile",
      "lrwxrwxrwx 0/0 link",
      "-rwxrwxr-x 0/0 run.sh",
    ]);
  });

  it("adds an inline Dockerfile under a name fixed by its content", async () => {
    await files({ "app.js": "" });
    const { context, problems } = await checkContext(
      "web",
      build({ dockerfileInline: "FROM a\nRUN true\n" }),
    );
    expect(problems).toEqual([]);
    expect(context!.dockerfile).toMatch(/^\.composec-dockerfile-[0-9a-f]{12}$/);
    expect(context!.dockerfileShown).toBe("dockerfile_inline");
    expect(await listing(await packContext(context!))).toEqual([
      "-rw-r--r-- 0/0 app.js",
      `-rw-r--r-- 0/0 ${context!.dockerfile}`,
    ]);
    const again = await checkContext("web", build({ dockerfileInline: "FROM a\nRUN true\n" }));
    expect(again.context!.dockerfile).toBe(context!.dockerfile);
  });

  it("adds a Dockerfile from outside the context the same way", async () => {
    await files({ "ctx/app.js": "", "elsewhere/Dockerfile": "FROM a\n" });
    const { context } = await checkContext(
      "web",
      build({ context: join(dir, "ctx"), dockerfile: "../elsewhere/Dockerfile" }),
    );
    expect(context!.dockerfile).toMatch(/^\.composec-dockerfile-/);
    expect(context!.dockerfileShown).toBe(join(dir, "elsewhere/Dockerfile"));
  });
});

describe("checkContext", () => {
  it("finds a Dockerfile by its path relative to the context", async () => {
    await files({ "docker/web.Dockerfile": "FROM a\n" });
    const { context } = await checkContext("web", build({ dockerfile: "docker/web.Dockerfile" }));
    expect(context!.dockerfile).toBe("docker/web.Dockerfile");
    expect(context!.dockerfileText).toBe("FROM a\n");
  });

  it("reports a missing context, once", async () => {
    const { problems } = await checkContext("web", build({ context: join(dir, "nothere") }));
    expect(problems).toEqual([
      {
        path: "services.web.build.context",
        message: `"${join(dir, "nothere")}" does not exist; build.context is the directory the image is built from`,
      },
    ]);
  });

  it("reports a context that is a file", async () => {
    await files({ file: "" });
    const { problems } = await checkContext("web", build({ context: join(dir, "file") }));
    expect(problems[0]!.message).toMatch(/is not a directory/);
  });

  it("reports a missing Dockerfile", async () => {
    const { problems } = await checkContext("web", build());
    expect(problems).toEqual([
      {
        path: "services.web.build.dockerfile",
        message: `"${join(dir, "Dockerfile")}" does not exist; set build.dockerfile (relative to the context) or dockerfile_inline`,
      },
    ]);
  });

  it("refuses dockerfile and dockerfile_inline together", async () => {
    await files({ Dockerfile: "FROM a\n" });
    const { problems } = await checkContext(
      "web",
      build({ dockerfile: "Dockerfile", dockerfileInline: "FROM a" }),
    );
    expect(problems[0]!.message).toBe("dockerfile and dockerfile_inline cannot both be set; keep one");
  });
});
