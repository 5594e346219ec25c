// `volumes` (and `tmpfs`): bind, named, anonymous and tmpfs mounts in short and long form, `ro`,
// relative and `~` sources, and the canonical long form they become.
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolvePath } from "./canonicalize.js";
import { loadFail, loadOk } from "./test-helpers.js";

describe("volumes, short form", () => {
  it("./src:/dst is a bind of a path relative to the compose file", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - ./data:/data
              - ../up:/up
              - /abs/path:/abs:ro
              - ./conf:/conf:rw
      `,
    });
    expect(project.services["web"]!.volumes).toEqual([
      { type: "bind", source: join(dir, "data"), target: "/data", readOnly: false, createHostPath: true },
      { type: "bind", source: join(dir, "..", "up"), target: "/up", readOnly: false, createHostPath: true },
      { type: "bind", source: "/abs/path", target: "/abs", readOnly: true, createHostPath: true },
      { type: "bind", source: join(dir, "conf"), target: "/conf", readOnly: false, createHostPath: true },
    ]);
  });

  it("~/path:/dst binds a path in the home directory", async () => {
    const { project } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    volumes: ['~/cache:/cache']\n",
    });
    expect(project.services["web"]!.volumes[0]).toMatchObject({
      type: "bind",
      source: join(homedir(), "cache"),
    });
  });

  it("name:/dst mounts a named volume, :ro makes it read-only", async () => {
    const { project } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - db:/var/lib/db
              - db:/backup:ro
        volumes:
          db:
      `,
    });
    expect(project.services["web"]!.volumes).toEqual([
      { type: "volume", source: "db", target: "/var/lib/db", readOnly: false, nocopy: false },
      { type: "volume", source: "db", target: "/backup", readOnly: true, nocopy: false },
    ]);
  });

  it("/dst alone is an anonymous volume", async () => {
    const { project } = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    volumes: [/cache]\n",
    });
    expect(project.services["web"]!.volumes).toEqual([
      { type: "volume", target: "/cache", readOnly: false, nocopy: false },
    ]);
  });

  it("a relative target is an error naming the entry", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    volumes: ['./data:data']\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^compose\.yaml:4:\d+ services\.web\.volumes\[0\]: /);
    expect(errors[0]).toContain('"data"');
  });

  it("an unknown option is an error naming it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    volumes: ['./data:/data:readonly']\n",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("services.web.volumes[0]");
    expect(errors[0]).toContain('"readonly"');
  });

  it("tmpfs: takes a path or a list", async () => {
    const one = await loadOk({ "compose.yaml": "services:\n  web:\n    image: busybox\n    tmpfs: /tmp\n" });
    expect(one.project.services["web"]!.tmpfs).toEqual(["/tmp"]);
    const list = await loadOk({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    tmpfs: [/tmp, '/run:size=1m']\n",
    });
    expect(list.project.services["web"]!.tmpfs).toEqual(["/tmp", "/run:size=1m"]);
  });
});

describe("volumes, long form", () => {
  it("bind, volume and tmpfs with their options", async () => {
    const { project, dir } = await loadOk({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - type: bind
                source: ./site
                target: /site
                read_only: true
                bind:
                  create_host_path: false
              - type: volume
                source: data
                target: /data
                volume:
                  nocopy: true
              - type: volume
                target: /anon
              - type: tmpfs
                target: /scratch
                tmpfs:
                  size: 64m
        volumes:
          data:
      `,
    });
    expect(project.services["web"]!.volumes).toEqual([
      { type: "bind", source: join(dir, "site"), target: "/site", readOnly: true, createHostPath: false },
      { type: "volume", source: "data", target: "/data", readOnly: false, nocopy: true },
      { type: "volume", target: "/anon", readOnly: false, nocopy: false },
      { type: "tmpfs", target: "/scratch", readOnly: false, size: 64 * 1024 * 1024 },
    ]);
  });

  it("a bind without source and a mount without target are errors", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - type: bind
                target: /x
              - type: volume
                source: data
        volumes:
          data:
      `,
    });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("services.web.volumes[0]");
    expect(errors[0]).toContain("source");
    expect(errors[1]).toContain("services.web.volumes[1]");
    expect(errors[1]).toContain("target");
  });

  it("an unknown type is an error naming it", async () => {
    const { errors } = await loadFail({
      "compose.yaml": `
        services:
          web:
            image: busybox
            volumes:
              - type: nfs
                target: /x
      `,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/services\.web\.volumes\[0\]\.type: /);
    expect(errors[0]).toContain('"nfs"');
  });
});

describe("resolvePath", () => {
  it("joins plain relative paths to the base and resolves everything else", () => {
    expect(resolvePath("secrets/db.txt", "/srv/app")).toBe("/srv/app/secrets/db.txt");
    expect(resolvePath("./db.txt", "/srv/app")).toBe("/srv/app/db.txt");
    expect(resolvePath("../db.txt", "/srv/app")).toBe("/srv/db.txt");
    expect(resolvePath("a/./b//c/", "/srv/app")).toBe("/srv/app/a/b/c");
    expect(resolvePath(".", "/srv/app")).toBe("/srv/app");
    expect(resolvePath("./", "/srv/app")).toBe("/srv/app");
    expect(resolvePath("/etc/x/../y", "/srv/app")).toBe("/etc/y");
    expect(resolvePath("x", "/")).toBe("/x");
  });
});
