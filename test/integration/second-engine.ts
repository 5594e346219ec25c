// A second, independent Docker Engine on this machine, reachable the three ways a remote engine is:
// its own unix socket, tcp://127.0.0.1:PORT with TLS (certificates made here with openssl), and
// ssh://root@127.0.0.1:PORT through an sshd of our own (Debian's openssh-server) whose sessions
// point the remote `docker system dial-stdio` at this engine. Tests of remote engines start one
// with startSecondEngine() and stop it with stop(), which leaves the machine as it was found.
//
// What must stay true, because other tests run on the main engine at the same time:
// - The engine has its own bridge (`-b`, made here with `ip link`): `--bridge=none` would delete
//   the main engine's docker0. Its address pools are a 10.x range no route of this host uses, so
//   its networks never overlap the main engine's.
// - Its data, exec root, containerd (and containerd namespaces), pid file and sockets are its own.
// - Everything is named with a random suffix: two fixtures may run at once.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll } from "vitest";
import { docker as mainDocker, waitFor } from "./helpers.js";

const run = promisify(execFile);

/** Files of a TLS client: the CA to check the engine against, and the client's certificate. */
export interface TlsClientFiles {
  /** A directory with ca.pem, cert.pem and key.pem, as DOCKER_CERT_PATH wants it. */
  dir: string;
}

export interface SecondEngine {
  /** dockerode over the engine's unix socket, for the tests' own checks. */
  docker: Docker;
  socketPath: string;
  /** `tcp://127.0.0.1:PORT` (TLS, client certificates required). */
  tcpHost: string;
  /** DOCKER_CERT_PATH for tcpHost: the engine's CA and a client certificate it accepts. */
  certPath: string;
  /** A DOCKER_CERT_PATH whose CA did not sign the engine's certificate (and whose client cert it refuses). */
  wrongCertPath: string;
  /** `ssh://root@127.0.0.1:PORT`. */
  sshHost: string;
  sshPort: number;
  /**
   * A HOME for the CLI: .ssh/id_ed25519 (a key sshd accepts) and .ssh/known_hosts (sshd's host key).
   * Tests that write ~/.docker (contexts) make their own HOME from it with `homeWith`.
   */
  home: string;
  /** The fixture's files, for tests that need a variant (another key, an empty known_hosts). */
  dir: string;
  /**
   * Restarts dockerd as an operator (or systemd) would: stops it (SIGTERM, which lets it stop its
   * containers; `signal: "SIGKILL"` for a crash), runs `whileDown` if given while nothing answers on
   * its sockets, then starts it again with the same flags and data and resolves once it answers.
   */
  restart(options?: RestartOptions): Promise<void>;
  /** Stops sshd and the engine, removes the bridge and every file: the machine as found. */
  stop(): Promise<void>;
}

/** How SecondEngine.restart stops the engine, and what runs while it is down. */
export interface RestartOptions {
  /** SIGTERM (the default, a clean stop) or SIGKILL (a crash: containers are left as they were). */
  signal?: "SIGTERM" | "SIGKILL";
  /** Runs after dockerd has exited and before it starts again. */
  whileDown?: () => Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free now: it is closed again before use). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A 10.x.0.0/16 that no route of this host touches, for the engine's bridge and networks. */
async function freeRange(): Promise<number> {
  const { stdout } = await run("ip", ["-4", "route"]);
  for (let attempt = 0; attempt < 50; attempt++) {
    const second = 100 + (randomBytes(1)[0]! % 150);
    if (!stdout.includes(`10.${second}.`)) return second;
  }
  throw new Error("second engine: no free 10.x.0.0/16 range for its bridge");
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by it. */
async function makeCertificates(dir: string, name: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const days = "2";
  await openssl(dir, ["genrsa", "-out", "ca-key.pem", "2048"]);
  await openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    "ca-key.pem",
    "-days",
    days,
    "-subj",
    `/CN=${name} CA`,
    "-out",
    "ca.pem",
  ]);
  await writeFile(
    path.join(dir, "server.ext"),
    "subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n",
  );
  await writeFile(path.join(dir, "client.ext"), "extendedKeyUsage = clientAuth\n");
  for (const who of ["server", "client"]) {
    await openssl(dir, ["genrsa", "-out", `${who}-key.pem`, "2048"]);
    await openssl(dir, [
      "req",
      "-new",
      "-key",
      `${who}-key.pem`,
      "-subj",
      `/CN=${name} ${who}`,
      "-out",
      `${who}.csr`,
    ]);
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      days,
      "-extfile",
      `${who}.ext`,
      "-out",
      `${who}-cert.pem`,
    ]);
  }
  // The client's view, as DOCKER_CERT_PATH and the docker CLI's contexts lay it out.
  const client = path.join(dir, "client");
  await mkdir(client);
  await writeFile(path.join(client, "ca.pem"), await readFile(path.join(dir, "ca.pem")));
  await writeFile(path.join(client, "cert.pem"), await readFile(path.join(dir, "client-cert.pem")));
  await writeFile(path.join(client, "key.pem"), await readFile(path.join(dir, "client-key.pem")), {
    mode: 0o600,
  });
}

