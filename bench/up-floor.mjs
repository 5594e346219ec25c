// The floor for bench/up-bench.mjs and bench/scale-bench.mjs: what `up -d` and `down` cost when
// done straight through the Engine API with nothing else — the same network and containers
// composec makes, created and started all in parallel; for down, every container stopped and
// removed in parallel, then the network; for down -t 0, one forced remove per container in
// parallel, then the network. Labels as Compose sets them, so the bench can clean up any run by
// project. With SECRETS_DIR and K, each service svc-NNN also gets its K secret files
// (SECRETS_DIR/svc-NNN-sJ.txt) bind-mounted read-only at /run/secrets/svc-NNN-sJ: the least any
// tool must do to hand a container its file secrets.
//
//   node bench/up-floor.mjs up PROJECT N IMAGE [SECRETS_DIR K]
//   node bench/up-floor.mjs down PROJECT
//   node bench/up-floor.mjs down-forced PROJECT
import path from "node:path";
import process from "node:process";
import Docker from "dockerode";
import { floorDown, floorForcedDown, PROJECT_LABEL } from "./floor-down.mjs";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const [command, project, count, image, secretsDir, perService] = process.argv.slice(2);

if (command === "up") {
  const n = Number(count);
  const k = Number(perService ?? 0);
  const width = String(n).length;
  const network = `${project}_default`;
  await docker.createNetwork({ Name: network, CheckDuplicate: true, Labels: { [PROJECT_LABEL]: project } });
  await Promise.all(
    Array.from({ length: n }, async (_, index) => {
      const service = `svc-${String(index + 1).padStart(width, "0")}`;
      const name = `${project}-${service}-1`;
      const mounts = Array.from({ length: k }, (_, j) => ({
        Type: "bind",
        Source: path.join(secretsDir, `${service}-s${j + 1}.txt`),
        Target: `/run/secrets/${service}-s${j + 1}`,
        ReadOnly: true,
      }));
      const container = await docker.createContainer({
        name,
        Image: image,
        Cmd: ["sleep", "3600"],
        Labels: { [PROJECT_LABEL]: project, "com.docker.compose.service": service },
        HostConfig: { NetworkMode: network, Init: true, ...(k > 0 ? { Mounts: mounts } : {}) },
        NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [name, service] } } },
      });
      await container.start();
    }),
  );
} else if (command === "down") {
  await floorDown(docker, project);
} else if (command === "down-forced") {
  await floorForcedDown(docker, project);
} else {
  console.error(
    "usage: up-floor.mjs up PROJECT N IMAGE [SECRETS_DIR K] | down PROJECT | down-forced PROJECT",
  );
  process.exit(2);
}
