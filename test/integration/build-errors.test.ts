// Intent: every bad build input a user meets, through the built CLI: a non-zero exit and one clear
// message. Input problems (context, Dockerfile, secrets) are found before the engine is asked, so
// nothing is built; problems only BuildKit can see come with its own words and what they mean
// here (the Dockerfile line, the failing step's output, the secret not granted, the frontend a
// `# syntax=` line tried to fetch). Last, an engine without BuildKit: a clear message, not a hang.
// That one needs an engine this machine does not have, so a stub on a unix socket answers exactly
// what such engines answer (moby's api/server/router/build: 400 "buildkit is not enabled on daemon";
// an engine before API 1.39, or one with no session endpoint: 404) and nothing else.
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import {
  cleanupTempProjects,
  cli,
  cliPath,
  docker,
  images,
  tempProject,
  uniqueProjectName,
  waitFor,
} from "./helpers.js";

const projects: string[] = [];
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

async function imagesOf(name: string): Promise<number> {
  const list = await docker.listImages({
    all: true,
    filters: JSON.stringify({ label: [`com.docker.compose.project=${name}`] }),
  });
  return list.length;
}

const oneService = (build: string) => `services:\n  web:\n    build:\n${build}`;

async function build(files: Record<string, string>, env: Record<string, string | undefined> = {}) {
  const name = project("build-bad");
  const dir = await tempProject(files);
  const result = await cli(["-p", name, "build"], { cwd: dir, env });
  return { ...result, name, dir };
}

