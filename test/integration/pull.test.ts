// Intent: `up`, `create`, `run` and `pull` fetch images as Compose does (missing by default,
// pull_policy and `--pull` obeyed, credentials from DOCKER_CONFIG), and a pull that cannot happen
// is one clear error with nothing created. The registry is a local fixture (./registry.ts) serving
// the test busybox image on 127.0.0.1: nothing here reaches the internet.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  PROJECT_LABEL,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";
import { startRegistry, type TestRegistry } from "./registry.js";

let name: string;
let registry: TestRegistry | undefined;
/** References the tests pulled or built; untagged afterwards (the test image itself stays). */
const pulled = new Set<string>();
const configDirs: string[] = [];

beforeEach(async () => {
  name = uniqueProjectName("pull");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
  await registry?.close();
  registry = undefined;
  for (const reference of pulled) await removeImage(reference);
  pulled.clear();
  for (const dir of configDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Untags `reference` (the pulled image shares its layers and id with the local test image). */
async function removeImage(reference: string): Promise<void> {
  await docker
    .getImage(reference)
    .remove()
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

async function present(reference: string): Promise<boolean> {
  return docker
    .getImage(reference)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Starts a registry serving the test busybox as `<registry>/x/busybox:1`; returns that reference. */
async function serveBusybox(options: Parameters<typeof startRegistry>[0] = {}): Promise<string> {
  registry = await startRegistry(options);
  const reference = await registry.serve(images.busybox, "x/busybox", "1");
  pulled.add(reference);
  await removeImage(reference);
  return reference;
}

function compose(image: string, extra = ""): string {
  return `
services:
  web:
    image: ${image}
    command: ["sleep", "600"]
    init: true
${extra}`;
}

/** What exists of the project on the engine, by label. */
async function projectResources(): Promise<{ containers: number; networks: number }> {
  const filters = JSON.stringify({ label: [`${PROJECT_LABEL}=${name}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return { containers: containers.length, networks: networks.length };
}

async function state(container: string): Promise<string> {
  return (await docker.getContainer(container).inspect()).State.Status;
}

describe("up pulls what it needs", () => {
  it("pulls a missing image, then creates and starts the service", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Image ${reference}  Pulling`);
    expect(result.stderr).toContain(`Image ${reference}  Pulled`);
    // The pull comes first: nothing is created before it is done.
    expect(result.stderr.indexOf("Pulled")).toBeLessThan(result.stderr.indexOf("Network"));
    expect(await present(reference)).toBe(true);
    expect(await state(`${name}-web-1`)).toBe("running");

    // Present now: the next `up` does not go to the registry.
    const requests = registry!.requests.length;
    const again = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("Pulling");
    expect(registry!.requests.length).toBe(requests);
  });

  it("pull_policy: never with the image missing is one clear error, and nothing is created", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference, "    pull_policy: never\n") });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: service "web": image "${reference}" is not present on the engine, and pull_policy: never forbids pulling it`,
    );
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(registry!.requests).toEqual([]);
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });

  it("--pull never overrides the policy; a bad --pull value is a usage error", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const never = await cli(["-p", name, "up", "-d", "--pull", "never"], { cwd: dir });
    expect(never.code).toBe(1);
    expect(never.stderr).toContain("and --pull never forbids pulling it");
    const bad = await cli(["-p", name, "up", "-d", "--pull", "sometimes"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pull "sometimes" is not a pull policy; use always, missing or never');
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });

  it("a registry that does not have the image: one error naming service, image and reason; nothing created", async () => {
    const reference = await serveBusybox();
    registry!.refuseAll();
    const dir = await tempProject({
      "compose.yaml": compose(reference, `  other:\n    image: ${images.busybox}\n    command: ["true"]\n`),
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`error: cannot pull image "${reference}" (service web): the pull failed:`);
    expect(errors[0]).toMatch(/not found|unknown/i);
    expect(result.stderr).toContain("nothing was created");
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });

  it("a registry that is down: its registry cannot be reached; nothing created", async () => {
    const reference = await serveBusybox();
    await registry!.close();
    registry = undefined;
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const result = await cli(["-p", name, "create"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: cannot pull image "${reference}" (service web): its registry cannot be reached:`,
    );
    expect(result.stderr).toContain("connection refused");
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });

  it("--pull always pulls even when the image is present", async () => {
    const reference = await serveBusybox();
    await new Promise<void>((resolve, reject) =>
      docker.pull(reference, (error: Error | null, stream: NodeJS.ReadableStream) => {
        if (error) return reject(error);
        docker.modem.followProgress(stream, (failure: Error | null) =>
          failure ? reject(failure) : resolve(),
        );
      }),
    );
    const before = registry!.requests.length;
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const result = await cli(["-p", name, "up", "-d", "--pull", "always"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Image ${reference}  Pulled`);
    expect(registry!.requests.slice(before).some((line) => line.includes("/manifests/1"))).toBe(true);
    expect(await state(`${name}-web-1`)).toBe("running");
  });

  it("run pulls the one-off's image; create --pull missing pulls too", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const run = await cli(["-p", name, "run", "--rm", "web", "echo", "from-the-registry"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("from-the-registry");
    expect(run.stderr).toContain(`Image ${reference}  Pulled`);

    await removeImage(reference);
    const create = await cli(["-p", name, "create", "--pull", "missing"], { cwd: dir });
    expect(create.code, create.stderr).toBe(0);
    expect(create.stderr).toContain(`Image ${reference}  Pulled`);
    expect(await state(`${name}-web-1`)).toBe("created");
  });

  it("up --dry-run says what it would pull and pulls nothing", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const result = await cli(["-p", name, "--dry-run", "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`image ${reference} would be pulled (web: not present on the engine)`);
    expect(result.stdout).toContain("CreateContainer");
    expect(registry!.requests).toEqual([]);
    expect(await present(reference)).toBe(false);
  });
});

describe("registry credentials", () => {
  const credentials = { username: "tester", password: "s3cret-pull-password" };

  /** A DOCKER_CONFIG directory whose config.json is `config`. */
  async function dockerConfig(config: Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "composec-docker-config-"));
    configDirs.push(dir);
    await writeFile(path.join(dir, "config.json"), JSON.stringify(config));
    return dir;
  }

  it("uses the auths entry of DOCKER_CONFIG's config.json, and never prints the password", async () => {
    const reference = await serveBusybox({ credentials });
    const host = registry!.host;
    const dir = await tempProject({ "compose.yaml": compose(reference) });

    const anonymous = await cli(["-p", name, "up", "-d"], {
      cwd: dir,
      env: { DOCKER_CONFIG: await dockerConfig({ auths: {} }) },
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`cannot pull image "${reference}" (service web): the pull failed:`);
    expect(anonymous.stderr).toMatch(/no basic auth credentials|unauthorized/i);
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });

    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    const withAuth = await cli(["-p", name, "up", "-d"], {
      cwd: dir,
      env: { DOCKER_CONFIG: await dockerConfig({ auths: { [`http://${host}/v2/`]: { auth } } }) },
    });
    expect(withAuth.code, withAuth.stderr).toBe(0);
    expect(withAuth.stderr).toContain(`Image ${reference}  Pulled`);
    expect(withAuth.stderr + withAuth.stdout).not.toContain(credentials.password);

    // username and password fields, through `composec pull`.
    await removeImage(reference);
    const pull = await cli(["-p", name, "pull"], {
      cwd: dir,
      env: { DOCKER_CONFIG: await dockerConfig({ auths: { [host]: credentials } }) },
    });
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toContain(`Image ${reference}  Pulled`);
    expect(await present(reference)).toBe(true);
  });

  it("names a credential helper it does not run, once for all the registry's images", async () => {
    const reference = await serveBusybox({ credentials });
    const second = await registry!.serve(images.busybox, "y/busybox", "1");
    pulled.add(second);
    const config = await dockerConfig({ credsStore: "secretservice" });
    const extra = `  api:\n    image: ${second}\n    command: ["sleep", "600"]\n`;
    const dir = await tempProject({ "compose.yaml": compose(reference, extra) });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir, env: { DOCKER_CONFIG: config } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('names the credential helper "secretservice"');
    expect(result.stderr.split('names the credential helper "secretservice"')).toHaveLength(2);
  });
});

