// Runs once before the integration tests: they need a Docker Engine that answers and the test
// images built from this machine's files. Both scripts are idempotent and fast when nothing is to
// do, so the tests can be run on their own (`npm run test:integration`) as well as from
// scripts/test.sh. A missing engine or image fails here, once, with the reason, instead of in
// every test with a connection error.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function runScript(script: string): void {
  try {
    const out = execFileSync("bash", [path.join(repoRoot, script)], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 15 * 60_000,
    });
    if (out.trim()) console.log(out.trim());
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const detail = [e.stderr, e.stdout]
      .map((s) => s?.trim())
      .filter(Boolean)
      .join("\n");
    throw new Error(
      `integration tests need a Docker Engine and the local test images, but \`bash ${script}\` failed:\n` +
        (detail || e.message),
    );
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

export default function setup(): void {
  runScript("scripts/engine.sh");
  runScript("scripts/images.sh");
  // The tests spawn the built CLI; a missing build would fail each of them with ENOENT, a stale one
  // would test yesterday's code.
  const bin = path.join(repoRoot, "dist/cli/bin.js");
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`npm run build\` (scripts/test.sh does) before these tests`);
  }
  if (newestMtime(path.join(repoRoot, "src")) > statSync(bin).mtimeMs) {
    console.warn("warning: src/ changed since the last `npm run build`; the CLI tests run the old build");
  }
}
