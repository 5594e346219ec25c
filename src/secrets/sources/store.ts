// `external: true` (and a Swarm secret's `x-composec-source: store`): the value is in composec's
// encrypted local store, reached through the ExternalSecretSource the caller opened.
import type { SecretValue } from "../secret-value.js";
import { SourceError, type SecretSource } from "./source.js";

/** Where the bytes of an `external` secret come from (the encrypted store). */
export interface ExternalSecretSource {
  read(name: string): Promise<SecretValue | undefined>;
  /** Where it looked and what it has, for a helpful "not found". */
  describe(name: string): Promise<string>;
}

/** `external:` of a secret or config, read from the local store. */
export const storeSource: SecretSource<"external"> = {
  kind: "external",
  async resolve(source, { kind, options }) {
    if (!options.external) {
      throw new SourceError(
        "external",
        `"${source.name}" is an external ${kind}, and the local secret store is not open; create it with \`composec secret create ${source.name} FILE\``,
      );
    }
    const value = await options.external.read(source.name);
    if (!value) throw new SourceError("external", await options.external.describe(source.name));
    return value;
  },
};
