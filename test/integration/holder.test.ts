// The engine-side secrets holder against the real engine: one tmpfs volume per project kept
// mounted by a locked-down holder container, written with PUT archive (owners and modes from the
// tar headers), renamed into place by the holder's own `mv`, read back into memory, removed by
// `rm`, `remove()` and `down`. Values are compared by sha256, never printed.
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/client.js";
import { materialHolder, type HolderOp, type MaterialHolder } from "../../src/materialize/holder/holder.js";
import {
  cli,
  demux,
  docker,
  images,
  removeProjectResources,
  socketPath,
  TEST_LABEL,
  uniqueProjectName,
} from "./helpers.js";

const run = promisify(execFile);
const engine = createEngine({ host: `unix://${socketPath}` });
const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/** Runs `cmd` in a busybox container with `mounts`, as `user`; its output (digests and stats only). */
async function inContainer(
  cmd: string[],
  mounts: object[],
  user = "0",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const container = await docker.createContainer({
    Image: images.busybox,
    Cmd: cmd,
    User: user,
    Labels: { [TEST_LABEL]: "1" },
    HostConfig: { Mounts: mounts as never, NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, ...demux(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

describe("the engine-side secrets holder", () => {
  const project = uniqueProjectName("holder");
  const volumeName = `composec-secrets.${project}`;
  let holder: MaterialHolder;
  let mountpoint: string;
  const db = { bytes: randomBytes(48), uid: 1000, gid: 1001, mode: 0o440 };
  const api = { bytes: Buffer.from("api-token\n\0\xff", "latin1"), uid: 4242, gid: 4343, mode: 0o400 };

  beforeAll(async () => {
    await removeProjectResources(project);
    holder = materialHolder(engine, project);
  });
  afterAll(async () => {
    await removeProjectResources(project);
  });

  it("ensure makes a tmpfs volume and a locked-down running holder; a second ensure changes nothing", async () => {
    expect(await holder.inspect()).toEqual({ volume: false, running: false });
    const ensured = await holder.ensure();
    expect(ensured.fresh).toBe(true);
    mountpoint = ensured.mountpoint;

    const volume = await docker.getVolume(volumeName).inspect();
    expect(volume.Mountpoint).toBe(mountpoint);
    expect(volume.Driver).toBe("local");
    expect(volume.Options).toEqual({
      type: "tmpfs",
      device: "tmpfs",
      o: "size=64m,mode=0755,nosuid,nodev,noexec",
    });
    expect(volume.Labels).toMatchObject({
      "com.docker.compose.project": project,
      "io.composec.secrets-material": "true",
    });
    // On the engine's host (this machine) the mount point is a tmpfs, never the disk.
    const mount = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .find((line) => line.split(" ")[1] === mountpoint);
    expect(mount?.split(" ")[2]).toBe("tmpfs");
    expect(mount?.split(" ")[3]).toMatch(/nosuid,nodev,noexec/);

    const container = await docker.getContainer(`${project}-secrets-holder`).inspect();
    expect(container.State.Running).toBe(true);
    expect(container.Config.Labels).toMatchObject({
      "com.docker.compose.project": project,
      "io.composec.secrets-holder": "true",
      "com.docker.compose.oneoff": "True",
    });
    expect(container.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      RestartPolicy: { Name: "no" },
      LogConfig: { Type: "none" },
    });
    expect([...(container.HostConfig.CapAdd ?? [])].sort()).toEqual(
      ["CAP_CHOWN", "CAP_DAC_READ_SEARCH"].map((c) =>
        expect.stringMatching(new RegExp(`^(CAP_)?${c.slice(4)}$`)),
      ),
    );
    // Its stdin stays open across attaches (requests come on it); its stdout, which carries the
    // key, digests and values, reaches no log: the engine keeps none to read.
    expect(container.Config).toMatchObject({ OpenStdin: true, StdinOnce: false });
    expect(container.LogPath ?? "").toBe("");
    expect(container.Mounts).toEqual([
      expect.objectContaining({
        Type: "volume",
        Name: volumeName,
        Destination: "/material",
        RW: true,
      }),
    ]);
    const image = await docker.getImage(container.Image).inspect();
    expect(image.Config.Labels).toMatchObject({ "io.composec.secrets-holder": "1" });
    expect(image.RootFS.Layers).toHaveLength(1);

    expect(await holder.inspect()).toEqual({ volume: true, running: true, mountpoint });
    expect(await holder.ensure()).toEqual({ mountpoint, fresh: false });
  });

  /** Puts `files` in place with one delivery (staged, owned, renamed), after `first`. */
  const put = async (
    files: { path: string; bytes: Buffer; uid: number; gid: number; mode: number }[],
    first: HolderOp[] = [],
  ) => {
    const staged = files.map((file) => ({ ...file, name: randomBytes(8).toString("hex") }));
    await holder.deliver(
      files.map((file) => path.posix.dirname(file.path)),
      staged,
      [
        ...first,
        ...staged.map((file) => ({ op: "mv" as const, from: `.meta/staging/${file.name}`, to: file.path })),
      ],
    );
  };
  const statIn = async (paths: string[]) =>
    (
      await inContainer(
        ["stat", "-c", "%n %u %g %a", ...paths.map((p) => `/m/${p}`)],
        [{ Type: "volume", Source: volumeName, Target: "/m", ReadOnly: true }],
      )
    ).stdout
      .trim()
      .split("\n");

  it("a delivery puts exact bytes in place with their owner and mode, over the attach (no exec); values and glance read them back", async () => {
    const before = await holder.stamp(".meta/staging");
    const execsBefore = (await docker.getContainer(`${project}-secrets-holder`).inspect()).ExecIDs ?? [];
    await put([
      { path: "services/x/db", ...db },
      { path: "files/api", ...api },
      { path: ".meta/digests.json", bytes: Buffer.from("{}"), uid: 0, gid: 0, mode: 0o600 },
    ]);
    expect((await docker.getContainer(`${project}-secrets-holder`).inspect()).ExecIDs ?? []).toEqual(
      execsBefore,
    );
    expect(await statIn(["services/x/db", "files/api", ".meta", ".meta/staging", "services/x"])).toEqual([
      `/m/services/x/db ${db.uid} ${db.gid} 440`,
      `/m/files/api ${api.uid} ${api.gid} 400`,
      "/m/.meta 0 0 700",
      "/m/.meta/staging 0 0 700",
      "/m/services/x 0 0 755",
    ]);
    const values = await holder.values();
    expect([...values.keys()].sort()).toEqual(["files/api", "services/x/db"]);
    expect(sha256(values.get("services/x/db")!)).toBe(sha256(db.bytes));
    expect(sha256(values.get("files/api")!)).toBe(sha256(api.bytes));
    const glanced = await holder.glance();
    expect(glanced).toMatchObject({ ready: true, running: true, mountpoint });
    expect([...glanced.files.keys()]).toEqual([".meta/digests.json"]);
    expect(glanced.paths.sort()).toEqual(["files/api", "services/x/db"]);
    // Every delivery renames out of staging: its stamp moves; a missing path has none.
    expect(await holder.stamp(".meta/staging")).not.toBe(before);
    expect(await holder.stamp("services/nothing")).toBeUndefined();
  });

  it("a failed op names its errno; a file over one frame arrives whole; an owner up to 2^32-2 exactly", async () => {
    await expect(
      holder.deliver([], [], [{ op: "mv", from: ".meta/staging/missing", to: "services/r/gone" }]),
    ).rejects.toThrow(/a delivery's file operations failed: ENOENT \(no such file or directory\), errno 2/);
    await expect(holder.deliver([], [], [{ op: "rm", path: "../etc" }])).rejects.toThrow(
      /"\.\.\/etc" is not a path inside the secrets volume/,
    );
    const big = { bytes: randomBytes(1_500_000), uid: 1_000_680_000, gid: 0xfffffffe, mode: 0o440 };
    await put([{ path: "files/big", ...big }]);
    expect(sha256((await holder.values()).get("files/big")!)).toBe(sha256(big.bytes));
    expect(await statIn(["files/big"])).toEqual([`/m/files/big ${big.uid} ${big.gid} 440`]);
    await holder.deliver(
      [],
      [],
      [
        { op: "rm", path: "files/big" },
        { op: "rm", path: "services/none" },
      ],
    );
    expect([...(await holder.values()).keys()].sort()).toEqual(["files/api", "services/x/db"]);
  });

  it("two sessions on one holder at once (two commands): each gets its own replies", async () => {
    const other = materialHolder(engine, project);
    try {
      const [a, b] = await Promise.all([holder.values(), other.values(), holder.glance(), other.glance()]);
      expect(sha256(a.get("services/x/db")!)).toBe(sha256(db.bytes));
      expect(sha256(b.get("services/x/db")!)).toBe(sha256(db.bytes));
      await Promise.all([
        put([{ path: "services/y/one", ...db }]),
        (async () => {
          const staged = [{ ...api, name: randomBytes(8).toString("hex") }];
          await other.deliver(["services/y"], staged, [
            { op: "mv", from: `.meta/staging/${staged[0]!.name}`, to: "services/y/two" },
          ]);
        })(),
      ]);
      const values = await other.values();
      expect(sha256(values.get("services/y/one")!)).toBe(sha256(db.bytes));
      expect(sha256(values.get("services/y/two")!)).toBe(sha256(api.bytes));
      await holder.deliver([], [], [{ op: "rm", path: "services/y" }]);
    } finally {
      other.close();
    }
  });

  it("a container binding <Mountpoint>/services/x read-only sees the files with owner and mode", async () => {
    const result = await inContainer(
      [
        "sh",
        "-c",
        "stat -c '%n %u %g %a' /run/secrets/db && sha256sum /run/secrets/db && touch /run/secrets/new",
      ],
      [{ Type: "bind", Source: `${mountpoint}/services/x`, Target: "/run/secrets", ReadOnly: true }],
      "1000",
    );
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe("/run/secrets/db 1000 1001 440");
    expect(lines[1]?.split(/\s+/)[0]).toBe(sha256(db.bytes));
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(result.code).not.toBe(0);
  });

  it("the content survives other containers mounting the volume coming and going", async () => {
    for (let i = 0; i < 2; i++) {
      const result = await inContainer(
        ["sh", "-c", "sha256sum /m/services/x/db"],
        [{ Type: "volume", Source: volumeName, Target: "/m", ReadOnly: true }],
      );
      expect(result.stdout.split(/\s+/)[0]).toBe(sha256(db.bytes));
    }
    expect(sha256((await holder.values()).get("services/x/db")!)).toBe(sha256(db.bytes));
  });

  it("no file on the engine's data-root disk holds staged bytes (only the tmpfs does)", async () => {
    const { DockerRootDir: root } = await docker.info();
    const marker = `holder-marker-${randomBytes(16).toString("hex")}`;
    const scratch = await mkdtemp(path.join(tmpdir(), "composec-holder-"));
    const since = path.join(scratch, "since");
    await writeFile(since, "");
    const past = new Date(Date.now() - 2000);
    await utimes(since, past, past);
    try {
      await put([{ path: "services/x/marker", bytes: Buffer.from(marker), uid: 0, gid: 0, mode: 0o400 }]);
      // -xdev: the data root's own file system only (the tmpfs and containers' overlays are mounts
      // of their own); -newer: what was written during this write, temporary files included.
      const { stdout } = await run("sh", [
        "-c",
        `find "$1" -xdev -type f -newer "$2" -print0 | xargs -0 -r grep -lF "$3" || true`,
        "sh",
        root,
        since,
        marker,
      ]);
      expect(stdout.trim()).toBe("");
      const onTmpfs = await run("grep", ["-rlF", marker, mountpoint]);
      expect(onTmpfs.stdout.trim()).toBe(`${mountpoint}/services/x/marker`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("rm removes trees and ignores missing paths", async () => {
    await holder.deliver(
      [],
      [],
      ["services/x/marker", "services/x/missing", "files"].map((p) => ({ op: "rm" as const, path: p })),
    );
    expect([...(await holder.values()).keys()]).toEqual(["services/x/db"]);
  });

  it("after the holder is killed, ensure starts it again on an empty tmpfs and says fresh", async () => {
    await docker.getContainer(`${project}-secrets-holder`).kill();
    expect(await holder.inspect()).toEqual({ volume: true, running: false, mountpoint });
    const ensured = await holder.ensure();
    expect(ensured).toEqual({ mountpoint, fresh: true });
    expect((await holder.glance()).paths).toEqual([]);
    expect(await holder.ensure()).toEqual({ mountpoint, fresh: false });
  });

  it("a stopped holder stops at once (SIGTERM ends it) and remove leaves nothing, twice over", async () => {
    const started = Date.now();
    await docker.getContainer(`${project}-secrets-holder`).stop({ t: 10 });
    expect(Date.now() - started).toBeLessThan(5000);
    const state = await docker.getContainer(`${project}-secrets-holder`).inspect();
    expect(state.State.ExitCode).toBe(0);
    await holder.remove();
    await holder.remove();
    expect(await holder.inspect()).toEqual({ volume: false, running: false });
    const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
  });

  it("a project's own top-level volume named `secrets` is its own disk volume, never the holder's tmpfs", async () => {
    await holder.ensure();
    await put([{ path: "services/x/db", ...db }]);
    const dir = await mkdtemp(path.join(tmpdir(), "composec-holder-"));
    try {
      await writeFile(
        path.join(dir, "compose.yaml"),
        [
          "services:",
          "  app:",
          `    image: ${images.busybox}`,
          '    command: ["sleep", "60"]',
          '    volumes: ["secrets:/data"]',
          "volumes:",
          "  secrets: {}",
          "",
        ].join("\n"),
      );
      const up = await cli(["-p", project, "up", "-d"], { cwd: dir });
      expect(up.code).toBe(0);
      const app = await docker.getContainer(`${project}-app-1`).inspect();
      expect(app.Mounts.map((mount) => mount.Name)).toEqual([`${project}_secrets`]);
      const own = await docker.getVolume(`${project}_secrets`).inspect();
      expect(own.Labels ?? {}).not.toHaveProperty("io.composec.secrets-material");
      expect(own.Options ?? {}).not.toHaveProperty("type");
      expect([...(await holder.values()).keys()]).toEqual(["services/x/db"]);
      expect((await cli(["-p", project, "down", "-v"], { cwd: dir })).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("`ps`, `ls` and `top` leave a running holder out; `composec down -p` removes it and its volume", async () => {
    await holder.ensure();
    await put([{ path: "services/x/db", ...db }]);
    const ps = await cli(["-p", project, "ps", "-a", "-q"], { cwd: tmpdir() });
    expect(ps).toMatchObject({ code: 0, stdout: "" });
    const ls = await cli(["ls", "-a", "-q"], { cwd: tmpdir() });
    expect(ls.code).toBe(0);
    expect(ls.stdout.split("\n")).not.toContain(project);
    const top = await cli(["-p", project, "top"], { cwd: tmpdir() });
    expect(top.stdout).not.toContain("secrets-holder");
    const result = await cli(["-p", project, "down"], { cwd: tmpdir() });
    expect(result.code).toBe(0);
    expect(await holder.inspect()).toEqual({ volume: false, running: false });
  });
});

describe("a volume or container in the holder's way", () => {
  const project = uniqueProjectName("holder-foreign");
  const volumeName = `composec-secrets.${project}`;
  beforeAll(() => removeProjectResources(project));
  afterAll(async () => {
    await docker
      .getVolume(volumeName)
      .remove()
      .catch(() => {});
    await removeProjectResources(project);
  });

  it("a same-named volume that is not our tmpfs is refused, and no holder is made", async () => {
    // A disk volume by that name: delivering secrets onto it would write them to the disk.
    await docker.createVolume({ Name: volumeName });
    const holder = materialHolder(engine, project);
    await expect(holder.ensure()).rejects.toThrow(
      `volume ${volumeName} exists and is not the secrets tmpfs of project ${project}`,
    );
    expect(await holder.inspect()).toMatchObject({ volume: true, running: false });
    await expect(docker.getContainer(`${project}-secrets-holder`).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it("a size the tmpfs cannot take is refused before anything reaches the engine", () => {
    expect(() => materialHolder(engine, project, { size: "64 MB" })).toThrow(
      `project ${project}: "64 MB" is not a size for the secrets tmpfs; use a number of bytes with k, m or g, such as 64m`,
    );
  });
});
