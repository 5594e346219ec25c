// `environment:`: the value of a variable the loader interpolated with, as the exact bytes the
// shell set where that can be told.
import { readFile } from "node:fs/promises";
import { SecretValue } from "../secret-value.js";
import { SourceError, type SecretSource } from "./source.js";

/** `environment:` of a secret or config. */
export const environmentSource: SecretSource<"environment"> = {
  kind: "environment",
  async resolve(source, { options, shared }) {
    const value = options.variables[source.variable];
    if (value === undefined) {
      throw new SourceError("environment", `variable ${source.variable} is not set`);
    }
    const shell = options.shell ?? process.env;
    // process.env replaces bytes that are not UTF-8 with U+FFFD; a value that came from the shell
    // is read again from the raw environment so the secret holds exactly what was set.
    if (shell[source.variable] === value) {
      const environ = await shared("environ", async () =>
        parseEnviron(await (options.environBytes ?? readProcEnviron)()),
      );
      const raw = environ.get(source.variable);
      // Only when the raw bytes are the same variable (the environment was not changed since).
      if (raw !== undefined && raw.toString("utf8") === value) return new SecretValue(raw);
    }
    return new SecretValue(Buffer.from(value, "utf8"));
  },
};

async function readProcEnviron(): Promise<Buffer | undefined> {
  try {
    return await readFile("/proc/self/environ");
  } catch {
    return undefined;
  }
}

/** `NAME=value\0...` to a map of raw value bytes. */
function parseEnviron(bytes: Buffer | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!bytes) return out;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0, start);
    if (end < 0) end = bytes.length;
    const equals = bytes.indexOf(0x3d, start);
    if (equals > start && equals < end) {
      out.set(bytes.subarray(start, equals).toString("latin1"), Buffer.from(bytes.subarray(equals + 1, end)));
    }
    start = end + 1;
  }
  return out;
}
