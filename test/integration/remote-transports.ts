// The two ways the tests reach a second engine as a remote one (second-engine.ts): tcp with TLS
// through the docker CLI's variables, and ssh with -H, each with a HOME holding the ssh key and
// known_hosts. Shared by the remote-engine tests.
import type { SecondEngine } from "./second-engine.js";

/** The docker CLI's variables, cleared: each test says exactly which it sets. */
export const cleanDockerEnv = {
  DOCKER_HOST: undefined,
  DOCKER_CONTEXT: undefined,
  DOCKER_TLS_VERIFY: undefined,
  DOCKER_CERT_PATH: undefined,
  DOCKER_CONFIG: undefined,
  SSH_AUTH_SOCK: undefined,
};

export interface Transport {
  name: string;
  /** Global flags and environment that point the CLI at the second engine. */
  args: () => string[];
  env: () => Record<string, string | undefined>;
  endpoint: () => string;
}

/** tcp+TLS and ssh to `engine()` (read when a test runs: the engine starts in a beforeAll). */
export function transportsTo(engine: () => SecondEngine): Transport[] {
  return [
    {
      name: "tcp with TLS (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)",
      args: () => [],
      env: () => ({
        ...cleanDockerEnv,
        DOCKER_HOST: engine().tcpHost,
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: engine().certPath,
        HOME: engine().home,
      }),
      endpoint: () => engine().tcpHost,
    },
    {
      name: "ssh (-H ssh://, key in ~/.ssh, known_hosts checked)",
      args: () => ["-H", engine().sshHost],
      env: () => ({ ...cleanDockerEnv, HOME: engine().home }),
      endpoint: () => engine().sshHost,
    },
  ];
}
