// Bundles the CLI into one file, dist/cli/bin.js (over tsc's output of the same name). `composec`
// is mostly start-up for a command like `config`: one file means one module to load and compile
// instead of hundreds. dockerode stays outside: it loads native helpers and is imported only by the
// commands that talk to the engine. So do the dependencies of dockerode that builds import directly
// (gRPC for the BuildKit session, tar-stream and @balena/dockerignore for the context): dockerode loads
// them anyway, and a second copy in the bundle would only be more to parse at every start.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/cli/bin.js",
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
