// Intent: the secret material on the project's tmpfs holds exact bytes with the owner and mode
// asked for, changes atomically, tells what changed by keyed digest, and vanishes completely.
import { createHash, randomBytes } from "node:crypto";
import { readFile, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryWatch, deliveredValuesSync, LocalTmpfsStore } from "../../src/materialize/local-store.js";
import { ProjectMaterial } from "../../src/materialize/material.js";
import { ensureTmpfs, removeTmpfs } from "../../src/materialize/tmpfs.js";
import { makeService } from "../../src/model/project-builder.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

const location = { root: "/run/composec-test", mountPerProject: true };
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await removeTmpfs(dir, location);
});

const local = (dir: string) => new LocalTmpfsStore(dir, location);

async function freshDir(): Promise<string> {
  const dir = join(location.root, `t-${randomBytes(4).toString("hex")}`);
  dirs.push(dir);
  await ensureTmpfs(dir, location);
  return dir;
}

describe("project material", () => {
  it("lives on a tmpfs of its own and is gone after removal", async () => {
    const dir = await freshDir();
    expect((await statfs(dir)).type).toBe(0x01021994);
    await removeTmpfs(dir, location);
    await expect(stat(dir)).rejects.toThrow();
  });

  it("delivers exact bytes with uid, gid and mode, relative, nested and absolute", async () => {
    const dir = await freshDir();
    const material = await ProjectMaterial.open(local(dir));
    const binary = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0]);
    const values = new Map([
      ["bin", new SecretValue(Buffer.from(binary))],
      ["empty", new SecretValue(Buffer.alloc(0))],
    ]);
    const service = makeService("web", {
      image: "x",
      secrets: [
        { source: "bin", target: "/run/secrets/bin", uid: 1000, gid: 1001, mode: 0o400 },
        { source: "empty", target: "/run/secrets/nested/dir/empty", uid: 0, gid: 0, mode: 0o444 },
        { source: "bin", target: "/etc/app/token", uid: 0, gid: 0, mode: 0o440 },
      ],
    });
    const before = material.compare(service, values);
    expect(before.firstDelivery).toBe(true);
    expect(before.changedLive.sort()).toEqual(["/run/secrets/bin", "/run/secrets/nested/dir/empty"]);
    expect(before.changedAbsolute).toEqual(["/etc/app/token"]);
    const mounts = material.mounts(service);
    expect(mounts.map((m) => m.target)).toEqual(["/run/secrets", "/etc/app/token"]);
    await material.deliver(service, values);
    // The absolute target's digest counts once a container made anew holds it (up commits it).
    await material.commitReplaced(["web"]);

    const file = join(dir, "services/web/bin");
    expect(sha(await readFile(file))).toBe(sha(binary));
    const info = await stat(file);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([1000, 1001, 0o400]);
    expect((await readFile(join(dir, "services/web/nested/dir/empty"))).length).toBe(0);
    expect((await stat(join(dir, "services/web/nested"))).mode & 0o777).toBe(0o755);
    const absolute = (mounts[1] as { source: string }).source;
    expect(sha(await readFile(absolute))).toBe(sha(binary));
    expect((await stat(absolute)).mode & 0o777).toBe(0o440);

    // Reopened (the next `up`), nothing changed.
    const again = await ProjectMaterial.open(local(dir));
    const same = again.compare(service, values);
    expect([same.firstDelivery, same.changedLive, same.changedAbsolute]).toEqual([false, [], []]);

    // A new value: the live file is replaced by rename (a new inode), the absolute one flagged.
    const rotated = new Map(values).set("bin", new SecretValue(Buffer.from("rotated")));
    const changes = again.compare(service, rotated);
    expect(changes.changedLive).toEqual(["/run/secrets/bin"]);
    expect(changes.changedAbsolute).toEqual(["/etc/app/token"]);
    const inode = (await stat(file)).ino;
    await again.deliver(service, rotated);
    // Until the container is replaced, the absolute target still counts as changed.
    expect((await ProjectMaterial.open(local(dir))).compare(service, rotated).changedAbsolute).toEqual([
      "/etc/app/token",
    ]);
    expect(sha(await readFile(file))).toBe(sha(Buffer.from("rotated")));
    expect((await stat(file)).ino).not.toBe(inode);
  });

  it("keeps no plain hash of a secret: digests are keyed", async () => {
    const dir = await freshDir();
    const material = await ProjectMaterial.open(local(dir));
    const value = Buffer.from("a-recognisable-value");
    const service = makeService("db", {
      image: "x",
      secrets: [{ source: "s", target: "/run/secrets/s", uid: 0, gid: 0, mode: 0o444 }],
    });
    await material.deliver(service, new Map([["s", new SecretValue(Buffer.from(value))]]));
    const digests = await readFile(join(dir, ".digests.json"), "utf8");
    expect(digests.includes(sha(value))).toBe(false);
    expect(digests.includes(value.toString())).toBe(false);
    expect((await stat(join(dir, ".digests.json"))).mode & 0o777).toBe(0o600);
  });

  it("a delivery watch sees each value put in place with one stat, and nothing when nothing changed", async () => {
    const dir = await freshDir();
    const material = await ProjectMaterial.open(local(dir));
    const watch = new DeliveryWatch(dir);
    expect(watch.look().changed).toBe(true);
    expect(watch.look().changed).toBe(false);
    const grant = { source: "a", target: "/run/secrets/a", uid: 0, gid: 0, mode: 0o444 };
    const web = makeService("web", { image: "x", secrets: [grant] });
    // Directory times are as coarse as the kernel's clock tick: each change here comes a tick later.
    const nextTick = () => new Promise((resolve) => setTimeout(resolve, 20));
    await nextTick();
    await material.deliver(web, new Map([["a", new SecretValue(Buffer.from("one-value"))]]));
    expect(watch.look().changed).toBe(true);
    expect(watch.look().changed).toBe(false);
    await nextTick();
    await material.deliver(web, new Map([["a", new SecretValue(Buffer.from("two-value"))]]));
    expect(watch.look().changed).toBe(true);
  });

  it("configs travel beside secrets but are left out of the values to mask, also when a target changes kind", async () => {
    const dir = await freshDir();
    const material = await ProjectMaterial.open(local(dir));
    const secrets = new Map([["s", new SecretValue(Buffer.from("secret-value"))]]);
    const configs = new Map([["c", new SecretValue(Buffer.from("config-value"))]]);
    const at = (source: string, target: string) => ({ source, target, uid: 0, gid: 0, mode: 0o444 });
    const web = makeService("web", {
      image: "x",
      secrets: [at("s", "/run/secrets/s")],
      configs: [at("c", "/run/secrets/c.conf"), at("c", "/etc/c.conf")],
    });
    expect(material.mounts(web).map((m) => m.target)).toEqual(["/run/secrets", "/etc/c.conf"]);
    await material.deliver(web, secrets, configs);
    expect((await readFile(join(dir, "services/web/c.conf"))).toString()).toBe("config-value");
    expect(deliveredValuesSync(dir).map((b) => b.toString())).toEqual(["secret-value"]);
    // The same target now a secret: its bytes are masked from then on.
    const swapped = makeService("web", { image: "x", secrets: [at("s", "/run/secrets/c.conf")] });
    await material.deliver(swapped, secrets, new Map());
    expect(deliveredValuesSync(dir).map((b) => b.toString())).toEqual(["secret-value"]);
    expect((await readFile(join(dir, ".configs.json"), "utf8")).includes("c.conf")).toBe(false);
  });

  it("removes files of secrets a service no longer lists, and services gone from the project", async () => {
    const dir = await freshDir();
    const material = await ProjectMaterial.open(local(dir));
    const values = new Map([
      ["a", new SecretValue(Buffer.from("aaaa"))],
      ["b", new SecretValue(Buffer.from("bbbb"))],
    ]);
    const grant = (source: string) => ({
      source,
      target: `/run/secrets/${source}`,
      uid: 0,
      gid: 0,
      mode: 0o444,
    });
    await material.deliver(makeService("web", { image: "x", secrets: [grant("a"), grant("b")] }), values);
    await material.deliver(makeService("api", { image: "x", secrets: [grant("a")] }), values);
    await material.deliver(makeService("web", { image: "x", secrets: [grant("a")] }), values);
    await expect(stat(join(dir, "services/web/b"))).rejects.toThrow();
    await material.removeServicesExcept(new Set(["web"]));
    await expect(stat(join(dir, "services/api"))).rejects.toThrow();
    expect(deliveredValuesSync(dir).map((b) => b.toString())).toEqual(["aaaa"]);
  });
});
