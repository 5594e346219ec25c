// Reproduces Engine 20.10's stale endpoint count (a network refused with "has active endpoints" after
// every container on it is gone) and measures what avoids or repairs it through the Engine API.
//
// Each trial: one bridge network and N busybox containers on it (created and started 16 at a time),
// then the containers removed with `--mode`, at most `--conc` removals in flight, then DELETE the
// network. When that is refused, GET /networks/{id} is recorded and the repair is tried: a forced
// disconnect of each removed container by name (`POST /networks/{id}/disconnect`), then DELETE again.
//
//   node bench/endpoint-repro.mjs --n 200 --conc 200 --mode force --trials 2
//   modes: force (one forced DELETE each), stop-rm (stop, then DELETE), disconnect-rm (forced
//   disconnect from the network, then a forced DELETE), disconnect-first (every container's forced
//   disconnect, at most --dconc in flight, then every forced DELETE, --conc in flight)
// Everything it creates carries the label io.composec.endpoint-repro and is removed at the end.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import Docker from "dockerode";

const LABEL = "io.composec.endpoint-repro";
const IMAGE = "composec-test/busybox:1";
const { values } = parseArgs({
  options: {
    n: { type: "string", default: "50" },
    conc: { type: "string", default: "200" },
    mode: { type: "string", default: "force" },
    // disconnect-first: at most this many forced disconnects in flight, before the removals
    dconc: { type: "string", default: "1" },
    trials: { type: "string", default: "1" },
    // Reads the engine's own count from its store (local engine, as root; a diagnostic only).
    kv: { type: "boolean", default: false },
  },
});
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

const KV = "/var/lib/docker/network/files/local-kv.db";

/**
 * libnetwork's stored endpoint count of network `id`: the newest `endpoint_count/<id>/` record in
 * its bolt file (each value is an 8-byte index, then JSON; old copies linger in freed pages).
 */
function storedCount(id) {
  if (!values.kv) return undefined;
  const file = readFileSync(KV).toString("latin1");
  const key = `endpoint_count/${id}/`;
  let best;
  for (let at = file.indexOf(key); at >= 0; at = file.indexOf(key, at + 1)) {
    const rest = file.slice(at + key.length, at + key.length + 40);
    const match = /^([\s\S]{8})\{"Count":(\d+)\}/.exec(rest);
    if (!match) continue;
    const index = Buffer.from(match[1], "latin1").readBigUInt64LE(0);
    if (best === undefined || index > best.index) best = { index, count: Number(match[2]) };
  }
  return best?.count;
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function pool(items, limit, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  });
  await Promise.all(workers);
}

async function trial(n, conc, mode) {
  const run = randomBytes(4).toString("hex");
  const labels = { [LABEL]: run };
  const netName = `epr-${run}`;
  const net = await docker.createNetwork({ Name: netName, Driver: "bridge", Labels: labels });
  const names = Array.from({ length: n }, (_, i) => `epr-${run}-${i}`);
  const t0 = performance.now();
  await pool(names, 16, async (name) => {
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Cmd: ["sleep", "3600"],
      Labels: labels,
      HostConfig: { NetworkMode: netName },
    });
    await c.start();
  });
  const upMs = performance.now() - t0;
  const countAfterUp = storedCount(net.id);
  const t1 = performance.now();
  if (mode === "disconnect-first") {
    await pool(names, Number(values.dconc), (name) => net.disconnect({ Container: name, Force: true }));
  }
  await pool(names, conc, async (name) => {
    const c = docker.getContainer(name);
    if (mode === "stop-rm") {
      await c.stop({ t: 0 }).catch(() => {});
      await c.remove();
    } else if (mode === "disconnect-rm") {
      await net.disconnect({ Container: name, Force: true });
      await c.remove({ force: true });
    } else {
      await c.remove({ force: true });
    }
  });
  const rmMs = performance.now() - t1;
  const result = { n, conc, mode, upMs: Math.round(upMs), rmMs: Math.round(rmMs), countAfterUp };
  result.countAfterRemoval = storedCount(net.id);
  result.refused = false;
  try {
    await net.remove();
  } catch (error) {
    result.refused = true;
    result.error = String(error.json?.message ?? error.message);
    const info = await net.inspect();
    result.containers = Object.entries(info.Containers ?? {}).map(([k, v]) => `${k.slice(0, 15)}=${v.Name}`);
    const t2 = performance.now();
    const outcomes = {};
    await pool(names, 8, async (name) => {
      try {
        await net.disconnect({ Container: name, Force: true });
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch (e) {
        const key = String(e.json?.message ?? e.message).replace(/epr-\S+/g, "<name>");
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    });
    result.disconnects = outcomes;
    try {
      await net.remove();
      result.repaired = true;
    } catch (e) {
      result.repaired = false;
      result.afterRepair = String(e.json?.message ?? e.message);
    }
    result.repairMs = Math.round(performance.now() - t2);
  }
  return result;
}

async function cleanup() {
  const filters = { label: [LABEL] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch((e) => console.log(`left network ${n.Name}: ${e.message}`));
  }
}

try {
  for (let i = 0; i < Number(values.trials); i++) {
    const r = await trial(Number(values.n), Number(values.conc), values.mode);
    console.log(JSON.stringify(r));
  }
} finally {
  await cleanup();
}
