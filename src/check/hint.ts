// The one line `up` prints when `check` would find an error: cheap (it runs beside `up`'s own
// work), silent when it cannot run, and never more than a count.
import { runCheck, variableFilesOf } from "./index.js";
import type { Loaded } from "./gather.js";

/** The hint to print after `up`, or undefined when `check` finds no error (or cannot run). */
export async function checkHint(loaded: Loaded, envFiles: string[]): Promise<string | undefined> {
  try {
    const { findings } = await runCheck(loaded, {
      variableFiles: variableFilesOf(loaded.project.workingDir, envFiles),
      errorsOnly: true,
    });
    const errors = findings.filter((item) => !item.suppressed && item.severity === "error").length;
    if (errors === 0) return undefined;
    return `hint: \`composec check\` finds ${errors} error${errors === 1 ? "" : "s"} in this project (secrets that may leak out of its files); run it to see where`;
  } catch {
    return undefined;
  }
}
