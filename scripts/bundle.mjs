// Bundles the CLI into one file, dist/cli/bin.js (over tsc's output of the same name). `composec`
// is mostly start-up for a command like `config`: one file means one module to load and compile
// instead of hundreds. dockerode stays outside: it loads native helpers and is imported only by the
// commands that talk to the engine. So do the dependencies of dockerode that builds import directly
// (gRPC for the BuildKit session, tar-stream and @balena/dockerignore for the context): dockerode loads
// them anyway, and a second copy in the bundle would only be more to parse at every start.
import { readdir, rm } from "node:fs/promises";
import { build } from "esbuild";

// Each command is its own chunk (src/cli/main.ts imports a command's module only when it runs), so
// a start compiles the common core and one command. The chunks sit beside bin.js: code that finds
// files relative to its own module (the vendored dockerode, below) then finds them from any chunk.
for (const old of await readdir("dist/cli").catch(() => [])) {
  if (/^chunk-.*\.js(\.map)?$/.test(old)) await rm(`dist/cli/${old}`);
}
await build({
  entryPoints: ["src/cli/bin.ts"],
  outdir: "dist/cli",
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  sourcemap: "linked",
  external: ["dockerode", "@grpc/grpc-js", "tar-stream", "tar-fs", "@balena/dockerignore"],
  // CommonJS dependencies (commander) call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __composecRequire } from 'node:module'; const require = __composecRequire(import.meta.url);",
  },
  logLevel: "warning",
});

// dockerode, slimmed: its top level loads ssh2 (for ssh:// hosts, which composec does not accept)
// and gRPC with a proto loader (for dockerode's own BuildKit sessions, which composec does not use:
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
