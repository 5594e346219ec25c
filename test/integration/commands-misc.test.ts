// Intent: `pull`, `images`, `top`, `cp`, `port`, `ls` and `version` through the built CLI against
// the real engine. No registry is reachable here: `pull` must say so clearly (and that the image is
// already present), and `--policy missing` must not go to the registry at all.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";

let name: string;
beforeEach(async () => {
  name = uniqueProjectName("misc");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

const project = `
services:
  web:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    ports:
      - "127.0.0.1::80"
      - "127.0.0.1::81/udp"
  api:
    image: ${images.node}
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    init: true
`;

async function upProject(): Promise<string> {
  const dir = await tempProject({ "compose.yaml": project });
  const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
  expect(up.code, up.stderr).toBe(0);
  return dir;
}

describe("pull", () => {
  it("an unreachable registry is one clear error per image, saying the local copy is used", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const result = await cli(["-p", name, "pull"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `cannot pull image "${images.busybox}" (service web): its registry cannot be reached:`,
    );
    expect(result.stderr).toMatch(/^error: cannot pull image/m);
    expect(result.stderr).toContain("the copy already present on the engine is kept and used");
    expect(result.stderr).toContain(`cannot pull image "${images.node}" (service api)`);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);

    const ignored = await cli(["-p", name, "pull", "--ignore-pull-failures", "web"], { cwd: dir });
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toContain(`warning: cannot pull image "${images.busybox}"`);
    expect(ignored.stderr).not.toContain(images.node);
  });

  it("--policy missing says the images are present and does not go to the registry", async () => {
    const dir = await tempProject({ "compose.yaml": project });
    const result = await cli(["-p", name, "pull", "--policy", "missing"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Image ${images.busybox}  Exists: already present, not pulled`);
    expect(result.stderr).not.toContain("Pulling");
    const missing = await tempProject({
      "compose.yaml": `services:\n  x:\n    image: composec-test/never-built:${name}\n`,
    });
    const absent = await cli(["-p", name, "pull", "--policy", "missing"], { cwd: missing });
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain("it is not present on the engine either");
  });
});

describe("images, top, port, ls, version", () => {
  it("images lists each container's image (table, json, -q)", async () => {
    const dir = await upProject();
    const table = await cli(["-p", name, "images"], { cwd: dir });
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${name}-api-1\\s+composec-test/node\\s+1\\s+[0-9a-f]{12}\\s+[\\d.]+MB$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${name}-web-1\\s+composec-test/busybox\\s+1\\s+`));
    const json = await cli(["-p", name, "images", "--format", "json", "web"], { cwd: dir });
    const row = JSON.parse(json.stdout) as { ContainerName: string; Repository: string; ID: string };
    expect(row).toMatchObject({ ContainerName: `${name}-web-1`, Repository: "composec-test/busybox" });
    const ids = await cli(["-p", name, "images", "-q"], { cwd: dir });
    expect(ids.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("top shows each running container's processes", async () => {
    const dir = await upProject();
    const result = await cli(["-p", name, "top", "web"], { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`${name}-web-1`);
    expect(lines[1]).toMatch(/^UID\s+PID\s+PPID/);
    expect(result.stdout).toContain("sleep 600");
  });

  it("port prints the published address; an unpublished port is an error", async () => {
    const dir = await upProject();
    const inspect = await docker.getContainer(`${name}-web-1`).inspect();
    const tcp = inspect.NetworkSettings.Ports["80/tcp"]?.[0];
    const result = await cli(["-p", name, "port", "web", "80"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`127.0.0.1:${tcp?.HostPort}\n`);
    const udp = await cli(["-p", name, "port", "--protocol", "udp", "web", "81"], { cwd: dir });
    expect(udp.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const none = await cli(["-p", name, "port", "web", "9999"], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("port 9999/tcp of container");
    const bad = await cli(["-p", name, "port", "web", "http"], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it("ls lists projects by label with their states and files (-a for stopped ones, json)", async () => {
    const dir = await upProject();
    const table = await cli(["ls"], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`\\n${name}\\s+running\\(2\\)\\s+${path.join(dir, "compose.yaml")}\\n`),
    );
    await cli(["-p", name, "stop"], { cwd: dir });
    expect((await cli(["ls"], { cwd: dir })).stdout).not.toContain(name);
    const all = await cli(["ls", "-a", "--format", "json"], { cwd: dir });
    const projects = JSON.parse(all.stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    expect(projects.find((p) => p.Name === name)).toEqual({
      Name: name,
      Status: "exited(2)",
      ConfigFiles: path.join(dir, "compose.yaml"),
    });
    expect((await cli(["ls", "-a", "-q"], { cwd: dir })).stdout.split("\n")).toContain(name);
  });

  it("version prints composec's version (pretty, --short, json)", async () => {
    const pkg = JSON.parse(await readFile(path.join(__dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    // No docker CLI settings: the local socket of the default context.
    const env = {
      DOCKER_HOST: undefined,
      DOCKER_CONTEXT: undefined,
      DOCKER_CONFIG: path.join(__dirname, "no-such-dir"),
    };
    expect((await cli(["version"], { env })).stdout).toBe(
      `composec version ${pkg.version}\n` +
        "Context:  default (none of -H, --context, DOCKER_HOST, DOCKER_CONTEXT or a current context is set)\n" +
        "Endpoint: unix:///var/run/docker.sock (local socket)\n",
    );
    expect((await cli(["version", "--short"], { env })).stdout).toBe(`${pkg.version}\n`);
    expect(JSON.parse((await cli(["version", "--format", "json"], { env })).stdout)).toEqual({
      version: pkg.version,
      context: "default",
      contextSource: "default",
      endpoint: "unix:///var/run/docker.sock",
      transport: "local socket",
    });
  });
});

describe("cp", () => {
  it("copies files and directories both ways with docker cp's naming rules", async () => {
    const dir = await upProject();
    await mkdir(path.join(dir, "tree/sub"), { recursive: true });
    await writeFile(path.join(dir, "tree/sub/leaf.txt"), "leaf\n");
    await writeFile(path.join(dir, "note.txt"), "a note\n");
    const run = (...args: string[]) => cli(["-p", name, ...args], { cwd: dir });
    const read = async (file: string) => (await run("exec", "-T", "web", "cat", file)).stdout;

    expect((await run("cp", "note.txt", "web:/tmp/")).code).toBe(0);
    expect(await read("/tmp/note.txt")).toBe("a note\n");
    expect((await run("cp", "note.txt", "web:/tmp/renamed.txt")).code).toBe(0);
    expect(await read("/tmp/renamed.txt")).toBe("a note\n");
    expect((await run("cp", "tree", "web:/tmp/")).code).toBe(0);
    expect(await read("/tmp/tree/sub/leaf.txt")).toBe("leaf\n");
    // Owned by root in the container, as docker cp does without -a.
    expect((await run("exec", "-T", "web", "stat", "-c", "%u", "/tmp/tree/sub/leaf.txt")).stdout).toBe("0\n");

    const out = path.join(dir, "out");
    await mkdir(out);
    expect((await run("cp", "web:/tmp/tree", "out/")).code).toBe(0);
    expect(await readFile(path.join(out, "tree/sub/leaf.txt"), "utf8")).toBe("leaf\n");
    expect((await run("cp", "web:/tmp/note.txt", "out/copy.txt")).code).toBe(0);
    expect(await readFile(path.join(out, "copy.txt"), "utf8")).toBe("a note\n");
    expect((await run("cp", "web:/tmp/tree/.", "out/contents")).code).toBe(0);
    expect(await readFile(path.join(out, "contents/sub/leaf.txt"), "utf8")).toBe("leaf\n");

    const tar = await run("cp", "web:/tmp/note.txt", "-");
    expect(tar.code).toBe(0);
    expect(tar.stdout).toContain("note.txt");

    const missing = await run("cp", "web:/does/not/exist", "out/");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("web:/does/not/exist: no such file or directory");
    const neither = await run("cp", "a", "b");
    expect(neither.code).toBe(2);
  });
});
