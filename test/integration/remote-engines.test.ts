// Remote engines, through the built CLI, against a second dockerd on this machine (second-engine.ts)
// reached over tcp with TLS and over ssh: a project's whole life (up, ps, logs, exec, down), builds
// with a secret, the docker CLI's contexts and precedence, and one clear error for each way of not
// getting in (nothing created anywhere). Runtime secrets stay refused on a remote engine until
// engine-side delivery exists (docs/engine-side-delivery.md).
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import {
  cli,
  docker as mainDocker,
  images,
  PROJECT_LABEL,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";
import { useSecondEngine } from "./second-engine.js";
import { cleanDockerEnv, transportsTo, type Transport } from "./remote-transports.js";

const engine = useSecondEngine({ images: [images.busybox] });

// Every ssh connection and channel is a new sshd session running the remote docker CLI: on a busy
// two-core machine one takes seconds (OpenSSH's own `ssh host true` too), and a command opens a few.
const SLOW_MS = 300_000;

const clean = cleanDockerEnv;
const transports: Transport[] = transportsTo(engine);

/** What of `project` exists on an engine: containers, networks, volumes. */
async function objectsOf(on: Docker, project: string): Promise<number> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    on.listContainers({ all: true, filters }),
    on.listNetworks({ filters }),
    on.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes ?? []).length;
}

async function expectNothingCreated(project: string): Promise<void> {
  expect(await objectsOf(engine().docker, project)).toBe(0);
  expect(await objectsOf(mainDocker, project)).toBe(0);
}

const webProject = {
  "compose.yaml": `services:
  web:
    image: ${images.busybox}
    command: ["sh", "-c", "echo hello from the remote engine; trap 'exit 0' TERM; sleep 300 & wait"]
`,
};

const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

describe.each(transports)("a remote engine over $name", (transport) => {
  it(
    "runs a project's whole life: up, ps, logs, exec, version, down; only on that engine",
    async () => {
      const name = uniqueProjectName("remote");
      const dir = await tempProject(webProject);
      const run = (args: string[]) =>
        cli([...transport.args(), "-p", name, ...args], { cwd: dir, env: transport.env() });

      const up = await run(["up", "-d"]);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain(`Container ${name}-web-1  Started`);
      const [container] = await engine().docker.listContainers({
        filters: { label: [`${PROJECT_LABEL}=${name}`] },
      });
      expect(container?.State).toBe("running");
      expect(await objectsOf(mainDocker, name)).toBe(0);

      const ps = await run(["ps", "--format", "json"]);
      expect(ps.code, ps.stderr).toBe(0);
      expect(JSON.parse(ps.stdout.trim().split("\n")[0]!)).toMatchObject({
        Name: `${name}-web-1`,
        State: "running",
      });

      const logs = await run(["logs", "--no-log-prefix", "web"]);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toContain("hello from the remote engine");

      const exec = await run(["exec", "-T", "web", "sh", "-c", "echo exec says $((6 * 7)); exit 3"]);
      expect(exec.stdout).toBe("exec says 42\n");
      expect(exec.code).toBe(3);

      const version = await run(["version", "--format", "json"]);
      expect(JSON.parse(version.stdout)).toMatchObject({
        context: "default",
        endpoint: transport.endpoint(),
      });

      const down = await run(["down"]);
      expect(down.code, down.stderr).toBe(0);
      expect(await objectsOf(engine().docker, name)).toBe(0);
    },
    SLOW_MS,
  );

  it(
    "builds an image with a build secret: the step reads it, the engine has the image",
    async () => {
      const name = uniqueProjectName("remote-build");
      const token = randomBytes(24).toString("hex");
      const dir = await tempProject({
        "compose.yaml": `services:
  app:
    build:
      context: .
      secrets: [api_token]
secrets:
  api_token:
    environment: API_TOKEN
`,
        Dockerfile: `FROM ${images.busybox}\nRUN --mount=type=secret,id=api_token sha256sum /run/secrets/api_token > /digest\n`,
      });
      const build = await cli(
        [...transport.args(), "-p", name, "build", "--no-cache", "--progress", "plain"],
        {
          cwd: dir,
          env: { ...transport.env(), API_TOKEN: token },
        },
      );
      expect(build.code, build.stderr).toBe(0);
      expect(Buffer.from(build.stdout + build.stderr).includes(Buffer.from(token))).toBe(false);
      expect(build.stderr).toContain(`Image ${name}-app  Built`);

      // The image is on the second engine (not the main one), and its step saw the exact bytes.
      const image = `${name}-app`;
      expect(
        await mainDocker
          .getImage(image)
          .inspect()
          .catch(() => undefined),
      ).toBeUndefined();
      const container = await engine().docker.createContainer({ Image: image, Cmd: ["cat", "/digest"] });
      try {
        await container.start();
        await container.wait();
        const output = (await container.logs({ stdout: true, follow: false })).toString("utf8");
        expect(output).toContain(sha256(token));
      } finally {
        await container.remove({ force: true });
        await engine().docker.getImage(image).remove({ force: true });
      }
    },
    SLOW_MS,
  );

  it("forcing local secrets delivery on a remote engine is refused with why, and creates nothing", async () => {
    const name = uniqueProjectName("remote-secret");
    const dir = await tempProject({
      "compose.yaml": `services:
  web:
    image: ${images.busybox}
    command: ["sleep", "300"]
    secrets: [db]
secrets:
  db:
    environment: DB_PASSWORD
`,
    });
    const up = await cli([...transport.args(), "--secrets-delivery", "local", "-p", name, "up", "-d"], {
      cwd: dir,
      env: { ...transport.env(), DB_PASSWORD: randomBytes(8).toString("hex") },
    });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      `services web have secrets or configs; --secrets-delivery asks for local secrets delivery, but the engine at ${transport.endpoint()} is not on this host`,
    );
    await expectNothingCreated(name);
  });
});