describe("composec pull against a registry", () => {
  it("pulls the services' images, and --policy missing then finds them present", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({ "compose.yaml": compose(reference) });
    const result = await cli(["-p", name, "pull"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Image ${reference}  Pulled`);
    expect(await present(reference)).toBe(true);
    const again = await cli(["-p", name, "pull", "--policy", "missing"], { cwd: dir });
    expect(again.stderr).toContain(`Image ${reference}  Exists`);
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });

  it("refuses one image asked for as two platforms, as up does, and pulls nothing", async () => {
    const reference = await serveBusybox();
    const dir = await tempProject({
      "compose.yaml": compose(
        reference,
        `    platform: linux/amd64
  worker:
    image: ${reference}
    platform: linux/arm64
`,
      ),
    });
    const message = `error: services web, worker: image "${reference}" is asked for as linux/amd64 and linux/arm64, but one image name holds one platform; give the services the same platform, or different image names`;
    const result = await cli(["-p", name, "pull"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("Pulling");
    expect(registry!.requests).toEqual([]);
    expect(await present(reference)).toBe(false);

    const up = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(message);
  });
});

describe("platform", () => {
  it("linux/amd64 on this amd64 engine just runs", async () => {
    const dir = await tempProject({ "compose.yaml": compose(images.busybox, "    platform: linux/amd64\n") });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("Pulling");
    expect(await state(`${name}-web-1`)).toBe("running");
    const config = await cli(["-p", name, "config"], { cwd: dir });
    expect(config.stdout).toContain("platform: linux/amd64");
  });

  it("a build for linux/amd64 builds and runs on this engine", async () => {
    const dir = await tempProject({
      Dockerfile: `FROM ${images.busybox}\nRUN uname -m > /arch\n`,
      "compose.yaml": `
services:
  app:
    build: .
    platform: linux/amd64
    command: ["sh", "-c", "cat /arch && sleep 600"]
    init: true
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const image = await docker.getImage(`${name}-app`).inspect();
    expect(`${image.Os}/${image.Architecture}`).toBe("linux/amd64");
    pulled.add(`${name}-app`);
    expect(await state(`${name}-app-1`)).toBe("running");
  });

  it("a platform the engine has no image for is one error naming the service; nothing created", async () => {
    const never = await tempProject({
      "compose.yaml": compose(images.busybox, "    platform: linux/arm64\n    pull_policy: never\n"),
    });
    const refused = await cli(["-p", name, "up", "-d"], { cwd: never });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error: service "web": image "${images.busybox}" is present only for linux/amd64, not linux/arm64, and pull_policy: never forbids pulling it`,
    );

    // The registry has only an amd64 image: the engine takes it, and the platform is still wrong.
    const reference = await serveBusybox();
    const pulls = await tempProject({ "compose.yaml": compose(reference, "    platform: linux/arm64\n") });
    const result = await cli(["-p", name, "up", "-d"], { cwd: pulls });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: service "web": platform linux/arm64 cannot run here`);
    expect(result.stderr.split("\n").filter((line) => line.startsWith("error:"))).toHaveLength(1);
    expect(await projectResources()).toEqual({ containers: 0, networks: 0 });
  });
});
