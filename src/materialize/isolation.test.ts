import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  bindReachesSecretsVolume,
  describeSecretsVolumeReach,
  isSecretsVolumeName,
  bindReachesMaterial,
  describeMaterialReach,
  dockerSockets,
  reachOf,
  resolveHostPath,
} from "./isolation.js";
import { materialRoots } from "./tmpfs.js";

describe("reachOf", () => {
  it("tells the root itself, a directory holding it and one inside it", () => {
    expect(reachOf("/run/composec", "/run/composec")).toBe("is");
    expect(reachOf("/run", "/run/composec")).toBe("contains");
    expect(reachOf("/", "/run/composec")).toBe("contains");
    expect(reachOf("/run/composec/p/services/db", "/run/composec")).toBe("inside");
  });

  it("leaves apart paths that only share a prefix of characters", () => {
    expect(reachOf("/run/composec-other", "/run/composec")).toBeUndefined();
    expect(reachOf("/run/compose", "/run/composec")).toBeUndefined();
    expect(reachOf("/srv/data", "/run/composec")).toBeUndefined();
  });
});

describe("resolveHostPath", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = () => (dir = realpathSync(mkdtempSync(join(tmpdir(), "composec-iso-"))));

  it("follows links, relative and absolute, also to places that do not exist yet", () => {
    fresh();
    mkdirSync(join(dir, "real/sub"), { recursive: true });
    symlinkSync("real", join(dir, "rel"));
    symlinkSync(join(dir, "real/sub"), join(dir, "abs"));
    symlinkSync("/run/composec/not-yet/services", join(dir, "dangling"));
    expect(resolveHostPath(join(dir, "rel/sub"))).toBe(join(dir, "real/sub"));
    // `..` in the written path is taken as written (the loader and the engine clean it so); in a
    // link's target it climbs from where the link leads, as the kernel does.
    symlinkSync("../real/sub", join(dir, "real/up"));
    expect(resolveHostPath(join(dir, "real/up"))).toBe(join(dir, "real/sub"));
    expect(resolveHostPath(join(dir, "dangling/db"))).toBe("/run/composec/not-yet/services/db");
    expect(resolveHostPath(join(dir, "missing/x"))).toBe(join(dir, "missing/x"));
  });

  it("stops on a loop of links instead of spinning", () => {
    fresh();
    symlinkSync("b", join(dir, "a"));
    symlinkSync("a", join(dir, "b"));
    expect(resolveHostPath(join(dir, "a"))).toContain(dir);
  });
});

describe("bindReachesMaterial", () => {
  it("judges a bind by where its links lead", () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "composec-iso-")));
    try {
      symlinkSync("/run/composec/p", join(dir, "link"));
      const found = bindReachesMaterial(join(dir, "link"), ["/run/composec"]);
      expect(found).toEqual({ root: "/run/composec", reach: "inside", real: "/run/composec/p" });
      expect(describeMaterialReach(join(dir, "link"), found!)).toContain(
        `(a symbolic link to /run/composec/p) lies inside composec's secret material root /run/composec`,
      );
      expect(bindReachesMaterial(dir, ["/run/composec"])).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("materialRoots and dockerSockets", () => {
  it("always include root's material and the caller's runtime directory's", () => {
    const roots = materialRoots({ XDG_RUNTIME_DIR: "/tmp/xdg", COMPOSEC_RUNTIME_DIR: "/tmp/override" });
    expect(roots).toEqual(expect.arrayContaining(["/run/composec", "/tmp/xdg/composec", "/tmp/override"]));
  });

  it("adds DOCKER_HOST's socket to the default ones", () => {
    expect(dockerSockets({ DOCKER_HOST: "unix:///tmp/other.sock" })).toContain("/tmp/other.sock");
    expect(dockerSockets({ DOCKER_HOST: "tcp://127.0.0.1:2375" })).toContain(
      resolveHostPath("/var/run/docker.sock"),
    );
  });
});

describe("binds of the engine-side secrets volumes", () => {
  const root = "/var/lib/docker";
  it("the volume's directory, anything inside it, and any directory holding the volumes are reached", () => {
    expect(bindReachesSecretsVolume("/var/lib/docker/volumes/composec-secrets.p", root)).toEqual({
      volumeDir: "/var/lib/docker/volumes/composec-secrets.p",
      reach: "is",
    });
    expect(
      bindReachesSecretsVolume("/var/lib/docker/volumes/composec-secrets.p/_data/services/web", root),
    ).toEqual({
      volumeDir: "/var/lib/docker/volumes/composec-secrets.p",
      reach: "inside",
    });
    for (const above of [
      "/var/lib/docker/volumes",
      "/var/lib/docker",
      "/var",
      "/",
      "/var/lib/docker/volumes/",
    ]) {
      expect(bindReachesSecretsVolume(above, root)?.reach, above).toBe("contains");
    }
    // Written with `..` or doubled slashes: judged as the engine will clean it.
    expect(
      bindReachesSecretsVolume("/var/lib/docker/volumes/x/../composec-secrets.q//_data", root)?.reach,
    ).toBe("inside");
    expect(bindReachesSecretsVolume("/srv/docker/volumes/composec-secrets.p", "/srv/docker/")?.reach).toBe(
      "is",
    );
  });

  it("other volumes, look-alike names and other places are apart", () => {
    for (const apart of [
      "/var/lib/docker/volumes/p_data/_data",
      "/var/lib/docker/volumes/composec-secretsx/_data",
      "/var/lib/docker/containers",
      "/var/lib/docker-other/volumes/composec-secrets.p",
      "/home/me/data",
    ]) {
      expect(bindReachesSecretsVolume(apart, root), apart).toBeUndefined();
    }
  });

  it("the message names the mount's source, how it stands, and what to do", () => {
    const found = bindReachesSecretsVolume("/var/lib/docker", root)!;
    expect(describeSecretsVolumeReach("/var/lib/docker", found)).toBe(
      `"/var/lib/docker" contains the directories of composec's engine-side secrets volumes /var/lib/docker/volumes/composec-secrets.* on the engine's host; a container that mounts it can read a project's secrets and digest key (each service already gets its own at /run/secrets): mount another directory`,
    );
    expect(isSecretsVolumeName("composec-secrets.p")).toBe(true);
    expect(isSecretsVolumeName("composec-secretsp")).toBe(false);
  });
});
