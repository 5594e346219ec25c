// An ssh:// engine, reached as the docker CLI reaches it: one ssh connection (ssh2, the library
// dockerode already depends on), and for each HTTP connection a channel running
// `docker system dial-stdio` on the remote host, which joins it to that host's engine. The
// HTTP client sees an ordinary http.Agent. The host key is checked against known_hosts (never
// accepted blindly); keys come from the ssh agent (SSH_AUTH_SOCK) and ~/.ssh/id_*.
import { readFileSync } from "node:fs";
import http from "node:http";
import { connect, type Socket } from "node:net";
import { homedir, userInfo } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { AnyAuthMethod, Client, ClientChannel, ConnectConfig } from "ssh2";
import { lazyRequire } from "../lazy-require.js";
import { checkHostKey, knownHostsName, knownKeyTypes, type HostKeyVerdict } from "./known-hosts.js";
import type { EngineEndpoint } from "./endpoint.js";

const requireSsh2 = lazyRequire<typeof import("ssh2")>("ssh2");

/** A failure to reach an ssh engine, already worded for the user (the endpoint is added by the caller). */
export class SshEndpointError extends Error {
  readonly code = "COMPOSEC_SSH";
}

type SshEndpoint = Extract<EngineEndpoint, { kind: "ssh" }>;

/** The command the remote host runs for each connection: the docker CLI's own ssh transport. */
const DIAL_COMMAND = "docker system dial-stdio";

/** Key files tried in this order, as ssh(1) does when none is configured. */
const IDENTITY_FILES = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** ssh2's names for the signature algorithms of each known_hosts key type. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** An http.Agent whose connections are `docker system dial-stdio` channels of one ssh connection. */
export class SshAgent extends http.Agent {
  readonly endpoint: SshEndpoint;
  readonly #env: Record<string, string | undefined>;
  #client: Promise<{ client: Client; socket: Socket }> | undefined;
  #open = 0;

  constructor(endpoint: SshEndpoint, env: Record<string, string | undefined>) {
    // Keep-alive: an HTTP connection is a remote `docker` process; reuse it across requests.
    super({ keepAlive: true });
    this.endpoint = endpoint;
    this.#env = env;
  }

  // Node's Agent calls this with a callback and accepts the socket through it later.
  override createConnection(
    _options: unknown,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    void this.#channel().then(
      (channel) => callback?.(null, channel),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  }

