// Intent: no service can mount composec's own secret material (issue 15, part 6). A project with a
// secret is up; another project's service that binds the material root, a directory holding it
// (`/var/run`, a link to /run), a link into it, a named volume whose driver_opts bind it, or the
// same through `run -v`, is refused with one located error naming the service and the mount, exit
// 1, nothing created. Services that can reach other containers anyway are warned of.
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
} from "./helpers.js";
import { cliOk, engineResources, IDLE, materialDir, randomValue, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();
afterAll(cleanupTempProjects);

/** A service `probe` with `extra` (YAML at 4 spaces), then `rest` at the top level. */
const probe = (extra: string, rest = "") =>
  `services:\n  probe:\n    image: ${images.busybox}\n    command: ${IDLE}\n${extra}${rest}`;

/** The project must have made nothing: no container, network, volume or material. */
async function expectNothing(name: string): Promise<void> {
  expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  expect(existsSync(materialDir(name))).toBe(false);
}

describe("binds that reach the secret material", () => {
  let victim: string;
  const value = randomValue("isolation");

  beforeAll(async () => {
    // A project whose material exists for the whole file, so a refused bind would have had
    // something to read (not tracked: trackProjects takes projects down after each test).
    victim = uniqueProjectName("iso-victim");
    const victimDir = await tempProject({
      "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n`,
      "token.txt": value,
    });
    await cliOk(["-p", victim, "up", "-d"], { cwd: victimDir, hide: [value] });
  });

  // Its directory went with the first test's temporary directories (trackProjects): by label.
  afterAll(() => removeProjectResources(victim));

  const refused: { name: string; volumes: string; rest?: string; stderr: RegExp }[] = [
    {
      name: "the material root, short form",
      volumes: "    volumes: [/run/composec:/x:ro]\n",
      stderr:
        /compose\.yaml:5:15 services\.probe\.volumes\[0\]: service "probe", bind mount at \/x: "\/run\/composec" is composec's secret material root \/run\/composec/,
    },
    {
      name: "/var/run, a link to the /run that holds it, long form",
      volumes:
        "    volumes:\n      - type: bind\n        source: /var/run\n        target: /host-run\n        read_only: true\n",
      stderr:
        /compose\.yaml:6:9 services\.probe\.volumes\[0\]: .*"\/var\/run" \(a symbolic link to \/run\) contains composec's secret material root/,
    },
    {
      name: "a link in the project pointing inside it",
      volumes: "    volumes: [./peek:/peek]\n",
      stderr:
        /services\.probe\.volumes\[0\]: .*\(a symbolic link to \/run\/composec\/[^)]+\) lies inside composec's secret material root/,
    },
    {
      name: "a named volume whose driver_opts bind it",
      volumes: "    volumes: [peek:/peek]\n",
      rest: "volumes:\n  peek:\n    driver_opts: {type: none, o: bind, device: /run/composec}\n",
      stderr:
        /services\.probe\.volumes\[0\]: service "probe", volume "peek" at \/peek \(its driver_opts bind a host path\): "\/run\/composec" is/,
    },
  ];

  for (const testCase of refused) {
    it(`up refuses ${testCase.name}; nothing is created`, async () => {
      const name = await project("iso");
      const dir = await tempProject({ "compose.yaml": probe(testCase.volumes, testCase.rest) });
      expect(existsSync(materialDir(victim)), "the victim's material").toBe(true);
      await symlink(path.join(materialDir(victim), "services", "app"), path.join(dir, "peek"));
      const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(testCase.stderr);
      expect(result.stderr).toContain("mount another directory");
      expect(result.stderr.match(/^error:/gm)).toHaveLength(1);
      expect(result.stderr).not.toContain(value);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      await expectNothing(name);
    });
  }

  it("run -v refuses the material root and a directory holding it; nothing is created", async () => {
    const name = await project("iso-run");
    const dir = await tempProject({ "compose.yaml": probe("") });
    for (const volume of ["/run/composec:/x", "/run:/x:ro"]) {
      const result = await cli(["-p", name, "run", "--rm", "-v", volume, "probe", "cat", "/x"], { cwd: dir });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /^error: run --volume: service "probe", --volume bind mount at \/x: "\/run(\/composec)?" (is|contains) composec's secret material root/m,
      );
      await expectNothing(name);
    }
  });

  it("run -v of an ordinary directory still mounts it", async () => {
    const name = await project("iso-run-ok");
    const dir = await tempProject({ "compose.yaml": probe(""), "data/hello.txt": "hello from the host\n" });
    const result = await cliOk(
      ["-p", name, "run", "--rm", "-T", "-v", "./data:/data:ro", "probe", "cat", "/data/hello.txt"],
      {
        cwd: dir,
      },
    );
    expect(result.stdout).toBe("hello from the host\n");
  });

  it("the caller's runtime directory's material root is refused too", async () => {
    const name = await project("iso-xdg");
    const runtime = await mkdtemp(path.join(tmpdir(), "composec-xdg-"));
    try {
      const dir = await tempProject({ "compose.yaml": probe(`    volumes: [${runtime}:/x]\n`) });
      const result = await cli(["-p", name, "up", "-d"], { cwd: dir, env: { XDG_RUNTIME_DIR: runtime } });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(
        `"${runtime}" contains composec's secret material root ${runtime}/composec`,
      );
      await expectNothing(name);
    } finally {
      await rm(runtime, { recursive: true, force: true });
    }
  });
});

