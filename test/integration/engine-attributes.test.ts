// Intent: the core service attributes do in a running container what Compose makes them do, seen
// from inside the container (its own output) or from the host, through the built CLI; and the
// faults users meet (a port in use, a health check that never passes) fail clearly and leave a
// state that `down` cleans.
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cleanupTempProjects,
  cli,
  demux,
  docker,
  images,
  removeProjectResources,
  tempProject,
  uniqueProjectName,
  waitFor,
} from "./helpers.js";

const LABEL = "com.docker.compose.project";
let name: string;
beforeEach(async () => {
  name = uniqueProjectName("attr");
  await removeProjectResources(name);
});
afterEach(async () => {
  await removeProjectResources(name);
  await cleanupTempProjects();
});

async function upOk(dir: string, ...args: string[]): Promise<string> {
  const result = await cli(["-p", name, "up", "-d", ...args], { cwd: dir });
  if (result.code !== 0) throw new Error(`up failed (${result.code}):\n${result.stderr}`);
  return result.stderr;
}

/** Waits for a one-shot container to exit and returns its exit code and output. */
async function outputOf(container: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const handle = docker.getContainer(container);
  const { StatusCode } = (await handle.wait()) as { StatusCode: number };
  const logs = await handle.logs({ stdout: true, stderr: true, follow: false });
  return { code: StatusCode, ...demux(logs) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function httpStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("service attributes in a running container", () => {
  it("command, entrypoint, environment, user, working_dir, hostname and domainname", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  probe:
    image: ${images.busybox}
    entrypoint: ["/bin/sh", "-c"]
    # $$ keeps a $ from Compose's interpolation, for the container's shell.
    command: ['echo "uid=$$(id -u) gid=$$(id -g) pwd=$$(pwd) host=$$(hostname) greeting=$$GREETING empty=[$$EMPTY]"']
    environment:
      GREETING: hello world
      EMPTY: ""
    user: "1000:1000"
    working_dir: /tmp
    hostname: probe-host
    domainname: example.org
`,
    });
    await upOk(dir);
    const result = await outputOf(`${name}-probe-1`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "uid=1000 gid=1000 pwd=/tmp host=probe-host greeting=hello world empty=[]",
    );
    const info = await docker.getContainer(`${name}-probe-1`).inspect();
    expect(info.Config.Domainname).toBe("example.org");
  });

  it("volumes: a bind mount (made if missing), a named volume shared across services, tmpfs, read_only", async () => {
    const dir = await tempProject({ "site/index.txt": "from the host\n" });
    await writeFile(
      path.join(dir, "compose.yaml"),
      `
services:
  writer:
    image: ${images.busybox}
    command: ["sh", "-c", "cat /site/index.txt > /data/copied && echo written > /out/made-by-container"]
    volumes:
      - ./site:/site:ro
      - ./out:/out
      - data:/data
  reader:
    image: ${images.busybox}
    read_only: true
    depends_on:
      writer:
        condition: service_completed_successfully
    command: ["sh", "-c", "cat /data/copied; grep ' /scratch ' /proc/mounts | cut -d' ' -f3; touch /nope 2>/dev/null || echo read-only-root; echo ok > /scratch/x && cat /scratch/x"]
    volumes:
      - type: volume
        source: data
        target: /data
        read_only: true
    tmpfs:
      - /scratch
volumes:
  data:
`,
    );
    await upOk(dir);
    const reader = await outputOf(`${name}-reader-1`);
    expect(reader.stdout).toBe("from the host\ntmpfs\nread-only-root\nok\n");
    expect(await readFile(path.join(dir, "out/made-by-container"), "utf8")).toBe("written\n");
    const volume = await docker.getVolume(`${name}_data`).inspect();
    expect(volume.Labels).toMatchObject({ [LABEL]: name, "com.docker.compose.volume": "data" });

    // down keeps named volumes; down -v removes them.
    expect((await cli(["-p", name, "down"], { cwd: dir })).code).toBe(0);
    expect((await docker.getVolume(`${name}_data`).inspect()).Name).toBe(`${name}_data`);
    const withVolumes = await cli(["-p", name, "down", "-v"], { cwd: dir });
    expect(withVolumes.code).toBe(0);
    expect(withVolumes.stderr).toContain(`Volume ${name}_data  Removed`);
    await expect(docker.getVolume(`${name}_data`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("networks: named networks with aliases, the default network, and isolation between them", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  server:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    networks:
      back:
        aliases: [database]
      front: {}
  client:
    image: ${images.busybox}
    depends_on: [server]
    networks: [back]
    command: ["sh", "-c", "ping -c 1 -W 2 database >/dev/null && echo alias-ok; ping -c 1 -W 2 server >/dev/null && echo service-ok"]
  outsider:
    image: ${images.busybox}
    depends_on: [server]
    command: ["sh", "-c", "ping -c 1 -W 2 database >/dev/null 2>&1 && echo reachable || echo isolated"]
networks:
  back:
  front:
`,
    });
    await upOk(dir);
    expect((await outputOf(`${name}-client-1`)).stdout).toBe("alias-ok\nservice-ok\n");
    expect((await outputOf(`${name}-outsider-1`)).stdout).toBe("isolated\n");
    const server = await docker.getContainer(`${name}-server-1`).inspect();
    expect(Object.keys(server.NetworkSettings.Networks).sort()).toEqual([`${name}_back`, `${name}_front`]);
  });

  it("ports are published on the host address given; restart and labels are set", async () => {
    const port = await freePort();
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ["httpd", "-f", "-p", "8080"]
    ports:
      - "127.0.0.1:${port}:8080"
    restart: unless-stopped
    labels:
      app.tier: frontend
`,
    });
    await upOk(dir);
    expect(await httpStatus(port)).toBeGreaterThanOrEqual(200);
    const info = await docker.getContainer(`${name}-web-1`).inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(info.Config.Labels["app.tier"]).toBe("frontend");
    const ps = await cli(["-p", name, "ps"], { cwd: dir });
    expect(ps.stdout).toContain(`127.0.0.1:${port}->8080/tcp`);
  });
});

describe("host settings, replicas, and top-level networks and volumes", () => {
  it("passes the host settings to the engine and the container sees them", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  box:
    image: ${images.busybox}
    command: ["sh", "-c", "grep -c myhost /etc/hosts; ulimit -n; df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2; cat /proc/sys/net/core/somaxconn; exec sleep 600"]
    init: true
    stop_signal: SIGUSR1
    stop_grace_period: 3s
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    extra_hosts: ["myhost:10.1.2.3"]
    dns: [10.9.9.9]
    ulimits:
      nofile: { soft: 1024, hard: 2048 }
    shm_size: 8m
    sysctls:
      net.core.somaxconn: 1024
    mem_limit: 64m
    cpus: 0.5
    group_add: ["100"]
`,
    });
    await upOk(dir);
    const container = docker.getContainer(`${name}-box-1`);
    const info = await container.inspect();
    expect(info.HostConfig).toMatchObject({
      Init: true,
      CapAdd: ["NET_ADMIN"],
      CapDrop: ["MKNOD"],
      ExtraHosts: ["myhost:10.1.2.3"],
      Dns: ["10.9.9.9"],
      Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
      ShmSize: 8 * 1024 * 1024,
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      GroupAdd: ["100"],
    });
    // @types/dockerode's inspect type lacks these two Config members.
    const config = info.Config as unknown as { StopSignal?: string; StopTimeout?: number };
    expect(config.StopSignal).toBe("SIGUSR1");
    expect(config.StopTimeout).toBe(3);
    const output = await waitFor(
      async () => {
        const { stdout } = demux(await container.logs({ stdout: true, stderr: true, follow: false }));
        return stdout.split("\n").length > 4 && stdout;
      },
      { what: "the container's four lines" },
    );
    expect(output).toBe("1\n1024\n8192\n1024\n");
  });

  it("runs deploy.replicas containers and scales down when the count drops", async () => {
    const compose = (replicas: number) => `
services:
  worker:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    deploy:
      replicas: ${replicas}
`;
    const dir = await tempProject({ "compose.yaml": compose(3) });
    await upOk(dir);
    const names = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } }))
        .map((container) => container.Names[0]!.slice(1))
        .sort();
    expect(await names()).toEqual([`${name}-worker-1`, `${name}-worker-2`, `${name}-worker-3`]);
    await writeFile(path.join(dir, "compose.yaml"), compose(1));
    await upOk(dir);
    expect(await names()).toEqual([`${name}-worker-1`]);
  });

  it("uses external networks and volumes as they are, and names, drivers and labels of its own", async () => {
    const external = `${name}-shared`;
    await docker.createNetwork({ Name: external, Labels: { [LABEL]: name } });
    await docker.createVolume({ Name: external, Labels: { [LABEL]: name } });
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    networks: [outside, own]
    volumes:
      - shared:/shared
      - mine:/mine
networks:
  outside:
    external: true
    name: ${external}
  own:
    name: ${name}-custom-net
    driver: bridge
    labels:
      purpose: testing
volumes:
  shared:
    external: true
    name: ${external}
  mine:
    name: ${name}-custom-vol
    driver: local
    driver_opts:
      type: tmpfs
      device: tmpfs
    labels:
      purpose: testing
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain(`Network ${external}  Created`);
    const info = await docker.getContainer(`${name}-app-1`).inspect();
    expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual(
      [`${name}-custom-net`, external].sort(),
    );
    expect(info.Mounts.map((mount) => mount.Name).sort()).toEqual([`${name}-custom-vol`, external].sort());
    const own = await docker.getNetwork(`${name}-custom-net`).inspect();
    expect(own.Labels).toMatchObject({ purpose: "testing", "com.docker.compose.network": "own" });
    const volume = await docker.getVolume(`${name}-custom-vol`).inspect();
    expect(volume.Options).toEqual({ type: "tmpfs", device: "tmpfs" });

    // down -v removes the project's own volume, never the external one.
    expect((await cli(["-p", name, "down", "-v"], { cwd: dir })).code).toBe(0);
    expect((await docker.getVolume(external).inspect()).Name).toBe(external);
    expect((await docker.getNetwork(external).inspect()).Name).toBe(external);
    await expect(docker.getVolume(`${name}-custom-vol`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("refuses a missing external network before creating anything", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    networks: [outside]
networks:
  outside:
    external: true
    name: ${name}-absent
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: network "${name}-absent" is declared external but does not exist`,
    );
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } })).toEqual([]);
  });
});

describe("faults", () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    if (blocker) await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
  });

  it("a port in use names the service and port, says what exists, and down cleans up", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = await tempProject({
      "compose.yaml": `
services:
  web:
    image: ${images.busybox}
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["127.0.0.1:${port}:8080"]
`,
    });
    const result = await cli(["-p", name, "up", "-d"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: service "web" cannot publish its ports (127.0.0.1:${port}:8080/tcp)`,
    );
    expect(result.stderr).toContain(
      `done before it: network ${name}_default created, container ${name}-web-1 created`,
    );
    expect(result.stderr).toContain("composec down");

    const cleaned = await cli(["-p", name, "down"], { cwd: dir });
    expect(cleaned.code).toBe(0);
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } })).toEqual([]);
  });

  it("--wait fails when a health check never passes, within --wait-timeout", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  sick:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 100
`,
    });
    const started = Date.now();
    const result = await cli(["-p", name, "up", "--wait", "--wait-timeout", "2"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: container ${name}-sick-1 did not become running in time`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("--wait succeeds once every service is healthy", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  ok:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
`,
    });
    const result = await cli(["-p", name, "up", "--wait"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Container ${name}-ok-1  Healthy`);
  });

  it("--remove-orphans removes containers of services no longer in the project", async () => {
    const dir = await tempProject({
      "compose.yaml": `
services:
  keep:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
  gone:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
`,
    });
    await upOk(dir);
    await mkdir(path.join(dir, "v2"));
    await writeFile(
      path.join(dir, "v2/compose.yaml"),
      `
services:
  keep:
    image: ${images.busybox}
    command: ["sleep", "600"]
    init: true
`,
    );
    const args = [
      "-p",
      name,
      "--project-directory",
      dir,
      "-f",
      path.join(dir, "v2/compose.yaml"),
      "up",
      "-d",
    ];
    const warned = await cli(args);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`warning: Found orphan containers (${name}-gone-1)`);
    const removed = await cli([...args, "--remove-orphans"]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain(`Container ${name}-gone-1  Removed`);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${name}`] } });
    expect(left.map((container) => container.Names[0])).toEqual([`/${name}-keep-1`]);
  });
});
