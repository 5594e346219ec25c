// The store as `up` sees it: the ExternalSecretSource that resolves `external: true` secrets.
import { closest } from "../loader/suggest.js";
import type { ExternalSecretSource } from "../secrets/resolve.js";
import type { SecretValue } from "../secrets/secret-value.js";
import { findPassphrase } from "./key-file.js";
import { keyFilePath, storeHome, type Environment } from "./paths.js";
import { openStore, type SecretStore } from "./store.js";

export interface StoreSourceOptions {
  /** The project reading, recorded in the audit log with each `use`. */
  project?: string;
  /** `--passphrase-file`; else COMPOSEC_PASSPHRASE; else the key file. */
  passphraseFile?: string;
  /** Told about problems that do not stop the run (loose permissions); default: stderr. */
  warn?: (message: string) => void;
}

/**
 * The store named by `env` (COMPOSEC_HOME, COMPOSEC_KEY_FILE, COMPOSEC_PASSPHRASE) as a source of
 * external secrets. Nothing is read until the first call; the index is read and the key derived
 * once, however many secrets are read.
 */
export function openStoreSource(env: Environment, options: StoreSourceOptions = {}): ExternalSecretSource {
  const warn = options.warn ?? ((message: string) => void process.stderr.write(`warning: ${message}\n`));
  let store: Promise<SecretStore> | undefined;
  const opened = (): Promise<SecretStore> =>
    (store ??= findPassphrase(env, options.passphraseFile).then((passphrase) =>
      openStore({
        home: storeHome(env),
        keyFile: keyFilePath(env),
        ...(passphrase ? { passphrase } : {}),
        warn,
      }),
    ));
  return {
    async read(name: string): Promise<SecretValue | undefined> {
      return (await opened()).read(name, options.project);
    },
    async describe(name: string): Promise<string> {
      const s = await opened();
      if (!(await s.exists())) {
        return `"${name}" is an external secret, and the local secret store at ${s.home} (COMPOSEC_HOME) does not exist yet; create the secret with \`composec secret create ${name} FILE\``;
      }
      const suggestion = closest(name, await s.names());
      return (
        `no secret "${name}" in the local secret store at ${s.home} (COMPOSEC_HOME)` +
        (suggestion ? `; did you mean "${suggestion}"?` : "") +
        `; create it with \`composec secret create ${name} FILE\``
      );
    },
  };
}