// `create`, not `up`: a privileged container cannot start where the engine itself runs without
// every capability (a CI container); the warning is said before anything is made either way.
describe("services that per-service isolation cannot hold", () => {
  it("privileged, pid: host as root and the Docker socket are warned of, and created", async () => {
    const name = await project("iso-warn");
    const dir = await tempProject({
      "compose.yaml":
        `services:\n` +
        `  priv:\n    image: ${images.busybox}\n    command: ${IDLE}\n    privileged: true\n` +
        `  pidhost:\n    image: ${images.busybox}\n    command: ${IDLE}\n    pid: host\n` +
        `  sock:\n    image: ${images.busybox}\n    command: ${IDLE}\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n` +
        `  plain:\n    image: ${images.busybox}\n    command: ${IDLE}\n    pid: host\n    user: "1000"\n`,
    });
    const result = await cliOk(["-p", name, "create"], { cwd: dir });
    const warnings = result.stderr.split("\n").filter((line) => line.includes("isolation does not hold"));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning: .*compose\.yaml:\d+:\d+ services\.priv\.privileged: service "priv" is privileged/,
      ),
      expect.stringMatching(
        /^warning: .*compose\.yaml:\d+:\d+ services\.pidhost\.pid: service "pidhost" shares the host's processes/,
      ),
      expect.stringMatching(
        /^warning: .*compose\.yaml:\d+:\d+ services\.sock\.volumes\[0\]: .*"\/var\/run\/docker\.sock" is the Docker socket/,
      ),
    ]);
    expect((await engineResources(name)).containers).toBe(4);
  });
});

describe("binds and volumes that reach an engine-side secrets volume", () => {
  let victim: string;
  let rootDir: string;
  const value = randomValue("isolation-engine");

  beforeAll(async () => {
    // A project whose secrets live on the engine's side, so each refused mount had something to read.
    victim = uniqueProjectName("iso-eng-victim");
    const victimDir = await tempProject({
      "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n`,
      "token.txt": value,
    });
    await cliOk(["-p", victim, "up", "-d"], {
      cwd: victimDir,
      hide: [value],
      env: { COMPOSEC_SECRETS_DELIVERY: "engine" },
    });
    rootDir = ((await docker.info()) as { DockerRootDir: string }).DockerRootDir;
  });
  afterAll(() => removeProjectResources(victim));

  const cases = (): { name: string; compose: string; stderr: RegExp }[] => {
    const volumeDir = `${rootDir}/volumes/composec-secrets.${victim}`;
    return [
      {
        name: "a bind inside the victim's volume directory",
        compose: probe(`    volumes: ["${volumeDir}/_data/services/app:/peek:ro"]\n`),
        stderr:
          /services\.probe\.volumes\[0\]: service "probe", bind mount at \/peek: ".*" lies inside the directory of composec's engine-side secrets volume .*composec-secrets\./,
      },
      {
        name: "a bind of the engine's volumes directory",
        compose: probe(`    volumes: ["${rootDir}/volumes:/all:ro"]\n`),
        stderr:
          /services\.probe\.volumes\[0\]: .* contains the directories of composec's engine-side secrets volumes/,
      },
      {
        name: "an external volume naming the victim's secrets volume",
        compose: probe(
          "    volumes: [stolen:/peek]\n",
          `volumes:\n  stolen:\n    external: true\n    name: composec-secrets.${victim}\n`,
        ),
        stderr:
          /volumes\.stolen: volume "stolen": "composec-secrets\..*" is the name of composec's engine-side secrets volume/,
      },
    ];
  };

  for (const index of [0, 1, 2]) {
    it(`up refuses case ${index + 1} (a bind inside, a bind above, an external volume); nothing is created`, async () => {
      const testCase = cases()[index]!;
      const name = await project("iso-eng");
      const dir = await tempProject({ "compose.yaml": testCase.compose });
      const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr, testCase.name).toMatch(testCase.stderr);
      expect(result.stderr.match(/^error:/gm)).toHaveLength(1);
      expect(result.stderr).not.toContain(value);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      await expectNothing(name);
    });
  }

  it("run -v of the victim's volume directory is refused; nothing is created", async () => {
    const name = await project("iso-eng-run");
    const dir = await tempProject({ "compose.yaml": probe("") });
    const source = `${rootDir}/volumes/composec-secrets.${victim}/_data`;
    const result = await cli(
      ["-p", name, "run", "--rm", "-v", `${source}:/x`, "probe", "cat", "/x/.meta/key"],
      {
        cwd: dir,
      },
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /^error: run --volume: service "probe", --volume bind mount at \/x: ".*" lies inside the directory of composec's engine-side secrets volume/m,
    );
    await expectNothing(name);
  });
});
