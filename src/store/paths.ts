// Where the store and its key live, from the environment alone (tests point both at temp dirs).
import { homedir } from "node:os";
import path from "node:path";

export type Environment = Record<string, string | undefined>;

/** The store directory: `COMPOSEC_HOME`, else `${XDG_DATA_HOME:-~/.local/share}/composec`. */
export function storeHome(env: Environment): string {
  if (env.COMPOSEC_HOME) return path.resolve(env.COMPOSEC_HOME);
  const data = env.XDG_DATA_HOME || path.join(env.HOME || homedir(), ".local/share");
  return path.resolve(data, "composec");
}

/** The key file: `COMPOSEC_KEY_FILE`, else `${XDG_CONFIG_HOME:-~/.config}/composec/master.key`. */
export function keyFilePath(env: Environment): string {
  if (env.COMPOSEC_KEY_FILE) return path.resolve(env.COMPOSEC_KEY_FILE);
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), ".config");
  return path.resolve(config, "composec/master.key");
}