  /** Closes the ssh connection (open channels end with it). */
  close(): void {
    void this.#client?.then(
      ({ client }) => client.end(),
      () => undefined,
    );
    this.#client = undefined;
  }

  async #channel(): Promise<ClientChannel> {
    const { client, socket } = await (this.#client ??= this.#connect());
    // The ssh connection keeps the process alive exactly while a channel is wanted: from the
    // moment one is asked for (or an idle keep-alive channel is taken again: `ref`) until it
    // closes or idles (`unref`, which Node's Agent calls on a free keep-alive socket).
    let counted = false;
    const ref = (): void => {
      if (counted) return;
      counted = true;
      if (this.#open++ === 0) socket.ref();
    };
    const unref = (): void => {
      if (!counted) return;
      counted = false;
      if (--this.#open === 0) socket.unref();
    };
    ref();
    let channel: ClientChannel;
    try {
      channel = await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(DIAL_COMMAND, (error, stream) =>
          error ? reject(this.#fail(error.message)) : resolve(stream),
        );
      });
    } catch (error) {
      unref();
      throw error;
    }
    channel.once("close", unref);
    // What Node's http client and keep-alive Agent call on a socket, mapped onto a channel.
    Object.assign(channel, {
      ref,
      unref,
      setKeepAlive: () => channel,
      setNoDelay: () => channel,
      setTimeout: () => channel,
    });
    // dial-stdio's own complaints (no docker CLI on the host, no engine there) come on stderr.
    const complaints: Buffer[] = [];
    channel.stderr.on("data", (chunk: Buffer) => complaints.push(chunk));
    channel.once("exit", (code: number | null) => {
      if (code !== 0 && code !== null) {
        const said = Buffer.concat(complaints).toString("utf8").trim().split("\n").slice(-2).join("; ");
        (channel as Duplex).destroy(
          this.#fail(
            `\`${DIAL_COMMAND}\` on the host exited with ${code}${said ? ` (${said})` : ""}; the host needs the docker CLI on its PATH and a running engine`,
          ),
        );
      }
    });
    return channel;
  }

  #fail(message: string): SshEndpointError {
    return new SshEndpointError(message);
  }

  #connect(): Promise<{ client: Client; socket: Socket }> {
    const endpoint = this.endpoint;
    const env = this.#env;
    const home = env.HOME || homedir();
    const user = endpoint.user || userInfo().username;
    const knownHostsFiles = [path.join(home, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts"]
      .map((file) => ({ file, text: readOptional(file) }))
      .filter((entry): entry is { file: string; text: string } => entry.text !== undefined);
    const name = knownHostsName(endpoint.host, endpoint.port);
    const addHint = `check the host's key fingerprint, then add it: ssh-keyscan ${endpoint.port === 22 ? "" : `-p ${endpoint.port} `}${endpoint.host} >> ~/.ssh/known_hosts`;
    let verdict: HostKeyVerdict | undefined;

    const auth: AnyAuthMethod[] = [];
    const offered: string[] = [];
    const agent = env.SSH_AUTH_SOCK;
    if (agent !== undefined && agent !== "") {
      auth.push({ type: "agent", username: user, agent });
      offered.push(`the ssh agent at SSH_AUTH_SOCK`);
    }
    const skipped: string[] = [];
    for (const file of IDENTITY_FILES.map((name) => path.join(home, ".ssh", name))) {
      const text = readOptional(file);
      if (text === undefined) continue;
      const parsed = requireSsh2().utils.parseKey(text);
      if (parsed instanceof Error) {
        // A key with a passphrase needs the agent: composec never prompts.
        skipped.push(
          `${file} (${/passphrase/i.test(parsed.message) ? "has a passphrase: load it into ssh-agent" : parsed.message})`,
        );
        continue;
      }
      auth.push({ type: "publickey", username: user, key: text });
      offered.push(file);
    }

    const types = knownKeyTypes(knownHostsFiles, endpoint.host, endpoint.port);
    const serverHostKey = types.flatMap((type) => HOST_KEY_ALGORITHMS[type] ?? [type]);

    return new Promise((resolve, reject) => {
      const { Client } = requireSsh2();
      const client = new Client();
      const socket = connect({ host: endpoint.host, port: endpoint.port });
      let ready = false;
      const config: ConnectConfig = {
        sock: socket,
        username: user,
        readyTimeout: 20_000,
        authHandler: auth,
        hostVerifier: (key: Buffer) => {
          verdict = checkHostKey(knownHostsFiles, endpoint.host, endpoint.port, key);
          return verdict.kind === "known";
        },
        ...(serverHostKey.length > 0
          ? {
              algorithms: {
                serverHostKey: serverHostKey as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"],
              },
            }
          : {}),
      };
      client.on("ready", () => {
        ready = true;
        resolve({ client, socket });
      });
      client.on("error", (error: Error & { level?: string; code?: string }) => {
        if (ready) return;
        if (verdict !== undefined && verdict.kind !== "known") {
          reject(this.#fail(hostKeyMessage(verdict, name, addHint)));
        } else if (error.level === "client-authentication") {
          const tried =
            offered.length > 0
              ? offered.join(", ")
              : "no key (no SSH_AUTH_SOCK agent, no ~/.ssh/id_ed25519, id_ecdsa or id_rsa)";
          reject(
            this.#fail(
              `the host refused ${user}'s keys (offered: ${tried}${skipped.length > 0 ? `; skipped: ${skipped.join(", ")}` : ""}); add your public key to ~${user}/.ssh/authorized_keys on the host, or load the right key into ssh-agent`,
            ),
          );
        } else {
          // A socket failure keeps its code (ECONNREFUSED...): the caller words those.
          reject(Object.assign(error, { sshLevel: error.level }));
        }
      });
      client.on("close", () => {
        if (this.#client !== undefined) this.#client = undefined;
      });
      client.connect(config);
    });
  }
}

function hostKeyMessage(verdict: HostKeyVerdict, name: string, addHint: string): string {
  switch (verdict.kind) {
    case "unknown":
      return `the host key of ${name} is not in known_hosts, so the host cannot be trusted; ${addHint}`;
    case "changed":
      return `the host key of ${name} does not match the one in ${verdict.file}:${verdict.line} (it changed, or someone is in the middle); if the host's key really changed, remove the old one with \`ssh-keygen -R '${name}'\`, then ${addHint}`;
    case "revoked":
      return `the host key of ${name} is marked @revoked in ${verdict.file}:${verdict.line}`;
    case "known":
      return "";
  }
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
