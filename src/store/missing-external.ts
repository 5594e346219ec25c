// `config` says what `up` would: an `external` secret the local store does not hold. Only names
// are read (index.json needs no key), and nothing at all for a project without external secrets.
import type { Problem } from "../errors.js";
import type { SourceMap } from "../loader/source-map.js";
import type { Project } from "../model/project.js";
import { keyFilePath, storeHome, type Environment } from "./paths.js";
import { openStore } from "./store.js";

/** A warning for each external secret of the project missing from the store `env` names. */
export async function missingExternalSecrets(
  project: Project,
  sources: SourceMap,
  env: Environment,
): Promise<Problem[]> {
  const external = Object.values(project.secrets).filter((secret) => secret.source.kind === "external");
  if (external.length === 0) return [];
  const store = openStore({ home: storeHome(env), keyFile: keyFilePath(env), warn: () => {} });
  let names: Set<string>;
  try {
    names = new Set(await store.names());
  } catch {
    // An unreadable store is `up`'s to report, with its reason; `config` validates the files.
    return [];
  }
  return external
    .filter((secret) => secret.source.kind === "external" && !names.has(secret.source.name))
    .map((secret) => {
      const name = secret.source.kind === "external" ? secret.source.name : secret.name;
      const location = sources.locate(secret, ["external"]);
      return {
        ...(location ? { location } : {}),
        path: `secrets.${secret.key}`,
        message: `external secret "${name}" is not in the local secret store at ${store.home} (COMPOSEC_HOME); \`up\` will fail until you create it with \`composec secret create ${name} FILE\``,
      };
    });
}
