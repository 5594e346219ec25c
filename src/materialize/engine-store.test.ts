// The engine-side store over a fake holder that counts its calls: a delivery is one archive upload
// and one rename exec however many services change, the bytes and owners land where the local
// layout puts them, and a service's mounts are its own sub-directory only (bind of the volume's
// Mountpoint before API 1.45, a volume sub-path from 1.45 on).
import { describe, expect, it } from "vitest";
import { makeService } from "../model/project-builder.js";
import { SecretValue } from "../secrets/secret-value.js";
import { EngineSideStore, engineSideMounts } from "./engine-store.js";
import type { HolderEntry, MaterialHolder } from "./holder/holder.js";
import { ProjectMaterial } from "./material.js";
import { secretMount } from "../engine/container-spec.js";

/** An in-memory holder: files by path relative to the volume root, and every call counted. */
function fakeHolder(): MaterialHolder & { files: Map<string, HolderEntry>; calls: string[] } {
  const files = new Map<string, HolderEntry>();
  const calls: string[] = [];
  return {
    volume: "composec-secrets.demo",
    files,
    calls,
    inspect: async () => {
      calls.push("inspect");
      return {
        volume: files.size > 0,
        running: files.size > 0,
        mountpoint: "/var/lib/docker/volumes/composec-secrets.demo/_data",
      };
    },
    ensure: async () => {
      calls.push("ensure");
      return { mountpoint: "/var/lib/docker/volumes/composec-secrets.demo/_data", fresh: files.size === 0 };
    },
    read: async (dir) => {
      calls.push(`read ${dir}`);
      return [...files.values()].filter((entry) => entry.path.startsWith(`${dir}/`));
    },
    readFile: async (path) => {
      calls.push(`readFile ${path}`);
      return files.get(path)?.bytes;
    },
    stamp: async (path) => {
      calls.push(`stamp ${path}`);
      return String(calls.length);
    },
    stage: async (dir, entries) => {
      calls.push(`stage ${entries.length}`);
      for (const entry of entries)
        files.set(`${dir}/${entry.path}`, { ...entry, path: `${dir}/${entry.path}` });
    },
    mkdirs: async () => {
      calls.push("mkdirs");
    },
    run: async (op, args) => {
      calls.push(`${op} ${op === "mv" ? args.length / 2 : args.length}`);
      if (op === "mv") {
        for (let i = 0; i < args.length; i += 2) {
          const entry = files.get(args[i]!)!;
          files.delete(args[i]!);
          files.set(args[i + 1]!, { ...entry, path: args[i + 1]! });
        }
      } else {
        for (const path of args)
          for (const key of [...files.keys()])
            if (key === path || key.startsWith(`${path}/`)) files.delete(key);
      }
    },
    remove: async () => {
      calls.push("remove");
      files.clear();
    },
  };
}

const engine = (apiVersion: string) => ({
  version: async () => ({ version: "x", apiVersion, arch: "amd64" }),
});
const grant = (source: string, target = `/run/secrets/${source}`) => ({
  source,
  target,
  uid: 1000,
  gid: 1001,
  mode: 0o400,
});
const values = (tag: string) =>
  new Map([
    ["a", new SecretValue(Buffer.from(`a-${tag}`))],
    ["b", new SecretValue(Buffer.from(`b-${tag}`))],
  ]);

