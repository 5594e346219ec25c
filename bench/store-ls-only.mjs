// `composec secret ...` through a program that registers only the secret commands (tsc's output in
// dist/, no engine libraries loaded): what `secret ls` costs when start-up loads nothing else.
// store-bench.mjs times it beside the real CLI to show how much of `secret ls` is start-up.
import { Command } from "commander";
import { registerSecret } from "../dist/cli/commands/secret.js";
import { createOutput } from "../dist/cli/output.js";

const output = createOutput();
const program = new Command("composec").exitOverride();
registerSecret(program, output);
await program.parseAsync(process.argv.slice(2), { from: "user" });
