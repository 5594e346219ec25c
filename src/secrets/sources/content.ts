// A config's `content:`: the text written inline in the compose file, as UTF-8 bytes.
import { SecretValue } from "../secret-value.js";
import type { SecretSource } from "./source.js";

/** Inline `content:` of a config. */
export const contentSource: SecretSource<"content"> = {
  kind: "content",
  resolve: async (source) => new SecretValue(Buffer.from(source.content, "utf8")),
};
