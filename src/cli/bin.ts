#!/usr/bin/env node
// The `composec` executable: everything else is in main.ts so tests can run the CLI in-process.
import { run } from "./main.js";

process.exitCode = await run(process.argv.slice(2));