describe("engine-side store", () => {
  it("a rotation of two services is one upload and one rename; bytes and owners as the local layout", async () => {
    const holder = fakeHolder();
    const store = new EngineSideStore(holder, engine("1.41"));
    const web = makeService("web", { secrets: [grant("a"), grant("b")] });
    const api = makeService("api", { secrets: [grant("a")] });
    const first = await ProjectMaterial.open(store);
    await first.deliverAll([web, api], values("one"), new Map(), new Set());
    expect(holder.files.get("services/web/b")).toMatchObject({ uid: 1000, gid: 1001, mode: 0o400 });
    expect(holder.files.get("services/web/b")!.bytes.toString()).toBe("b-one");
    expect(holder.files.get("services/api/a")!.bytes.toString()).toBe("a-one");

    holder.calls.length = 0;
    const peeked = await ProjectMaterial.peek(store);
    expect(peeked.compare(web, values("two")).changedLive).toEqual(["/run/secrets/a", "/run/secrets/b"]);
    expect(peeked.compare(web, values("one")).changedLive).toEqual([]);
    const again = await ProjectMaterial.open(store);
    holder.calls.length = 0;
    await again.deliverAll([web, api], values("two"), new Map(), new Set());
    expect(holder.calls.filter((call) => call.startsWith("stage"))).toEqual(["stage 4"]);
    expect(holder.calls.filter((call) => call.startsWith("mv"))).toEqual(["mv 4"]);
    expect(holder.calls.filter((call) => call.startsWith("rm"))).toEqual([]);
    expect(holder.files.get("services/web/a")!.bytes.toString()).toBe("a-two");
    expect([...holder.files.keys()].filter((path) => path.startsWith(".staging/"))).toEqual([]);
  });

  it("a dropped secret and a removed service go with one rm; the values to mask leave configs out", async () => {
    const holder = fakeHolder();
    const store = new EngineSideStore(holder, engine("1.41"));
    const material = await ProjectMaterial.open(store);
    const configs = new Map([["c", new SecretValue(Buffer.from("config-value"))]]);
    await material.deliverAll(
      [
        makeService("web", {
          secrets: [grant("a"), grant("b")],
          configs: [grant("c", "/run/secrets/c.conf")],
        }),
        makeService("api", { secrets: [grant("a")] }),
      ],
      values("one"),
      configs,
      new Set(),
    );
    expect((await store.values()).map(String).sort()).toEqual(["a-one", "a-one", "b-one"]);
    holder.calls.length = 0;
    await material.deliverAll(
      [makeService("web", { secrets: [grant("a")] })],
      values("one"),
      new Map(),
      new Set(),
    );
    expect(holder.calls.filter((call) => call.startsWith("rm"))).toEqual(["rm 4"]);
    expect([...holder.files.keys()].filter((path) => !path.startsWith(".")).sort()).toEqual([
      "services/web/a",
    ]);
  });

  it("opening empties staging only when a killed run left files there (an exec saved per rotation)", async () => {
    const holder = fakeHolder();
    const store = new EngineSideStore(holder, engine("1.41"));
    const web = makeService("web", { secrets: [grant("a")] });
    await (await ProjectMaterial.open(store)).deliverAll([web], values("one"));
    holder.calls.length = 0;
    await ProjectMaterial.open(store);
    expect(holder.calls.filter((call) => call.startsWith("rm"))).toEqual([]);

    // A run killed between its upload and its rename left a staged file.
    await holder.stage(".staging", [{ path: "left", bytes: Buffer.from("x"), uid: 0, gid: 0, mode: 0o400 }]);
    holder.calls.length = 0;
    await ProjectMaterial.open(store);
    expect(holder.calls.filter((call) => call.startsWith("rm"))).toEqual(["rm 1"]);
    expect([...holder.files.keys()].filter((path) => path.startsWith(".staging/"))).toEqual([]);
  });

  it("a holder that does not run holds nothing: everything is delivered anew", async () => {
    const holder = fakeHolder();
    const store = new EngineSideStore(holder, engine("1.41"));
    const web = makeService("web", { secrets: [grant("a")] });
    await (await ProjectMaterial.open(store)).deliverAll([web], values("one"));
    holder.inspect = async () => ({ volume: true, running: false });
    expect((await ProjectMaterial.peek(store)).compare(web, values("one")).firstDelivery).toBe(true);
  });
});

describe("engine-side mounts", () => {
  const where = {
    volume: "composec-secrets.demo",
    mountpoint: "/var/lib/docker/volumes/composec-secrets.demo/_data",
  };
  const files = [{ path: "files/web/0123abcd", target: "/etc/app/key.pem" }];

  it("before API 1.45: read-only binds of the service's own sub-directory and files under the Mountpoint", () => {
    const mounts = engineSideMounts({ ...where, apiVersion: "1.41" }, "services/web", files);
    expect(mounts).toEqual([
      { type: "bind", source: `${where.mountpoint}/services/web`, target: "/run/secrets" },
      { type: "bind", source: `${where.mountpoint}/files/web/0123abcd`, target: "/etc/app/key.pem" },
    ]);
    expect(secretMount(mounts[0]!)).toEqual({
      Type: "bind",
      Source: `${where.mountpoint}/services/web`,
      Target: "/run/secrets",
      ReadOnly: true,
    });
  });

  it("from API 1.45: volume sub-paths of the project's volume, read-only", () => {
    const mounts = engineSideMounts({ ...where, apiVersion: "1.45" }, "services/web", files);
    expect(mounts.map(secretMount)).toEqual([
      {
        Type: "volume",
        Source: "composec-secrets.demo",
        Target: "/run/secrets",
        ReadOnly: true,
        VolumeOptions: { Subpath: "services/web" },
      },
      {
        Type: "volume",
        Source: "composec-secrets.demo",
        Target: "/etc/app/key.pem",
        ReadOnly: true,
        VolumeOptions: { Subpath: "files/web/0123abcd" },
      },
    ]);
    expect(engineSideMounts({ ...where, apiVersion: "1.48" }, undefined, [])).toEqual([]);
  });
});