function spawnLogged(command: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

async function stopProcess(
  child: ChildProcess | undefined,
  graceMs: number,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Ends what an engine that did not stop cleanly left running (its containers' shims name the
 * fixture's directory; `except` is the watchdog, which names it too): each shim's container
 * process first, then the shim. By pid, never by name.
 */
async function killStrays(dir: string, except: number | undefined): Promise<void> {
  const { stdout } = await run("ps", ["-eo", "pid=,ppid=,args="]);
  const rows = stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }));
  const strays = rows.filter(
    (row) => row.args.includes(dir) && row.pid !== except && row.pid !== process.pid,
  );
  const kill = (pid: number): void => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  };
  for (const stray of strays)
    for (const child of rows.filter((row) => row.ppid === stray.pid)) kill(child.pid);
  for (const stray of strays) kill(stray.pid);
}

/**
 * A second engine for the enclosing test file: started before its tests (beforeAll) and stopped,
 * the machine as found, after them (afterAll). The returned function answers it once started.
 */
export function useSecondEngine(options: { images?: string[]; ssh?: boolean } = {}): () => SecondEngine {
  let engine: SecondEngine | undefined;
  beforeAll(async () => {
    engine = await startSecondEngine(options);
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
  }, 120_000);
  return () => {
    if (engine === undefined) throw new Error("the second engine is not started (used outside a test?)");
    return engine;
  };
}

/**
 * Starts the second engine (and, unless `ssh: false`, its sshd), and loads `images` into it from
 * the main engine (no registry is reachable).
 */
