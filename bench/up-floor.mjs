// The floor for bench/up-bench.mjs: what `up -d` and `down` cost when done straight through the
// Engine API with nothing else — the same network and containers composec makes, created and
// started all in parallel; for down, every container stopped and removed in parallel, then the
// network; for down -t 0, one forced remove per container in parallel, then the network. Labels as
// Compose sets them, so the bench can clean up any run by project.
//
//   node bench/up-floor.mjs up PROJECT N IMAGE
//   node bench/up-floor.mjs down PROJECT
//   node bench/up-floor.mjs down-forced PROJECT
import process from "node:process";
import Docker from "dockerode";
import { floorDown, floorForcedDown, PROJECT_LABEL } from "./floor-down.mjs";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const [command, project, count, image] = process.argv.slice(2);

if (command === "up") {
  const n = Number(count);
  const width = String(n).length;
  const network = `${project}_default`;
  await docker.createNetwork({ Name: network, CheckDuplicate: true, Labels: { [PROJECT_LABEL]: project } });
  await Promise.all(
    Array.from({ length: n }, async (_, index) => {
      const service = `svc-${String(index + 1).padStart(width, "0")}`;
      const name = `${project}-${service}-1`;
      const container = await docker.createContainer({
        name,
        Image: image,
        Cmd: ["sleep", "3600"],
        Labels: { [PROJECT_LABEL]: project, "com.docker.compose.service": service },
        HostConfig: { NetworkMode: network, Init: true },
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
  console.error("usage: up-floor.mjs up PROJECT N IMAGE | down PROJECT | down-forced PROJECT");
  process.exit(2);
}
