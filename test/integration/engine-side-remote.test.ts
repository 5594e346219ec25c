// Intent: runtime secrets on a remote engine (a second dockerd on this machine, reached over
// tcp+TLS and over ssh) travel on the engine's side only: the seed examples and a live rotation
// work over both; the CLI's host holds nothing (no tmpfs or directory of ours, no file with the
// value) while the value reaches the container, and the engine's data root holds it only on the
// holder's tmpfs; an engine restart makes the next `up` deliver anew and recreate; a kill -9 of
// composec mid-`up` is recovered by the next `up`, and `down` then leaves nothing.
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  images,
  PROJECT_LABEL,
  repoRoot,
  tempProject,
  uniqueProjectName,
  waitFor,
} from "./helpers.js";
import { holderName, secretsVolume } from "./delivery-paths.js";
import { seedExamples } from "./secrets-examples-cases.js";
import {
  cliOk,
  digestIn,
  filesContaining,
  IDLE,
  materialDir,
  materialGone,
  mountsUnder,
  randomValue,
  sha256,
  spawnCli,
} from "./secrets-helpers.js";
import { useSecondEngine } from "./second-engine.js";
import { transportsTo } from "./remote-transports.js";

const engine = useSecondEngine({ images: [images.busybox] });

// Every ssh connection is a new sshd session running the remote docker CLI: slow on a busy machine.
const SLOW_MS = 300_000;

const transports = transportsTo(engine);
const [tcp] = transports as [(typeof transports)[0], (typeof transports)[1]];

const projects: string[] = [];
afterEach(async () => {
  for (const name of projects.splice(0)) {
    await cli([...tcp.args(), "-p", name, "down", "-v", "-t", "0"], { env: tcp.env() });
  }
  await cleanupTempProjects();
}, 120_000);

function project(prefix: string): string {
  const name = uniqueProjectName(prefix);
  projects.push(name);
  return name;
}

