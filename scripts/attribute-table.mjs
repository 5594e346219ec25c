// Rewrites the README's "Compose attributes and what composec does with them" table from the
// registry in src/loader/attributes.ts (built: run `npm run build` first). A unit test
// (src/loader/attributes.test.ts) fails when the README's table differs from what this writes.
//
//   npm run build && node scripts/attribute-table.mjs
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { withAttributeTable, statusCounts } = await import(path.join(root, "dist/loader/attributes.js"));
const readmePath = path.join(root, "README.md");
const before = await readFile(readmePath, "utf8");
const after = withAttributeTable(before);
if (after !== before) await writeFile(readmePath, after);
const counts = statusCounts();
console.log(
  `README.md ${after === before ? "already up to date" : "updated"}: ${counts.run} run, ${counts.limited} run with a limit, ${counts["not-run"]} not run`,
);
