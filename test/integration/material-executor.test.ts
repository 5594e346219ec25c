// Intent: the materialize executor observes what is in place (keyed digests, no values), and the
// material steps of a plan (DeliverSecrets, RemoveMaterial, CommitMaterial) carried out through it
// leave exactly what the secrets plan said, on a real tmpfs store.
import { createHash, randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MaterialExecutor } from "../../src/materialize/execute-material.js";
import { LocalTmpfsStore } from "../../src/materialize/local-store.js";
import { ensureTmpfs, removeTmpfs } from "../../src/materialize/tmpfs.js";
import { makeProject, makeService } from "../../src/model/project-builder.js";
import type { Service } from "../../src/model/project.js";
import { planSecrets } from "../../src/plan/secrets-plan.js";
import type { MaterialOperation } from "../../src/plan/types.js";
import { SecretValue } from "../../src/secrets/secret-value.js";

const location = { root: "/run/composec-test", mountPerProject: true };
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await removeTmpfs(dir, location);
});

async function freshStore(): Promise<{ dir: string; store: LocalTmpfsStore }> {
  const dir = join(location.root, `x-${randomBytes(4).toString("hex")}`);
  dirs.push(dir);
  await ensureTmpfs(dir, location);
  return { dir, store: new LocalTmpfsStore(dir, location) };
}

const web = makeService("web", {
  image: "x",
  secrets: [
    { source: "db", target: "/run/secrets/db", uid: 0, gid: 0, mode: 0o444 },
    { source: "db", target: "/etc/app/db", uid: 0, gid: 0, mode: 0o400 },
  ],
});
const api = makeService("api", {
  image: "x",
  secrets: [{ source: "db", target: "/run/secrets/db", uid: 0, gid: 0, mode: 0o444 }],
});

function executor(store: LocalTmpfsStore, services: Service[], value: string): MaterialExecutor {
  return new MaterialExecutor(
    store,
    services,
    new Map([["db", new SecretValue(Buffer.from(value))]]),
    new Map(),
  );
}

/** Plans `services` against what `material` observes, then carries out the plan's material steps. */
async function deliver(material: MaterialExecutor, services: Service[], keep?: Set<string>) {
  const project = makeProject("demo", services);
  const observed = await material.observe();
  const plan = planSecrets({
    project,
    selected: services.map((s) => s.name),
    fresh: material.fresh(),
    observed,
    keep,
  });
  const steps: MaterialOperation[] = [
    ...Object.entries(plan.services)
      .filter(([, s]) => s.reasons.length > 0)
      .map(([service, s]) => ({ type: "DeliverSecrets" as const, service, reasons: s.reasons })),
    ...plan.remove.map((service) => ({ type: "RemoveMaterial" as const, service })),
  ];
  for (const step of steps) await material.perform(step, steps);
  return { plan, observed, steps };
}

describe("the materialize executor", () => {
  it("observes nothing at first, delivers in one batch, then observes the same digests as fresh", async () => {
    const { dir, store } = await freshStore();
    const first = executor(store, [web, api], "one");
    const { plan, observed } = await deliver(first, [web, api]);
    expect(observed).toEqual({ delivered: {}, services: [] });
    expect(plan.services.web!.reasons).toEqual(["not delivered yet"]);
    expect(sha(await readFile(join(dir, "services/web/db")))).toBe(sha(Buffer.from("one")));
    expect(first.mounts("web", plan.services.web!.mounts).map((m) => m.target)).toEqual([
      "/run/secrets",
      "/etc/app/db",
    ]);

    const again = executor(store, [web, api], "one");
    const seen = await again.observe();
    expect(seen.services).toEqual(["api", "web"]);
    // The absolute target is only pending until a new container holds it (CommitMaterial).
    expect(Object.keys(seen.delivered.web ?? {})).toEqual(["/run/secrets/db"]);
    const fresh = again.fresh();
    expect(seen.delivered.api!["/run/secrets/db"]).toBe(fresh.api![0]!.digest);
    // No value is in what is observed: digests are keyed HMACs, not the bytes nor their plain hash.
    expect(JSON.stringify(seen)).not.toContain(sha(Buffer.from("one")));
    expect(JSON.stringify(seen)).not.toContain("one");
  });

  it("CommitMaterial records the absolute targets once new containers hold them", async () => {
    const { store } = await freshStore();
    const material = executor(store, [web], "one");
    await deliver(material, [web]);
    await material.perform({ type: "CommitMaterial", services: ["web"] }, []);
    const next = executor(store, [web], "one");
    const { plan } = await deliver(next, [web]);
    expect(plan.services.web!.reasons).toEqual([]);
    expect(plan.recreate).toEqual({});
  });

  it("a changed value is a reason; RemoveMaterial removes a service gone, in the same batch", async () => {
    const { dir, store } = await freshStore();
    await deliver(executor(store, [web, api], "one"), [web, api]);
    const changed = executor(store, [web], "two");
    const { plan, steps } = await deliver(changed, [web], new Set());
    // The absolute target was never committed (no container held it): not in place, as far as is known.
    expect(plan.services.web!.reasons).toEqual([
      "secret db changed",
      "secret db not in place at /etc/app/db",
    ]);
    expect(steps.map((s) => s.type)).toEqual(["DeliverSecrets", "RemoveMaterial"]);
    expect(sha(await readFile(join(dir, "services/web/db")))).toBe(sha(Buffer.from("two")));
    await expect(stat(join(dir, "services/api"))).rejects.toThrow();
    expect((await executor(store, [web], "two").observe()).services).toEqual(["web"]);
  });
});