describe("composec build: bad input", () => {
  it("a context that does not exist", async () => {
    const result = await build({ "compose.yaml": oneService("      context: ./nothere\n") });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: services.web.build.context: "${join(result.dir, "nothere")}" does not exist; build.context is the directory the image is built from\n`,
    );
    expect(await imagesOf(result.name)).toBe(0);
  });

  it("a Dockerfile that does not exist", async () => {
    const result = await build({
      "compose.yaml": oneService("      context: .\n      dockerfile: app.Dockerfile\n"),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: services.web.build.dockerfile: "${join(result.dir, "app.Dockerfile")}" does not exist; set build.dockerfile (relative to the context) or dockerfile_inline\n`,
    );
  });

  it("a Dockerfile with a syntax error: BuildKit's message and the line", async () => {
    const result = await build({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `FROM ${images.busybox}\nRUN true\nFROMM nothing\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: service "web": build failed: ');
    expect(result.stderr).toContain("dockerfile parse error line 3: unknown instruction: FROMM");
    expect(result.stderr).toContain(`  --> ${join(result.dir, "Dockerfile")}:3\n  3 | FROMM nothing\n`);
  });

  it("a RUN step that fails: its output and a non-zero exit", async () => {
    const result = await build({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `FROM ${images.busybox}\nRUN echo to-stdout; echo to-stderr >&2; exit 3\n`,
    });
    expect(result.code).toBe(1);
    // Once as the step runs (progress), once under the error (as buildx repeats it).
    expect(result.stderr).toMatch(/^#\d+ \d+\.\d+ to-stdout$/m);
    expect(result.stderr).toContain("exit code: 3");
    // stdout and stderr reach BuildKit on two pipes: their lines may come in either order.
    const block =
      /^ {2}> \[web 2\/2\] RUN echo to-stdout; echo to-stderr >&2; exit 3:\n((?: {2}.*\n)*?) {2}------$/m.exec(
        result.stderr,
      );
    expect(block?.[1]?.split("\n").sort()).toEqual(["", "  to-stderr", "  to-stdout"]);
  });

  it("a required=true secret the service does not grant: named, with where to grant it", async () => {
    const result = await build({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `FROM ${images.busybox}\nRUN --mount=type=secret,id=npm_token,required=true true\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^#\d+ ERROR: secret npm_token not found/m);
    expect(result.stderr.split("\n").at(-2)).toBe(
      'error: service "web": the Dockerfile needs secret "npm_token" (RUN --mount=type=secret,id=npm_token,required=true), and the service does not grant it; add it to services.web.build.secrets (and define it under top-level secrets:)',
    );
  });

  it("a # syntax= line: BuildKit would fetch a frontend from a registry; said plainly", async () => {
    const result = await build({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `# syntax=docker/dockerfile:1\nFROM ${images.busybox}\nRUN true\n`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the Dockerfile's "# syntax=docker/dockerfile:1" line makes BuildKit fetch that frontend image from a registry, and that failed; remove the line`,
    );
  });

  it("an environment build secret whose variable is unset: found by the loader, nothing built", async () => {
    const result = await build(
      {
        "compose.yaml":
          oneService("      context: .\n      secrets:\n        - npm_token\n") +
          "secrets:\n  npm_token:\n    environment: NPM_TOKEN\n",
        Dockerfile: `FROM ${images.busybox}\nRUN true\n`,
      },
      { NPM_TOKEN: undefined },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: .*compose\.yaml:\d+:\d+ secrets\.npm_token\.environment: variable NPM_TOKEN is not set/m,
    );
    expect(await imagesOf(result.name)).toBe(0);
  });

  it("a build secret that is not defined: found by the loader", async () => {
    const result = await build(
      {
        "compose.yaml":
          oneService("      context: .\n      secrets:\n        - npm_tokn\n") +
          "secrets:\n  npm_token:\n    environment: NPM_TOKEN\n",
        Dockerfile: `FROM ${images.busybox}\nRUN true\n`,
      },
      { NPM_TOKEN: "x-unused" },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/services\.web\.build\.secrets\[0\].*npm_tokn/);
  });

  it("--pull with no registry to ask: said plainly", async () => {
    const name = project("build-bad");
    const dir = await tempProject({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `FROM ${images.busybox}\nRUN true\n`,
    });
    const result = await cli(["-p", name, "build", "--pull"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "--pull (or build.pull) makes BuildKit ask the registry for newer base images",
    );
  });

  it("Ctrl-C during a build cancels it on the engine and exits 130", async () => {
    const name = project("build-int");
    // A sleep no other test runs, to find the step's process on this machine.
    const seconds = 100 + Math.floor(Math.random() * 800);
    const dir = await tempProject({
      "compose.yaml": oneService("      context: .\n"),
      Dockerfile: `FROM ${images.busybox}\nRUN echo started; sleep ${seconds}\n`,
    });
    const child = spawn(process.execPath, [cliPath, "-p", name, "build", "--no-cache"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await waitFor(() => / started$/m.test(stderr), { what: "the RUN step to start", timeoutMs: 60_000 });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain('service "web": build cancelled');
    const running = () => spawnSync("pgrep", ["-f", `^sleep ${seconds}$`]).status === 0;
    // BuildKit stops a cancelled step with SIGTERM and kills it only after a grace period, which a
    // busy engine stretches: give it time, the assertion is that it ends.
    await waitFor(() => !running(), { what: "the step's process to end", timeoutMs: 45_000 });
  });

  it("a service that has no build section, or does not exist", async () => {
    const name = project("build-bad");
    const dir = await tempProject({ "compose.yaml": `services:\n  db:\n    image: ${images.busybox}\n` });
    const result = await cli(["-p", name, "build", "db", "nope"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: services.db: service "db" has no build section; it runs image "${images.busybox}"\nerror: no such service: "nope" (services: db)\n`,
    );
  });
});

describe("composec build: an engine without BuildKit", () => {
  /** A stub engine on a unix socket; `handle` answers each request. */
  async function stubEngine(
    handle: (request: http.IncomingMessage, response: http.ServerResponse) => void,
    onUpgrade?: (request: http.IncomingMessage, socket: Socket) => void,
  ): Promise<{ host: string; close: () => Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), "composec-stub-"));
    const socketPath = join(dir, "engine.sock");
    const sockets = new Set<Socket>();
    const server = http.createServer(handle);
    server.on("connection", (socket: Socket) => sockets.add(socket));
    if (onUpgrade) server.on("upgrade", (request, socket) => onUpgrade(request, socket as Socket));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return {
      host: `unix://${socketPath}`,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  const json = (response: http.ServerResponse, status: number, body: object): void => {
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  };

  const files = {
    "compose.yaml": oneService("      context: .\n"),
    Dockerfile: `FROM ${images.busybox}\nRUN true\n`,
  };

  it("BuildKit turned off in the daemon: says so and how to turn it on, at once", async () => {
    const engine = await stubEngine(
      (request, response) => {
        request.resume();
        if (request.url?.includes("/build"))
          json(response, 400, { message: "buildkit is not enabled on daemon" });
        else json(response, 404, { message: "page not found" });
      },
      // The session endpoint exists on such an engine: accept it and say nothing on it.
      (_request, socket) =>
        socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
    );
    try {
      const dir = await tempProject(files);
      const started = Date.now();
      const result = await cli(["-H", engine.host, "-p", project("build-nobk"), "build"], {
        cwd: dir,
        timeoutMs: 20_000,
      });
      expect(result.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.stderr).toContain(
        "the engine does not build with BuildKit (it said: buildkit is not enabled on daemon); composec builds only with BuildKit",
      );
      expect(result.stderr).toContain('{"features": {"buildkit": true}}');
    } finally {
      await engine.close();
    }
  });

  it("no session endpoint at all (an old engine): says so, not a hang", async () => {
    const engine = await stubEngine((request, response) => {
      request.resume();
      json(response, 404, { message: "page not found" });
    });
    try {
      const dir = await tempProject(files);
      const result = await cli(["-H", engine.host, "-p", project("build-nobk"), "build"], {
        cwd: dir,
        timeoutMs: 20_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "error: the engine does not support BuildKit sessions (POST /session answered 404: page not found); composec builds with BuildKit, which needs Docker Engine 18.09 or newer on Linux\n",
      );
    } finally {
      await engine.close();
    }
  });
});
