// The engine-side store over a fake holder that counts its calls: a delivery is one look and one
// delivery (stage, then one commit over the attach; no exec) however many services change, the
// bytes and owners land where the local layout puts them, and a service's mounts are its own
// sub-directory only (bind of the volume's Mountpoint before API 1.45, a volume sub-path from 1.45 on).
import { describe, expect, it } from "vitest";
import { makeService } from "../model/project-builder.js";
import { SecretValue } from "../secrets/secret-value.js";
import { EngineSideStore, engineSideMounts } from "./engine-store.js";
import { type HolderOp, type MaterialHolder, type StagedFile } from "./holder/holder.js";
import { ProjectMaterial } from "./material.js";
import { secretMount } from "../engine/container-spec.js";

interface Entry {
  bytes: Buffer;
  uid: number;
  gid: number;
  mode: number;
}

/** An in-memory holder: files by path relative to the volume root, and every call counted. */
function fakeHolder(): MaterialHolder & { files: Map<string, Entry>; calls: string[]; running: boolean } {
  const files = new Map<string, Entry>();
  const calls: string[] = [];
  const mountpoint = "/var/lib/docker/volumes/composec-secrets.demo/_data";
  const META = [".meta/key", ".meta/digests.json", ".meta/configs.json"];
  const holder = {
    volume: "composec-secrets.demo",
    files,
    calls,
    running: false,
    inspect: async () => {
      calls.push("inspect");
      return { volume: true, running: holder.running, mountpoint };
    },
    ensure: async () => {
      calls.push("ensure");
      const fresh = !holder.running;
      if (fresh) files.clear();
      holder.running = true;
      return { mountpoint, fresh };
    },
    glance: async () => {
      calls.push("glance");
      if (!holder.running) return { ready: false, running: false, files: new Map(), paths: [] };
      const meta = new Map(
        [...files].filter(([path]) => META.includes(path)).map(([path, e]) => [path, e.bytes]),
      );
      const paths = [...files.keys()].filter((path) => !META.includes(path));
      return { ready: true, running: true, mountpoint, files: meta, paths };
    },
    deliver: async (_dirs: string[], staged: StagedFile[], ops: HolderOp[]) => {
      const count = (op: string) => ops.filter((o) => o.op === op).length;
      calls.push(`deliver ${staged.length} files, rm ${count("rm")}, mv ${count("mv")}`);
      for (const file of staged) files.set(`.meta/staging/${file.name}`, { ...file });
      for (const op of ops) {
        if (op.op === "mv") {
          const entry = files.get(op.from)!;
          files.delete(op.from);
          files.set(op.to, entry);
        } else {
          for (const key of [...files.keys()])
            if (key === op.path || key.startsWith(`${op.path}/`)) files.delete(key);
        }
      }
    },
    values: async () => {
      calls.push("values");
      return new Map(
        [...files]
          .filter(([path]) => path === ".meta/configs.json" || /^(services|files)\//.test(path))
          .map(([path, e]) => [path, e.bytes]),
      );
    },
    stamp: async (path: string) => {
      calls.push(`stamp ${path}`);
      return String(calls.length);
    },
    close: () => undefined,
    remove: async () => {
      calls.push("remove");
      files.clear();
      holder.running = false;
    },
  };
  return holder;
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
  it("a rotation of two services is one look and one delivery, no exec; bytes and owners as the local layout", async () => {
    const holder = fakeHolder();
    const store = new EngineSideStore(holder, engine("1.41"));
    const web = makeService("web", { secrets: [grant("a"), grant("b")] });
    const api = makeService("api", { secrets: [grant("a")] });
    const first = await ProjectMaterial.open(store);
    await first.deliverAll([web, api], values("one"), new Map(), new Set());
    expect(holder.files.get("services/web/b")).toMatchObject({ uid: 1000, gid: 1001, mode: 0o400 });
    expect(holder.files.get("services/web/b")!.bytes.toString()).toBe("b-one");
    expect(holder.files.get("services/api/a")!.bytes.toString()).toBe("a-one");
    expect(holder.files.get(".meta/key")!.bytes.length).toBe(32);

    // A new command: a peek, then an open, then the delivery.
    const again = new EngineSideStore(holder, engine("1.41"));
    holder.calls.length = 0;
    const peeked = await ProjectMaterial.peek(again);
    expect(peeked.compare(web, values("two")).changedLive).toEqual(["/run/secrets/a", "/run/secrets/b"]);
    expect(peeked.compare(web, values("one")).changedLive).toEqual([]);
    const writable = await ProjectMaterial.open(again);
    await writable.deliverAll([web, api], values("two"), new Map(), new Set());
    // The open reuses the peek's look and skips ensure: the holder was seen ready.
    expect(holder.calls).toEqual(["glance", "deliver 4 files, rm 0, mv 4"]);
    expect(holder.files.get("services/web/a")!.bytes.toString()).toBe("a-two");
    expect([...holder.files.keys()].filter((path) => path.startsWith(".meta/staging/"))).toEqual([]);
    expect(again.mounts("web", "services/web", [])).toEqual([
      {
        type: "bind",
        source: "/var/lib/docker/volumes/composec-secrets.demo/_data/services/web",
        target: "/run/secrets",
      },
    ]);
  });

  it("a dropped secret and a removed service go in the same delivery; the values to mask leave configs out", async () => {
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
    expect(holder.files.get(".meta/configs.json")).toBeDefined();
    expect((await store.values()).map(String).sort()).toEqual(["a-one", "a-one", "b-one"]);
    holder.calls.length = 0;
    await material.deliverAll(
      [makeService("web", { secrets: [grant("a")] })],
      values("one"),
      new Map(),
      new Set(),
    );
    expect(holder.calls.filter((call) => call.startsWith("deliver"))).toEqual([
      "deliver 2 files, rm 4, mv 2",
    ]);
    expect([...holder.files.keys()].filter((path) => !path.startsWith(".")).sort()).toEqual([
      "services/web/a",
    ]);
  });

  it("what a killed run left in staging goes with the next delivery; missing() is what the listing lacks", async () => {
    const holder = fakeHolder();
    const web = makeService("web", { secrets: [grant("a")] });
    await (
      await ProjectMaterial.open(new EngineSideStore(holder, engine("1.41")))
    ).deliverAll([web], values("one"));

    // Killed during a delivery: a staged value left.
    holder.files.set(".meta/staging/left", { bytes: Buffer.from("x"), uid: 0, gid: 0, mode: 0o600 });
    holder.calls.length = 0;
    const store = new EngineSideStore(holder, engine("1.41"));
    await (await ProjectMaterial.open(store)).deliverAll([web], values("two"));
    expect(holder.calls).toEqual(["glance", "deliver 2 files, rm 1, mv 2"]);
    expect([...holder.files.keys()].filter((path) => path.startsWith(".meta/staging/"))).toEqual([]);
    expect(holder.files.get("services/web/a")!.bytes.toString()).toBe("a-two");

    // A file gone from the volume (while the digests still name it) is delivered again.
    holder.files.delete("services/web/a");
    const after = new EngineSideStore(holder, engine("1.41"));
    expect([...(await after.missing(["services/web/a"]))]).toEqual(["services/web/a"]);
    expect(await after.listServices()).toEqual([]);
    await (await ProjectMaterial.open(after)).deliverAll([web], values("two"));
    expect(holder.files.get("services/web/a")!.bytes.toString()).toBe("a-two");
    expect(await new EngineSideStore(holder, engine("1.41")).listServices()).toEqual(["web"]);
  });

  it("a holder that does not run holds nothing: everything is delivered anew, after an ensure", async () => {
    const holder = fakeHolder();
    const web = makeService("web", { secrets: [grant("a")] });
    await (
      await ProjectMaterial.open(new EngineSideStore(holder, engine("1.41")))
    ).deliverAll([web], values("one"));
    holder.running = false;
    holder.calls.length = 0;
    const store = new EngineSideStore(holder, engine("1.41"));
    expect((await ProjectMaterial.peek(store)).compare(web, values("one")).firstDelivery).toBe(true);
    await ProjectMaterial.open(store);
    expect(holder.calls).toEqual(["glance", "ensure", "deliver 1 files, rm 0, mv 1"]);
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
