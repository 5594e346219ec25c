// `x-composec-command`: the standard output of a program run without a shell (../command-source.ts
// runs it; this file only puts it behind the SecretSource shape).
import { CommandSourceError, readCommandSource } from "../command-source.js";
import { SourceError, type SecretSource } from "./source.js";

/** `x-composec-command` of a secret or config. */
export const commandSource: SecretSource<"command"> = {
  kind: "command",
  async resolve(source, { options }) {
    try {
      return await readCommandSource(source, {
        env: options.shell ?? process.env,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (error instanceof CommandSourceError) throw new SourceError("x-composec-command", error.message);
      throw error;
    }
  },
};