/** Writes a context as `docker context create` does: meta.json (and TLS files) under the sha256 of its name. */
async function writeContext(
  configDir: string,
  name: string,
  host: string,
  tls?: { ca: string; cert: string; key: string },
): Promise<void> {
  const id = createHash("sha256").update(name).digest("hex");
  const meta = path.join(configDir, "contexts", "meta", id);
  await mkdir(meta, { recursive: true });
  await writeFile(
    path.join(meta, "meta.json"),
    JSON.stringify({
      Name: name,
      Metadata: { Description: "" },
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  );
  if (tls) {
    const files = path.join(configDir, "contexts", "tls", id, "docker");
    await mkdir(files, { recursive: true });
    await copyFile(tls.ca, path.join(files, "ca.pem"));
    await copyFile(tls.cert, path.join(files, "cert.pem"));
    await copyFile(tls.key, path.join(files, "key.pem"));
  }
}

describe("the docker CLI's contexts", () => {
  it(
    "reads contexts as the docker CLI writes them, with its precedence",
    async () => {
      const configDir = path.join(engine().dir, "docker-config");
      await writeContext(configDir, "remote-tls", engine().tcpHost, {
        ca: path.join(engine().certPath, "ca.pem"),
        cert: path.join(engine().certPath, "cert.pem"),
        key: path.join(engine().certPath, "key.pem"),
      });
      await writeContext(configDir, "remote-ssh", engine().sshHost);
      await writeFile(path.join(configDir, "config.json"), JSON.stringify({ currentContext: "remote-tls" }));
      const env = { ...clean, HOME: engine().home, DOCKER_CONFIG: configDir };
      const version = async (args: string[], extra: Record<string, string> = {}) => {
        const result = await cli([...args, "version", "--format", "json"], { env: { ...env, ...extra } });
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as { context: string; contextSource: string; endpoint: string };
      };

      expect(await version([])).toMatchObject({
        context: "remote-tls",
        contextSource: `currentContext in ${path.join(configDir, "config.json")}`,
        endpoint: engine().tcpHost,
      });
      expect(await version([], { DOCKER_CONTEXT: "remote-ssh" })).toMatchObject({
        context: "remote-ssh",
        contextSource: "DOCKER_CONTEXT",
        endpoint: engine().sshHost,
      });
      expect(
        await version([], { DOCKER_CONTEXT: "remote-ssh", DOCKER_HOST: "unix:///run/elsewhere.sock" }),
      ).toMatchObject({
        context: "default",
        contextSource: "DOCKER_HOST",
        endpoint: "unix:///run/elsewhere.sock",
      });
      expect(
        await version(["--context", "remote-ssh"], { DOCKER_HOST: "unix:///run/elsewhere.sock" }),
      ).toMatchObject({
        context: "remote-ssh",
        contextSource: "--context",
      });
      expect(await version(["-H", "unix:///run/flag.sock"], { DOCKER_CONTEXT: "remote-ssh" })).toMatchObject({
        context: "default",
        contextSource: "-H/--host",
        endpoint: "unix:///run/flag.sock",
      });
      const pretty = await cli(["--context", "remote-ssh", "version"], { env });
      expect(pretty.stdout).toContain("Context:  remote-ssh (from --context)\n");
      expect(pretty.stdout).toContain(
        `Endpoint: ${engine().sshHost} (ssh, docker system dial-stdio on the host)\n`,
      );

      // The contexts really reach the engine: a project up through the current context (TLS files
      // from the context's tls directory), seen through the ssh one, and taken down.
      const name = uniqueProjectName("remote-context");
      const dir = await tempProject(webProject);
      const up = await cli(["-p", name, "up", "-d"], { cwd: dir, env });
      expect(up.code, up.stderr).toBe(0);
      const ps = await cli(["--context", "remote-ssh", "-p", name, "ps", "--services"], { cwd: dir, env });
      expect(ps.stdout).toBe("web\n");
      expect(await objectsOf(mainDocker, name)).toBe(0);
      const down = await cli(["-p", name, "down", "-t", "1"], {
        cwd: dir,
        env: { ...env, DOCKER_CONTEXT: "remote-ssh" },
      });
      expect(down.code, down.stderr).toBe(0);
      expect(await objectsOf(engine().docker, name)).toBe(0);

      const both = await cli(["-H", engine().tcpHost, "--context", "remote-ssh", "ps"], { env });
      expect(both.code).toBe(2);
      expect(both.stderr).toContain("conflicting options: either specify --host or --context, not both");
      const missing = await cli(["--context", "nowhere", "ps"], { env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('context "nowhere" does not exist');
    },
    SLOW_MS,
  );
});

describe("one clear error for each way of not getting in, naming the endpoint; nothing created", () => {
  /** A HOME whose ~/.ssh holds `key` as id_ed25519 and `knownHosts` as known_hosts. */
  async function home(label: string, key: string, knownHosts: string): Promise<string> {
    const dir = path.join(engine().dir, `home-${label}`);
    await mkdir(path.join(dir, ".ssh"), { recursive: true, mode: 0o700 });
    await copyFile(key, path.join(dir, ".ssh", "id_ed25519"));
    await writeFile(path.join(dir, ".ssh", "known_hosts"), knownHosts);
    return dir;
  }
  const goodKey = () => path.join(engine().home, ".ssh", "id_ed25519");
  const knownHosts = () => readFile(path.join(engine().home, ".ssh", "known_hosts"), "utf8");

  const failures: {
    name: string;
    setup: () => Promise<{ args: string[]; env: Record<string, string | undefined> }>;
    message: () => RegExp;
  }[] = [
    {
      name: "unreachable endpoint",
      // DOCKER_CERT_PATH without DOCKER_TLS_VERIFY is not read (as the docker CLI): no file needed.
      setup: async () => ({
        args: [],
        env: {
          ...clean,
          DOCKER_HOST: "tcp://127.0.0.1:9",
          DOCKER_CERT_PATH: path.join(engine().dir, "no-such-dir"),
        },
      }),
      message: () => /cannot reach the Docker Engine at tcp:\/\/127\.0\.0\.1:9: connection refused/,
    },
    {
      name: "engine certificate not signed by the CA",
      setup: async () => ({
        args: [],
        env: {
          ...clean,
          DOCKER_HOST: engine().tcpHost,
          DOCKER_TLS_VERIFY: "1",
          DOCKER_CERT_PATH: engine().wrongCertPath,
        },
      }),
      message: () =>
        new RegExp(
          `cannot reach the Docker Engine at ${engine().tcpHost.replace(/[./]/g, "\\$&")}: its TLS certificate is not trusted \\(.*\\); it must be signed by the CA in ${engine().wrongCertPath}/ca\\.pem`,
        ),
    },
    {
      name: "client certificate refused by the engine",
      setup: async () => {
        const dir = path.join(engine().dir, "mixed-certs");
        await mkdir(dir, { recursive: true });
        await copyFile(path.join(engine().certPath, "ca.pem"), path.join(dir, "ca.pem"));
        await copyFile(path.join(engine().wrongCertPath, "cert.pem"), path.join(dir, "cert.pem"));
        await copyFile(path.join(engine().wrongCertPath, "key.pem"), path.join(dir, "key.pem"));
        return {
          args: [],
          env: { ...clean, DOCKER_HOST: engine().tcpHost, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir },
        };
      },
      message: () =>
        new RegExp(
          `cannot reach the Docker Engine at ${engine().tcpHost.replace(/[./]/g, "\\$&")}: the engine refused the TLS handshake .*it does not accept the client certificate .*mixed-certs/cert\\.pem`,
        ),
    },
    {
      name: "unknown host key",
      setup: async () => ({
        args: ["-H", engine().sshHost],
        env: { ...clean, HOME: await home("unknown", goodKey(), "") },
      }),
      message: () =>
        new RegExp(
          `cannot reach the Docker Engine at ${engine().sshHost.replace(/[./]/g, "\\$&")}: the host key of \\[127\\.0\\.0\\.1\\]:${engine().sshPort} is not in known_hosts.*ssh-keyscan -p ${engine().sshPort} 127\\.0\\.0\\.1 >> ~/\\.ssh/known_hosts`,
        ),
    },
    {
      name: "changed host key",
      setup: async () => {
        const stranger = (await readFile(path.join(engine().dir, "ssh", "stranger.pub"), "utf8"))
          .split(" ")
          .slice(0, 2)
          .join(" ");
        return {
          args: ["-H", engine().sshHost],
          env: {
            ...clean,
            HOME: await home("changed", goodKey(), `[127.0.0.1]:${engine().sshPort} ${stranger}\n`),
          },
        };
      },
      message: () =>
        new RegExp(
          `the host key of \\[127\\.0\\.0\\.1\\]:${engine().sshPort} does not match the one in .*home-changed/\\.ssh/known_hosts:1 .*ssh-keygen -R '\\[127\\.0\\.0\\.1\\]:${engine().sshPort}'`,
        ),
    },
    {
      name: "ssh key refused",
      setup: async () => ({
        args: ["-H", engine().sshHost],
        env: {
          ...clean,
          HOME: await home("refused", path.join(engine().dir, "ssh", "stranger"), await knownHosts()),
        },
      }),
      message: () =>
        new RegExp(
          `cannot reach the Docker Engine at ${engine().sshHost.replace(/[./]/g, "\\$&")}: the host refused root's keys \\(offered: .*home-refused/\\.ssh/id_ed25519\\); add your public key`,
        ),
    },
  ];

  it.each(failures)("$name", async (failure) => {
    const name = uniqueProjectName("remote-error");
    const dir = await tempProject(webProject);
    const { args, env } = await failure.setup();
    const up = await cli([...args, "-p", name, "up", "-d"], { cwd: dir, env });
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toMatch(failure.message());
    // One error, said once, with no stack.
    expect(
      up.stderr.match(/cannot reach the Docker Engine|the host key|refused/g)?.length ?? 0,
    ).toBeGreaterThan(0);
    expect(up.stderr.trim().split("\n")).toHaveLength(1);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    await expectNothingCreated(name);
  });
});