export async function startSecondEngine(
  options: { images?: string[]; ssh?: boolean } = {},
): Promise<SecondEngine> {
  const id = randomBytes(4).toString("hex");
  const dir = await mkdtemp(path.join(tmpdir(), `composec-engine2-${id}-`));
  const bridge = `cmpc${id}`;
  let dockerd: ChildProcess | undefined;
  let sshd: ChildProcess | undefined;
  let bridgeMade = false;
  let privsepMade = false;
  // A test that times out never reaches its afterAll, and vitest ends its worker without exit
  // handlers: a watchdog shell outlives it, and when the test process is gone stops what is in
  // `pids`, removes the bridge and the directory. stop() ends the watchdog first.
  let watchdog: ChildProcess | undefined;
  const startWatchdog = async (): Promise<void> => {
    await writeFile(path.join(dir, "pids"), "");
    const script = [
      `while kill -0 ${process.pid} 2>/dev/null && [ -e "$1/pids" ]; do sleep 2; done`,
      `[ -e "$1/pids" ] || exit 0`,
      `for pid in $(cat "$1/pids"); do kill "$pid" 2>/dev/null; done`,
      `sleep 10`,
      `for pid in $(cat "$1/pids"); do kill -9 "$pid" 2>/dev/null; done`,
      `ip link delete "$2" 2>/dev/null`,
      `grep -o " $1[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done`,
      `rm -rf "$1"`,
    ].join("\n");
    watchdog = spawn("sh", ["-c", script, "watchdog", dir, bridge], { detached: true, stdio: "ignore" });
    watchdog.unref();
  };
  // The pid list is written whole: a restarted dockerd replaces the one that exited.
  const watch = async (): Promise<void> => {
    const pids = [dockerd?.pid, sshd?.pid].filter((pid) => pid !== undefined);
    await writeFile(path.join(dir, "pids"), pids.map((pid) => `${pid}\n`).join(""));
  };
  let startDockerd: (() => Promise<void>) | undefined;
  const restart = async (options: RestartOptions = {}): Promise<void> => {
    if (!startDockerd) throw new Error("second engine: restart() before the engine started");
    await stopProcess(dockerd, 30_000, options.signal ?? "SIGTERM");
    await options.whileDown?.();
    await startDockerd();
  };
  const stop = async (): Promise<void> => {
    // Removing the pid list tells the watchdog to leave quietly.
    await rm(path.join(dir, "pids"), { force: true });
    watchdog?.kill();
    await stopProcess(sshd, 5_000);
    await stopProcess(dockerd, 30_000);
    await killStrays(dir, watchdog?.pid);
    if (bridgeMade) await run("ip", ["link", "delete", bridge]).catch(() => undefined);
    if (privsepMade) await rm("/run/sshd", { recursive: true, force: true });
    // dockerd leaves its overlay mounts and netns files behind only when killed; unmount any.
    const { stdout } = await run("sh", ["-c", `grep -o ' ${dir}[^ ]*' /proc/mounts || true`]);
    for (const mount of stdout.trim().split("\n").filter(Boolean).reverse()) {
      await run("umount", ["-l", mount.trim()]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await startWatchdog();
    const range = await freeRange();
    await run("ip", ["link", "add", bridge, "type", "bridge"]);
    bridgeMade = true;
    await run("ip", ["addr", "add", `10.${range}.0.1/24`, "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);

    await makeCertificates(path.join(dir, "tls"), `composec-${id}`);
    await makeCertificates(path.join(dir, "wrong-tls"), `wrong-${id}`);

    const tcpPort = await freePort();
    const socketPath = path.join(dir, "docker.sock");
    const tls = path.join(dir, "tls");
    await writeFile(path.join(dir, "daemon.json"), "{}\n");
    const dockerdArgs = [
      "--config-file",
      path.join(dir, "daemon.json"),
      "--data-root",
      path.join(dir, "data"),
      "--exec-root",
      path.join(dir, "exec"),
      "--pidfile",
      path.join(dir, "docker.pid"),
      "--containerd-namespace",
      `composec2-${id}`,
      "--containerd-plugins-namespace",
      `composec2-${id}-plugins`,
      "-b",
      bridge,
      "--default-address-pool",
      `base=10.${range}.0.0/16,size=24`,
      "--iptables=false",
      "--ip-masq=false",
      "-H",
      `unix://${socketPath}`,
      "-H",
      `tcp://127.0.0.1:${tcpPort}`,
      "--tlsverify",
      "--tlscacert",
      path.join(tls, "ca.pem"),
      "--tlscert",
      path.join(tls, "server-cert.pem"),
      "--tlskey",
      path.join(tls, "server-key.pem"),
    ];
    const docker = new Docker({ socketPath });
    // Starts dockerd with dockerdArgs (again, on a restart: same data, same sockets) and waits for it.
    // On a loaded machine dockerd may give up waiting for its containerd (it has every shim of a
    // killed engine to reconnect): that is the engine's start failing, not what a test looks at, so
    // it is tried again, twice.
    startDockerd = async () => {
      const mainBridge = await mainBridgeAddresses();
      try {
        await startOnce();
      } finally {
        await restoreMainBridge(mainBridge);
      }
    };
    const startOnce = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const daemon = spawnLogged("dockerd", dockerdArgs, path.join(dir, "dockerd.log"));
        dockerd = daemon;
        await watch();
        const state = await waitFor(
          async () => {
            if (daemon.exitCode !== null) return "exited";
            return docker.ping().then(
              () => "answers",
              () => undefined,
            );
          },
          { timeoutMs: 90_000, what: "the second engine to answer" },
        );
        if (state === "answers") return;
        const log = await readFile(path.join(dir, "dockerd.log"), "utf8").catch(() => "");
        if (attempt === 3) {
          throw new Error(`second engine: dockerd exited (${daemon.exitCode}):\n${log.slice(-2000)}`);
        }
        console.warn(
          `second engine: dockerd exited (${daemon.exitCode}) on start; again (${log.trim().split("\n").at(-1)})`,
        );
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    };
    await startDockerd();

    for (const image of options.images ?? []) {
      const archive = await mainDocker.getImage(image).get();
      const loaded = (await docker.loadImage(archive)) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(loaded, (error: Error | null) => (error ? reject(error) : resolve())),
      );
    }

    const home = path.join(dir, "home");
    const sshDir = path.join(home, ".ssh");
    await mkdir(sshDir, { recursive: true, mode: 0o700 });
    let sshPort = 0;
    if (options.ssh !== false) {
      sshPort = await freePort();
      const keys = path.join(dir, "ssh");
      await mkdir(keys, { mode: 0o700 });
      await run("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "host",
        "-f",
        path.join(keys, "host_key"),
      ]);
      await run("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "client",
        "-f",
        path.join(sshDir, "id_ed25519"),
      ]);
      // A key sshd does not accept, for the refused-key test.
      await run("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "stranger",
        "-f",
        path.join(keys, "stranger"),
      ]);
      await writeFile(
        path.join(keys, "authorized_keys"),
        await readFile(path.join(sshDir, "id_ed25519.pub")),
      );
      const hostKey = (await readFile(path.join(keys, "host_key.pub"), "utf8"))
        .split(" ")
        .slice(0, 2)
        .join(" ");
      await writeFile(path.join(sshDir, "known_hosts"), `[127.0.0.1]:${sshPort} ${hostKey}\n`);
      await writeFile(
        path.join(keys, "sshd_config"),
        [
          `Port ${sshPort}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${path.join(keys, "host_key")}`,
          `PidFile ${path.join(keys, "sshd.pid")}`,
          `AuthorizedKeysFile ${path.join(keys, "authorized_keys")}`,
          "StrictModes no",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin prohibit-password",
          "UsePAM no",
          // The remote end of an ssh engine address is `docker system dial-stdio`: this points it
          // at the second engine instead of the main one.
          `SetEnv DOCKER_HOST=unix://${socketPath}`,
          "",
        ].join("\n"),
      );
      if (!existsSync("/run/sshd")) {
        await mkdir("/run/sshd", { mode: 0o755 });
        privsepMade = true;
      }
      sshd = spawnLogged(
        "/usr/sbin/sshd",
        ["-D", "-e", "-f", path.join(keys, "sshd_config")],
        path.join(dir, "sshd.log"),
      );
      await watch();
      const server = sshd;
      await waitFor(
        async () => {
          if (server.exitCode !== null) {
            const log = await readFile(path.join(dir, "sshd.log"), "utf8").catch(() => "");
            throw new Error(`second engine: sshd exited (${server.exitCode}):\n${log}`);
          }
          return run("ssh-keyscan", ["-p", String(sshPort), "127.0.0.1"]).then(
            ({ stdout }) => (stdout.includes("ssh-ed25519") ? true : undefined),
            () => undefined,
          );
        },
        { timeoutMs: 20_000, what: "sshd to answer" },
      );
    }
    await chmod(home, 0o700);

    return {
      docker,
      socketPath,
      tcpHost: `tcp://127.0.0.1:${tcpPort}`,
      certPath: path.join(tls, "client"),
      wrongCertPath: path.join(dir, "wrong-tls", "client"),
      sshHost: `ssh://${userInfo().username}@127.0.0.1:${sshPort}`,
      sshPort,
      home,
      dir,
      restart,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The main engine's docker0 addresses (CIDR), or undefined when it has none. Engine 20.10, started
 * again on a data root whose network store holds its default "bridge" network, deletes the host's
 * docker0 while clearing that stale network (seen every time: its -b bridge is not what it deletes).
 * The main engine keeps running without it, and every container it starts on the default network
 * then fails, so the fixture puts docker0 back as it was.
 */
async function mainBridgeAddresses(): Promise<string[] | undefined> {
  const { stdout } = await run("ip", ["-j", "addr", "show", "dev", "docker0"]).catch(() => ({ stdout: "" }));
  if (stdout.trim() === "") return undefined;
  const links = JSON.parse(stdout) as {
    addr_info?: { family: string; local: string; prefixlen: number }[];
  }[];
  return (links[0]?.addr_info ?? [])
    .filter((address) => address.family === "inet")
    .map((address) => `${address.local}/${address.prefixlen}`);
}

async function restoreMainBridge(addresses: string[] | undefined): Promise<void> {
  if (addresses === undefined || (await mainBridgeAddresses()) !== undefined) return;
  // Another fixture (a parallel test file) may have put it back in the meantime: that is as good.
  const made = await run("ip", ["link", "add", "docker0", "type", "bridge"]).then(
    () => true,
    () => false,
  );
  if (!made) return;
  for (const address of addresses) await run("ip", ["addr", "add", address, "dev", "docker0"]);
  await run("ip", ["link", "set", "docker0", "up"]);
}
