// Which running projects use a store secret, so `secret rm` can refuse to pull it from under them.
//
// The contract with `up`: a container that received external secrets carries the label
// `io.composec.external-secrets` listing their store names, comma-separated (a store name cannot
// hold a comma). The project is Compose's `com.docker.compose.project` label.
import { EngineError } from "../errors.js";
import type { Environment } from "./paths.js";

export const EXTERNAL_SECRETS_LABEL = "io.composec.external-secrets";
const PROJECT_LABEL = "com.docker.compose.project";
const TIMEOUT_MS = 2000;

/** Projects that use `name` right now; throws an EngineError when no engine answers. */
export type InUseCheck = (name: string) => Promise<string[]>;

interface ContainerSummary {
  Labels?: Record<string, string>;
  Names?: string[];
}

/**
 * The check against the engine at DOCKER_HOST (a unix socket) or /var/run/docker.sock. The running
 * containers are listed once, on the first call, however many names are checked.
 */
export function engineInUseCheck(env: Environment): InUseCheck {
  let containers: Promise<ContainerSummary[]> | undefined;
  return async (name) => {
    containers ??= listLabelled(env);
    const uses = new Set<string>();
    for (const container of await containers) {
      const names = (container.Labels?.[EXTERNAL_SECRETS_LABEL] ?? "").split(",").map((n) => n.trim());
      if (names.includes(name)) {
        uses.add(container.Labels?.[PROJECT_LABEL] ?? container.Names?.[0]?.replace(/^\//, "") ?? "?");
      }
    }
    return [...uses].sort();
  };
}

async function listLabelled(env: Environment): Promise<ContainerSummary[]> {
  // The engine client loads here, not at start-up: every other `secret` command works without an
  // engine.
  const { createEngine, formatEndpoint } = await import("../engine/client.js");
  const engine = createEngine({ env });
  const where = formatEndpoint(engine.endpoint);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      engine.listContainers({ label: [EXTERNAL_SECRETS_LABEL], status: ["running"] }, { all: false }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new EngineError(`no Docker Engine answered at ${where} (${(error as Error).message})`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
