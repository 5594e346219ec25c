// The CLI's entry: everything else is in main.ts so tests can run the CLI in-process. The build
// bundles this into dist/cli/composec.cjs, which dist/cli/bin.js runs (see src/cli/launch.ts).
import { run } from "./main.js";

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
