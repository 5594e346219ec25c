// What a lifecycle hook printed, shown as Compose shows it (`web-1 -> line`), on stderr with the
// progress, each line masked like `logs` and `exec` output: a hook may print a secret it can read.
import type { SecretsDelivery } from "../compose/secrets.js";
import type { HookReport } from "../engine/hooks.js";
import { createMasker, projectSecretValues } from "./mask.js";
import type { Output } from "./output.js";

/** A printer for the `onHookOutput` option of up, down, start, stop and rm. */
export function hookPrinter(
  projectName: string,
  output: Output,
  delivery: () => Promise<SecretsDelivery>,
): (report: HookReport) => Promise<void> {
  return async (report) => {
    if (report.lines.length === 0 && report.exitCode === 0) return;
    // Read at each hook's end: the first `up` delivers the values while the plan runs.
    const mask = createMasker(await projectSecretValues((await delivery()).store));
    const prefix = report.container.startsWith(`${projectName}-`)
      ? report.container.slice(projectName.length + 1)
      : report.container;
    let text = "";
    for (const line of report.lines) text += `${prefix} -> ${mask(line)}\n`;
    if (report.exitCode !== 0)
      text += `${prefix} -> ${report.hook} hook exited with status ${report.exitCode}\n`;
    output.stderr(text);
  };
}
