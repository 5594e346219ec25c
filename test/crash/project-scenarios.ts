// The engine commands of the crash suite: `up -d` of ten services with secrets from the store, the
// environment and a file (s1 also at an absolute target, so that a rotation recreates it), the
// rotation `up -d` after every source changed, `down`, and `build` with a build secret. After a
// kill: the material holds whole values only, no secret byte is on a disk, the same command again
// succeeds and converges (every container running with the right bytes), and `down` leaves nothing.
import { cleanStop, diskLeaks, materialDir, outputLeaks, projectLeftovers, tornMaterial } from "./checks.js";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { docker, images } from "../integration/helpers.js";
import { digestIn, runInImageDigest } from "./engine-probes.js";
import type { Scenario } from "./scenario.js";
import { runCli, sha256, stderrGist, type World } from "./world.js";

const SERVICES = Array.from({ length: 10 }, (_, i) => `s${i + 1}`);
const IDLE = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]`;
/** Delivered file name -> the secret whose values it may hold. */
const FILES = { ext_a: "crash_a", env_b: "env_b", file_c: "file_c" };

function compose(world: World): string {
  const services = SERVICES.map(
    (name) =>
      `  ${name}:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets:\n      - ext_a\n      - env_b\n      - file_c\n` +
      (name === "s1" ? `      - source: ext_a\n        target: /etc/app/key\n` : ""),
  ).join("");
  return (
    `services:\n${services}secrets:\n  ext_a:\n    external: true\n    name: crash_a\n` +
    `  env_b:\n    environment: CRASH_ENV_B\n  file_c:\n    file: ./${path.basename(world.sourceDir)}/c.txt\n`
  );
}

async function must(world: World, args: string[], input?: string): Promise<void> {
  const outcome = await runCli(args, {
    env: world.env(),
    cwd: world.projectDir,
    ...(input === undefined ? {} : { input }),
  });
  if (outcome.code !== 0) {
    throw new Error(
      `composec ${args.join(" ")} exited ${outcome.code}: ${stderrGist(outcome.stderr.replaceAll(world.marker, "****"))}`,
    );
  }
}

/** Gives every source of the project's secrets a value of `generation`. */
async function setSources(world: World, generation: number): Promise<void> {
  world.extraEnv.CRASH_ENV_B = world.newValue("env_b", generation);
  await world.writeSource("c.txt", world.newValue("file_c", generation));
  const value = world.newValue("crash_a", generation);
  await must(world, ["secret", generation === 1 ? "create" : "rotate", "crash_a", "-"], value);
}

/** Every service running, each delivered file holding the value of `generation`. */
async function converged(world: World, generation: number): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    SERVICES.map(async (service) => {
      const container = `${world.project}-${service}-1`;
      const info = await docker
        .getContainer(container)
        .inspect()
        .catch(() => undefined);
      if (!info?.State.Running) {
        problems.push(`${container} is not running`);
        return;
      }
      const files = Object.keys(FILES).map((file) => `/run/secrets/${file}`);
      if (service === "s1") files.push("/etc/app/key");
      const digests = await digestIn(container, files);
      for (const [index, file] of files.entries()) {
        const secret = index < 3 ? Object.values(FILES)[index]! : "crash_a";
        if (digests[index] !== sha256(world.value(secret, generation)))
          problems.push(`${container} ${file} does not hold ${secret} v${generation}`);
      }
    }),
  );
  const staged = await readdir(path.join(materialDir(world.project), ".staging")).catch(() => []);
  if (staged.length > 0) problems.push(`${staged.length} staged file(s) left after a finished up`);
  return problems;
}

/** `down`, then nothing of the project anywhere, and no secret byte on disk. */
async function downLeavesNothing(world: World): Promise<string[]> {
  const problems: string[] = [];
  const down = await runCli(["-p", world.project, "down"], { env: world.env(), cwd: world.projectDir });
  problems.push(...outputLeaks(down, world, "down"));
  if (down.code !== 0) problems.push(`down exited ${down.code}: ${stderrGist(down.stderr)}`);
  problems.push(...(await projectLeftovers(world.project)).map((what) => `after down: ${what} left`));
  problems.push(...diskLeaks(world, ["/var/lib/docker/containers"]));
  return problems;
}

function upScenario(command: "up" | "up-rotate"): Scenario {
  const generation = command === "up" ? 1 : 2;
  return {
    command,
    async setup(world) {
      await world.writeProjectFile("compose.yaml", compose(world));
      await setSources(world, 1);
      if (command === "up-rotate") {
        await must(world, ["-p", world.project, "up", "-d"]);
        await setSources(world, 2);
      }
    },
    invocation(world) {
      return { args: ["-p", world.project, "up", "-d"], cwd: world.projectDir };
    },
    async afterKill(world, outcome, signal) {
      const problems = outputLeaks(outcome, world, "up");
      const graceful = signal !== "SIGKILL" && outcome.signalled;
      if (signal !== "SIGKILL") problems.push(...cleanStop(outcome, signal));
      problems.push(...(await tornMaterial(world, FILES, "crash_a", { staging: graceful })));
      problems.push(...diskLeaks(world, ["/var/lib/docker/containers"]));
      const again = await runCli(["-p", world.project, "up", "-d"], {
        env: world.env(),
        cwd: world.projectDir,
      });
      problems.push(...outputLeaks(again, world, "up again"));
      if (again.code !== 0) problems.push(`up again exited ${again.code}: ${stderrGist(again.stderr)}`);
      else problems.push(...(await converged(world, generation)));
      return problems;
    },
    finish: downLeavesNothing,
  };
}

function downScenario(): Scenario {
  return {
    command: "down",
    async setup(world) {
      await world.writeProjectFile("compose.yaml", compose(world));
      await setSources(world, 1);
      await must(world, ["-p", world.project, "up", "-d"]);
    },
    invocation(world) {
      return { args: ["-p", world.project, "down"], cwd: world.projectDir };
    },
    async afterKill(world, outcome, signal) {
      const problems = outputLeaks(outcome, world, "down");
      if (signal !== "SIGKILL") problems.push(...cleanStop(outcome, signal));
      problems.push(...(await tornMaterial(world, FILES, "crash_a", { staging: false })));
      problems.push(...diskLeaks(world, ["/var/lib/docker/containers"]));
      return problems;
    },
    finish: downLeavesNothing,
  };
}

const DOCKERFILE = `FROM ${images.busybox}
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sha && sleep 1
`;

function buildScenario(): Scenario {
  const image = (world: World) => `${world.project}-app`;
  return {
    command: "build",
    async setup(world) {
      await world.writeProjectFile("Dockerfile", DOCKERFILE);
      await world.writeProjectFile(
        "compose.yaml",
        `services:\n  app:\n    build:\n      context: .\n      no_cache: true\n      secrets: [tok]\n` +
          `secrets:\n  tok:\n    environment: CRASH_BUILD_TOK\n`,
      );
      world.extraEnv.CRASH_BUILD_TOK = world.newValue("tok", 1);
    },
    invocation(world) {
      return { args: ["-p", world.project, "build"], cwd: world.projectDir };
    },
    async afterKill(world, outcome, signal) {
      const problems = outputLeaks(outcome, world, "build");
      if (signal !== "SIGKILL") problems.push(...cleanStop(outcome, signal));
      problems.push(...diskLeaks(world, ["/var/lib/docker/buildkit"]));
      const again = await runCli(["-p", world.project, "build"], { env: world.env(), cwd: world.projectDir });
      problems.push(...outputLeaks(again, world, "build again"));
      if (again.code !== 0) {
        problems.push(`build again exited ${again.code}: ${stderrGist(again.stderr)}`);
        return problems;
      }
      const digest = await runInImageDigest(image(world), "/tok.sha");
      if (digest !== sha256(world.value("tok", 1)))
        problems.push(`the image built again does not hold the build secret's digest`);
      return problems;
    },
    async finish(world) {
      await docker
        .getImage(image(world))
        .remove({ force: true })
        .catch(() => {});
      const problems = (await projectLeftovers(world.project)).map((what) => `after build: ${what} left`);
      problems.push(...diskLeaks(world, ["/var/lib/docker/buildkit"]));
      return problems;
    },
  };
}

/** The engine scenarios: up, the rotation up, down and build. */
export function projectScenarios(): Scenario[] {
  return [upScenario("up"), upScenario("up-rotate"), downScenario(), buildScenario()];
}
