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
import { materialHolder, type MaterialHolder } from "../../src/materialize/holder/holder.js";
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
    expect(container.HostConfig.CapAdd ?? []).toEqual([]);
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

  it("stage and mv put exact bytes in place with the headers' owner and mode; read gives them back", async () => {
    await holder.mkdirs(["services/x", "files"]);
    const before = await holder.stamp("services/x");
    await holder.stage(".staging", [
      { path: "db", ...db },
      { path: "deep/api", ...api },
    ]);
    const staged = await holder.read(".staging");
    expect(staged.map((entry) => entry.path).sort()).toEqual([".staging/db", ".staging/deep/api"]);
    // With no capability at all, root in the holder renames files that belong to other users.
    await holder.run("mv", [".staging/db", "services/x/db", ".staging/deep/api", "files/api"]);

    const delivered = [...(await holder.read("services")), ...(await holder.read("files"))];
    expect(
      delivered
        .map((entry) => ({ ...entry, bytes: sha256(entry.bytes) }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    ).toEqual([
      { path: "files/api", bytes: sha256(api.bytes), uid: api.uid, gid: api.gid, mode: api.mode },
      { path: "services/x/db", bytes: sha256(db.bytes), uid: db.uid, gid: db.gid, mode: db.mode },
    ]);
    expect(sha256((await holder.readFile("services/x/db"))!)).toBe(sha256(db.bytes));
    expect(await holder.readFile("services/x/none")).toBeUndefined();
    expect(await holder.readFile("services/x")).toBeUndefined();
    expect(await holder.read("nowhere")).toEqual([]);
    expect(await holder.read(".staging")).toEqual([]);
    // A rename into the directory moves its stamp; a missing path has none.
    const after = await holder.stamp("services/x");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(await holder.stamp("services/nothing")).toBeUndefined();
  });

  it("a request puts exact bytes in place with one upload and a signal (no exec), leaves staging empty, and names a failed op's errno", async () => {
    const glanced = await holder.glance(".meta");
    expect(glanced).toMatchObject({ ready: true, running: true, mountpoint });
    const execsBefore = (await docker.getContainer(`${project}-secrets-holder`).inspect()).ExecIDs ?? [];
    await holder.request(
      ".meta/staging",
      ["services/r", "files"],
      [
        { path: "one", ...db },
        { path: "two", ...api },
      ],
      [
        { op: "rm", path: "services/gone" },
        { op: "mv", from: ".meta/staging/one", to: "services/r/db" },
        { op: "mv", from: ".meta/staging/two", to: ".meta/digests.json" },
      ],
    );
    expect((await docker.getContainer(`${project}-secrets-holder`).inspect()).ExecIDs ?? []).toEqual(
      execsBefore,
    );
    expect(
      (await holder.read("services/r")).map((entry) => ({ ...entry, bytes: sha256(entry.bytes) })),
    ).toEqual([{ path: "services/r/db", bytes: sha256(db.bytes), uid: db.uid, gid: db.gid, mode: db.mode }]);
    const meta = await holder.glance(".meta");
    expect(meta.files.map((entry) => entry.path)).toEqual([".meta/digests.json"]);
    expect(sha256(meta.files[0]!.bytes)).toBe(sha256(api.bytes));
    // The meta directory and staging are root's alone; a service directory is traversable.
    const modes = await inContainer(
      ["stat", "-c", "%n %a %u", "/m/.meta", "/m/.meta/staging", "/m/services/r"],
      [{ Type: "bind", Source: mountpoint, Target: "/m", ReadOnly: true }],
    );
    expect(modes.stdout.trim().split("\n")).toEqual([
      "/m/.meta 700 0",
      "/m/.meta/staging 700 0",
      "/m/services/r 755 0",
    ]);

    await expect(
      holder.request(
        ".meta/staging",
        [],
        [],
        [{ op: "mv", from: ".meta/staging/missing", to: "services/r/gone" }],
      ),
    ).rejects.toThrow(/a delivery's file operations failed: ENOENT \(no such file or directory\), errno 2/);
    // What a failed request leaves in staging goes with the next one.
    const left = (await holder.read(".meta/staging")).map((entry) => entry.path);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/\.failed$/);
    await holder.request(
      ".meta/staging",
      [],
      [],
      [left[0]!, "services/r", ".meta/digests.json"].map((path) => ({ op: "rm" as const, path })),
    );
    expect(await holder.read(".meta")).toEqual([]);
    expect(await holder.read("services/r")).toEqual([]);
  });

  it("an owner beyond the ustar header's six octal digits reaches the file exactly", async () => {
    const big = { bytes: randomBytes(8), uid: 1_000_680_000, gid: 0xfffffffe, mode: 0o440 };
    await holder.mkdirs(["files"]);
    await holder.stage(".staging", [{ path: "big", ...big }]);
    await holder.run("mv", [".staging/big", "files/big"]);
    const read = (await holder.read("files")).find((entry) => entry.path === "files/big");
    expect({ ...read, bytes: sha256(read!.bytes) }).toEqual({
      path: "files/big",
      bytes: sha256(big.bytes),
      uid: big.uid,
      gid: big.gid,
      mode: big.mode,
    });
    const result = await inContainer(
      ["stat", "-c", "%u %g %a", "/m/files/big"],
      [{ Type: "volume", Source: volumeName, Target: "/m", ReadOnly: true }],
    );
    expect(result.stdout.trim()).toBe(`${big.uid} ${big.gid} 440`);
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
    expect(sha256((await holder.readFile("services/x/db"))!)).toBe(sha256(db.bytes));
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
      await holder.stage(".staging", [
        { path: "marker", bytes: Buffer.from(marker), uid: 0, gid: 0, mode: 0o400 },
      ]);
      await holder.run("mv", [".staging/marker", "services/x/marker"]);
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

  it("rm removes trees and ignores missing paths; failures name the operation and errno", async () => {
    await holder.run("rm", ["services/x/marker", "services/x/missing", "files"]);
    expect((await holder.read("")).map((entry) => entry.path)).toEqual(["services/x/db"]);
    await expect(holder.run("mv", ["nothing", "services/x/y"])).rejects.toThrow(
      /secrets holder of project .*: mv of 2 paths failed: ENOENT \(no such file or directory\), errno 2/,
    );
    await expect(holder.run("rm", ["services/x/db/below"])).rejects.toThrow(
      /rm services\/x\/db\/below failed: ENOTDIR/,
    );
    await expect(holder.run("rm", ["../etc"])).rejects.toThrow(
      /"\.\.\/etc" is not a path inside the secrets volume/,
    );
    await expect(holder.run("mv", ["/etc/passwd", "x"])).rejects.toThrow(
      /not a path inside the secrets volume/,
    );
    expect(sha256((await holder.readFile("services/x/db"))!)).toBe(sha256(db.bytes));
  });

  it("after the holder is killed, ensure starts it again on an empty tmpfs and says fresh", async () => {
    await docker.getContainer(`${project}-secrets-holder`).kill();
    expect(await holder.inspect()).toEqual({ volume: true, running: false, mountpoint });
    const ensured = await holder.ensure();
    expect(ensured).toEqual({ mountpoint, fresh: true });
    expect(await holder.read("")).toEqual([]);
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
    await holder.stage(".staging", [{ path: "db", ...db }]);
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
      expect((await holder.read(".staging")).map((entry) => entry.path)).toEqual([".staging/db"]);
      expect((await cli(["-p", project, "down", "-v"], { cwd: dir })).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("`ps`, `ls` and `top` leave a running holder out; `composec down -p` removes it and its volume", async () => {
    await holder.ensure();
    await holder.stage(".staging", [{ path: "db", ...db }]);
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
