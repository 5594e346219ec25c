// Intent: the companion package @composec/read-secret, used by a Node app in a container that
// composec runs, reads what composec delivered: /run/secrets/<name> by default, `NAME_FILE` when
// set (here pointing at an absolute target), exact bytes unless trimming is asked for.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { images, repoRoot, tempProject } from "./helpers.js";
import { cliOk, execIn, randomValue, sha256, trackProjects } from "./secrets-helpers.js";

const project = trackProjects();

describe("@composec/read-secret in a container", () => {
  it("readSecret and fileEnv read the delivered bytes", { timeout: 60_000 }, async () => {
    const value = `${randomValue("pkg")}\n`;
    const name = await project("readsecret");
    const app = `
import { createHash } from "node:crypto";
import { fileEnv, readSecret } from "/pkg/index.js";
const digest = (bytes) => createHash("sha256").update(bytes).digest("hex");
const raw = await readSecret("api_key");
const trimmed = await readSecret("api_key", { encoding: "utf8", trim: true });
const viaFile = fileEnv("DB_PASSWORD", { trim: false });
console.log(JSON.stringify({ raw: digest(raw), trimmed: digest(trimmed), viaFile: digest(viaFile) }));
`;
    const dir = await tempProject({
      "compose.yaml": `
services:
  app:
    image: ${images.node}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    volumes:
      - ${path.join(repoRoot, "packages/read-secret")}:/pkg:ro
      - ./app.mjs:/app.mjs:ro
    environment:
      DB_PASSWORD_FILE: /etc/app/db
    secrets:
      - api_key
      - source: api_key
        target: /etc/app/db
secrets:
  api_key:
    file: ./api_key.txt
`,
      "app.mjs": app,
      "api_key.txt": value,
    });
    await cliOk(["-p", name, "up", "-d"], { cwd: dir, hide: [value] });
    const result = await execIn(`${name}-app-1`, ["node", "/app.mjs"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      raw: sha256(value),
      trimmed: sha256(value.slice(0, -1)),
      viaFile: sha256(value),
    });
  });
});