/** What of `project` exists on the second engine. */
async function objectsOf(name: string): Promise<{ containers: number; volumes: number }> {
  const filters = { label: [`${PROJECT_LABEL}=${name}`] };
  const [containers, volumes] = await Promise.all([
    engine().docker.listContainers({ all: true, filters }),
    engine().docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, volumes: (volumes.Volumes ?? []).length };
}

/** A service that prints the digest of its secret on SIGHUP (its reload signal) and idles otherwise. */
const rotating = `
services:
  app:
    image: ${images.busybox}
    command: ["sh", "-c", "trap 'sha256sum /run/secrets/token' HUP; trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    x-composec-reload-signal: SIGHUP
    secrets: [token]
secrets:
  token:
    file: ./token.txt
`;

describe.each(transports)("engine-side delivery over $name", (transport) => {
  seedExamples(() => ({
    docker: engine().docker,
    via: "engine",
    args: transport.args(),
    env: transport.env(),
    timeoutMs: SLOW_MS,
  }));

  it(
    "a second up rotates a secret live: same container, new bytes, reload signal, value masked in logs",
    async () => {
      const name = project("remote-rot");
      const first = randomValue("remote-rot-1");
      const dir = await tempProject({ "compose.yaml": rotating, "token.txt": first });
      const opts = { cwd: dir, env: transport.env(), timeoutMs: SLOW_MS };
      await cliOk([...transport.args(), "-p", name, "up", "-d"], { ...opts, hide: [first] });
      const container = `${name}-app-1`;
      const before = (await engine().docker.getContainer(container).inspect()).Id;
      expect(await digestIn(container, "/run/secrets/token", undefined, engine().docker)).toBe(sha256(first));

      const next = randomValue("remote-rot-2");
      await writeFile(path.join(dir, "token.txt"), next);
      const again = await cliOk([...transport.args(), "-p", name, "up", "-d"], {
        ...opts,
        hide: [first, next],
      });
      expect(again.stderr).toContain("Secrets updated");
      expect(again.stderr).toContain("Signalled");
      expect((await engine().docker.getContainer(container).inspect()).Id).toBe(before);
      expect(await digestIn(container, "/run/secrets/token", undefined, engine().docker)).toBe(sha256(next));
      // The container printed the new digest on SIGHUP; `logs` shows it, never a value.
      await waitFor(
        async () => {
          const logs = await cli([...transport.args(), "-p", name, "logs"], opts);
          return logs.stdout.includes(sha256(next)) ? logs : undefined;
        },
        { timeoutMs: 60_000, what: "the new digest in the logs" },
      );
      await cliOk([...transport.args(), "-p", name, "down", "-t", "0"], { ...opts, hide: [first, next] });
      expect(await objectsOf(name)).toEqual({ containers: 0, volumes: 0 });
    },
    SLOW_MS,
  );
});

describe("the CLI's host holds nothing (tcp+TLS)", () => {
  it(
    "no tmpfs or directory of ours here, no file with the value here or on the engine's disk; the container has it",
    async () => {
      const name = project("remote-nothing");
      const marker = randomValue("remote-marker");
      const home = await mkdtemp(path.join(tmpdir(), "composec-home-"));
      const runtime = await mkdtemp(path.join(tmpdir(), "composec-xdg-"));
      try {
        const dir = await tempProject({
          "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets: [marker, from_env]
secrets:
  marker:
    file: ./marker.txt
  from_env:
    environment: MARKER_ENV
`,
          "marker.txt": marker,
        });
        const envMarker = randomValue("remote-env-marker");
        const env = { ...tcp.env(), COMPOSEC_HOME: home, XDG_RUNTIME_DIR: runtime, MARKER_ENV: envMarker };
        const up = await cliOk([...tcp.args(), "-p", name, "up", "-d"], {
          cwd: dir,
          env,
          hide: [marker, envMarker],
          timeoutMs: SLOW_MS,
        });
        // Nothing was delivered on this host: no tmpfs or directory under /run/composec or the
        // user's runtime directory.
        expect(up.stderr).not.toContain("warning");
        expect(materialGone(name)).toBe(true);
        expect(mountsUnder(materialDir(name))).toEqual([]);
        expect(mountsUnder(path.join(runtime, "composec"))).toEqual([]);
        // The only mounts naming the project are the engine's own (this machine is also the engine's host).
        const ours = readFileSync("/proc/mounts", "utf8")
          .split("\n")
          .map((line) => line.split(" ")[1] ?? "")
          .filter((point) => point.includes(name) && !point.startsWith(engine().dir));
        expect(ours).toEqual([]);

        // The values reached the container (by digest).
        const container = `${name}-app-1`;
        expect(await digestIn(container, "/run/secrets/marker", undefined, engine().docker)).toBe(
          sha256(marker),
        );
        expect(await digestIn(container, "/run/secrets/from_env", undefined, engine().docker)).toBe(
          sha256(envMarker),
        );

        // They are in memory on the engine's side: the holder's volume is a tmpfs mount.
        const mountpoint = (await engine().docker.getVolume(secretsVolume(name)).inspect()).Mountpoint;
        const mounted = readFileSync("/proc/mounts", "utf8")
          .split("\n")
          .map((line) => line.split(" "))
          .find((fields) => fields[1] === mountpoint);
        expect(mounted?.[2]).toBe("tmpfs");

        // No file of the CLI's host holds a value: the repository, the temp dirs, COMPOSEC_HOME, the
        // runtime directory. The second engine's data root is under /tmp; its one tmpfs mount (the
        // holder's volume, directory `composec-secrets.<project>`) is memory and is left out of this search,
        // so the same search proves no disk file of the engine's holds a value either.
        const values = { marker, env: envMarker };
        const roots = [repoRoot, "/tmp", "/var/tmp", home, runtime, path.join(engine().dir, "data")];
        for (const [kind, value] of Object.entries(values)) {
          expect(
            filesContaining(value, roots, ["node_modules", ".git", path.basename(dir), secretsVolume(name)]),
            `files holding the ${kind} value`,
          ).toEqual([]);
        }
        // And the search does find the bytes where they are: on the tmpfs.
        expect(filesContaining(marker, [mountpoint]).length).toBeGreaterThan(0);

        await cliOk([...tcp.args(), "-p", name, "down", "-t", "0"], {
          cwd: dir,
          env,
          hide: [marker, envMarker],
        });
        expect(await objectsOf(name)).toEqual({ containers: 0, volumes: 0 });
        expect(readFileSync("/proc/mounts", "utf8").includes(mountpoint)).toBe(false);
      } finally {
        await rm(home, { recursive: true, force: true });
        await rm(runtime, { recursive: true, force: true });
      }
    },
    SLOW_MS,
  );
});

describe("recovery on the engine's side (tcp+TLS)", () => {
  it(
    "an engine restart between two ups: the next up delivers anew and recreates; the value is there",
    async () => {
      const name = project("remote-restart");
      const value = randomValue("remote-restart");
      const dir = await tempProject({ "compose.yaml": rotating, "token.txt": value });
      const opts = { cwd: dir, env: tcp.env(), hide: [value], timeoutMs: SLOW_MS };
      await cliOk([...tcp.args(), "-p", name, "up", "-d"], opts);
      const container = `${name}-app-1`;
      const before = (await engine().docker.getContainer(container).inspect()).Id;

      await engine().restart();
      // The holder is not restarted by the engine (no restart policy): its tmpfs is gone.
      expect((await engine().docker.getContainer(holderName(name)).inspect()).State.Running).toBe(false);
      const ps = await cliOk([...tcp.args(), "-p", name, "ps", "-a"], opts);
      expect(ps.stderr).toContain("service app: its secret material is missing");

      const again = await cliOk([...tcp.args(), "-p", name, "up", "-d"], opts);
      expect(again.stderr).toContain("Recreate");
      const after = await engine().docker.getContainer(container).inspect();
      expect(after.Id).not.toBe(before);
      expect(after.State.Running).toBe(true);
      expect(await digestIn(container, "/run/secrets/token", undefined, engine().docker)).toBe(sha256(value));

      await cliOk([...tcp.args(), "-p", name, "down", "-t", "0"], opts);
      expect(await objectsOf(name)).toEqual({ containers: 0, volumes: 0 });
    },
    SLOW_MS,
  );

  it(
    "composec killed with SIGKILL during up once the holder exists: the next up succeeds, down leaves nothing",
    async () => {
      const name = project("remote-kill");
      const value = randomValue("remote-kill");
      const dir = await tempProject({ "compose.yaml": rotating, "token.txt": value });
      const opts = { cwd: dir, env: tcp.env(), hide: [value], timeoutMs: SLOW_MS };
      const env = Object.fromEntries(
        Object.entries(tcp.env()).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const child = spawnCli([...tcp.args(), "-p", name, "up", "-d"], dir, env);
      const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
      await waitFor(
        async () =>
          (await engine()
            .docker.getContainer(holderName(name))
            .inspect()
            .then(() => true)
            .catch(() => false)) || undefined,
        { timeoutMs: 120_000, intervalMs: 20, what: "the holder container" },
      );
      child.kill("SIGKILL");
      await closed;

      await cliOk([...tcp.args(), "-p", name, "up", "-d"], opts);
      expect(await digestIn(`${name}-app-1`, "/run/secrets/token", undefined, engine().docker)).toBe(
        sha256(value),
      );
      await cliOk([...tcp.args(), "-p", name, "down", "-t", "0"], opts);
      expect(await objectsOf(name)).toEqual({ containers: 0, volumes: 0 });
      const volumes = await engine().docker.listVolumes();
      expect((volumes.Volumes ?? []).map((v) => v.Name)).not.toContain(secretsVolume(name));
    },
    SLOW_MS,
  );
});
