// Intent: rotation is fast. The median time from starting `up` on a changed secret to the new
// bytes readable in the running container is measured and held under a bound, on both delivery
// paths. Its own file so that it runs alone (vitest.config.ts: integration-serial): a test file
// running beside it would measure the machine's load, not composec.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { docker } from "./helpers.js";
import { cliOk, identity, randomValue, sha256, spawnCli, trackProjects } from "./secrets-helpers.js";
import { onEachDeliveryPath } from "./delivery-paths.js";
import { startRotationProject } from "./rotation-project.js";

const project = trackProjects();
const rotationProject = (prefix: string) => startRotationProject(project, prefix);

onEachDeliveryPath((via) => {
  const medianOf = (samples: number[]): number =>
    [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

  describe("rotation latency", () => {
    // From starting `up` on a changed secret to the new bytes readable inside the container (read
    // through /proc/<pid>/root, the container's own view of its mounts), over 5 rotations.
    it("the median time from up to new bytes in the container is recorded", async () => {
      const p = await rotationProject("rot-speed");
      const file = path.join(p.dir, "secret.txt");
      const pid = (await docker.getContainer(p.app).inspect()).State.Pid;
      const inside = `/proc/${pid}/root/run/secrets/from_file`;
      const before = await identity(p.app);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const next = randomValue(`rot-speed-${i}`);
        const want = sha256(next);
        await writeFile(file, next);
        const start = performance.now();
        const child = spawnCli(["-p", p.name, "up", "-d"], p.dir, { ROTATE_SECRET: p.values.env });
        const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
        let seen: number | undefined;
        while (seen === undefined && performance.now() - start < 10_000) {
          const bytes = await readFile(inside).catch(() => undefined);
          if (bytes && sha256(bytes) === want) seen = performance.now() - start;
          else await new Promise((resolve) => setTimeout(resolve, 2));
        }
        expect(await exited).toBe(0);
        expect(seen, `rotation ${i} never became visible`).toBeDefined();
        samples.push(seen!);
      }
      expect(await identity(p.app)).toEqual(before);
      // For context: how long the CLI takes to start and exit at all on this machine right now.
      const floor: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await cliOk(["--version"]);
        floor.push(performance.now() - start);
      }
      const median = medianOf(samples);
      console.log(
        `rotation latency (up start -> new bytes in the container): median ${median.toFixed(0)} ms; samples ${samples
          .map((s) => s.toFixed(0))
          .join(", ")} ms; \`composec --version\` alone: median ${medianOf(floor).toFixed(0)} ms`,
      );
      // The targets are a median under 300 ms locally and 500 ms engine-side; a loaded CI machine gets
      // some slack here. The engine-side path adds an inspect and, over one attach to the holder, a
      // META, the STAGE frames and one COMMIT to the local path's work (no process started on the
      // engine); its figures are recorded by the benchmark (bench/results/engine-side.md).
      expect(median).toBeLessThan(via === "engine" ? 1500 : 1000);
    });
  });
});
