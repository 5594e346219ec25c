// Bundles the CLI for a fast start: `composec config` on a large project is mostly start-up.
//
// - dist/cli/composec.cjs: the whole CLI in one CommonJS file. One file means one module to read
//   instead of hundreds, and CommonJS skips the ES module loader's extra start-up. Each command's
//   code is initialised only when that command runs (src/cli/main.ts imports it on demand).
// - dist/cli/bin.js: the executable (src/cli/launch.ts), which runs composec.cjs with a V8 code
//   cache made here by running a typical `config`: the bytecode V8 would otherwise compile at every
//   start. The cache holds compiled code only, made from a generated project with made-up values.
//
// dockerode stays outside: it loads native helpers and is needed only by the commands that talk to
// the engine. So do the dependencies of dockerode that builds import directly (gRPC for the BuildKit
// session, tar-stream and @balena/dockerignore for the context): dockerode loads them anyway, and a
// second copy in the bundle would only be more to parse.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { generateProject } from "../bench/gen-project.mjs";

// commander loads child_process at its top, for subcommands that are separate executables (composec
// has none); with it come the net and stream modules, a few milliseconds at every start. Commander
// gets a stand-in that loads the real module on first use.
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(builder) {
    builder.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes("/node_modules/commander/") ? { path: args.path, namespace: "lazy" } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: "lazy" }, () => ({
      contents: `let real;
module.exports = new Proxy({}, { get: (_, key) => (real ??= require("node:child_process"))[key] });`,
      loader: "js",
    }));
  },
};

// A cache is named by its bundle's hash: those of earlier builds would only pile up.
for (const old of await readdir("dist/cli").catch(() => [])) {
  if (/^composec-.*\.cache$/.test(old)) await rm(`dist/cli/${old}`);
}
await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/cli/composec.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  external: ["dockerode", "@grpc/grpc-js", "tar-stream", "tar-fs", "@balena/dockerignore"],
  // src/lazy-require.ts finds the vendored dockerode relative to its own module.
  define: { "import.meta.url": "__composecModule.url" },
  plugins: [lazyChildProcessForCommander],
  // A getter: the URL is worked out only if a module asks for it.
  banner: {
    js: 'var __composecModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
  },
  logLevel: "warning",
});
// V8 holds an ASCII source as one byte per character; one other character anywhere makes it two
// for the whole 330 KB, to read, hash and keep at every start. esbuild escapes strings itself, but
// not regular expression literals: write those with \u escapes.
const bundleText = await readFile("dist/cli/composec.cjs", "utf8");
const nonAscii = /[^\t\n\r -~]/.exec(bundleText);
if (nonAscii) {
  const context = bundleText.slice(Math.max(0, nonAscii.index - 40), nonAscii.index + 20);
  throw new Error(`bundle: a non-ASCII character in dist/cli/composec.cjs, near: ${context}`);
}
// (ASCII, so the text hashes to the same bytes as the file.)
const hash = createHash("sha256").update(bundleText).digest("hex").slice(0, 16);
await build({
  entryPoints: ["src/cli/launch.ts"],
  outfile: "dist/cli/bin.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  define: { COMPOSEC_BUNDLE_HASH: JSON.stringify(hash) },
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
await chmod("dist/cli/bin.js", 0o755);
// The package is ES modules; this folder holds the CommonJS executable and bundle.
await writeFile("dist/cli/package.json", `${JSON.stringify({ type: "commonjs" })}\n`);

const training = await mkdtemp(join(tmpdir(), "composec-code-cache-"));
try {
  const { file } = await generateProject(training, { services: 20, secrets: 2 });
  const run = spawnSync(process.execPath, ["dist/cli/bin.js", "-f", file, "config"], {
    env: { ...process.env, COMPOSEC_WRITE_CODE_CACHE: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (run.status !== 0) throw new Error(`bundle: the code cache run failed (exit ${run.status})`);
} finally {
  await rm(training, { recursive: true, force: true });
}

// dockerode, slimmed: its top level loads ssh2 (for docker-modem's own ssh:// transport, which
// composec does not use: src/engine/ssh-agent.ts loads ssh2 itself, only for ssh:// hosts) and gRPC with a proto loader (for dockerode's own BuildKit sessions, which composec does not use:
// src/build/ serves its own). Those cost about 70 ms at every start of an engine command, so this
// copy gets stand-ins that fail only if called. src/engine/client.ts loads it when present.
const unused = /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader)$/;
await build({
  entryPoints: ["node_modules/dockerode/lib/docker.js"],
  outfile: "dist/vendor/dockerode.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  logLevel: "warning",
  plugins: [
    {
      // docker-modem's debug output prints whole requests, a pull's X-Registry-Auth header
      // (registry credentials) included, whenever DEBUG names it: this copy gets a `debug` that
      // never prints. (src/engine/client.ts also turns it off for a dockerode from node_modules.)
      name: "silent-debug",
      setup(builder) {
        builder.onResolve({ filter: /^debug$/ }, (args) => ({ path: args.path, namespace: "silent-debug" }));
        builder.onLoad({ filter: /.*/, namespace: "silent-debug" }, () => ({
          contents: `const silent = () => { const log = () => {}; log.enabled = false; log.extend = silent; return log; };
module.exports = Object.assign(silent, { enable() {}, disable() { return ""; }, enabled: () => false });`,
          loader: "js",
        }));
      },
    },
    {
      name: "unused-by-composec",
      setup(builder) {
        builder.onResolve({ filter: unused }, (args) => ({ path: args.path, namespace: "unused" }));
        builder.onLoad({ filter: /.*/, namespace: "unused" }, (args) => ({
          contents: `const fail = () => { throw new Error(${JSON.stringify(args.path)} + " is not available in composec's engine client"); };
module.exports = new Proxy({}, { get: (_, key) => (key === "__esModule" ? false : fail) });`,
          loader: "js",
        }));
      },
    },
  ],
});
