// Intent: every secret source (a file; an environment variable from the shell, from `.env`, from
// `--env-file`) reaches the container through the same delivery with exactly the source's bytes
// (CRLF, no trailing newline, NUL and invalid UTF-8, empty, non-ASCII), seen from inside the
// container by sha256 digest; an `external` secret with no store is one clear error before anything
// is made.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, cliPath, images, tempProject } from "./helpers.js";
import {
  cliOk,
  digestIn,
  engineResources,
  execIn,
  IDLE,
  listing,
  materialDir,
  materialGone,
  randomValue,
  scrub,
  sha256,
  statIn,
  trackProjects,
} from "./secrets-helpers.js";
import { onEachDeliveryPath } from "./delivery-paths.js";

const project = trackProjects();

const fileAndEnv = `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - from_file
      - from_env
secrets:
  from_file:
    file: ./value.txt
  from_env:
    environment: APP_SECRET
`;

onEachDeliveryPath(() => {
  describe("secret sources", () => {
    // The environment can come from the shell, from .env or from --env-file (which replaces .env):
    // the container sees the same bytes, owner and mode as from a file, whichever it is.
    it.each([
      ["the shell", "shell"],
      [".env", "dotenv"],
      ["--env-file", "envfile"],
    ] as const)("file and environment (from %s) deliver identical files", async (_label, via) => {
      const value = `${randomValue("src")} ünïcödé €`;
      const name = await project(`src-${via}`);
      const files: Record<string, string> = { "compose.yaml": fileAndEnv, "value.txt": value };
      if (via === "dotenv") files[".env"] = `APP_SECRET=${value}\n`;
      // A .env that --env-file must replace: its value would be wrong.
      if (via === "envfile")
        Object.assign(files, { ".env": "APP_SECRET=wrong\n", "custom.env": `APP_SECRET=${value}\n` });
      const dir = await tempProject(files);
      const args = via === "envfile" ? ["--env-file", "custom.env"] : [];
      await cliOk([...args, "-p", name, "up", "-d"], {
        cwd: dir,
        env: { APP_SECRET: via === "shell" ? value : undefined },
        hide: [value],
      });
      const container = `${name}-app-1`;
      expect(await digestIn(container, "/run/secrets/from_file")).toBe(sha256(value));
      expect(await digestIn(container, "/run/secrets/from_env")).toBe(sha256(value));
      expect(await statIn(container, "/run/secrets/from_file")).toBe("0 0 444");
      expect(await statIn(container, "/run/secrets/from_env")).toBe("0 0 444");
    });

    // Until the store holds it, an external secret cannot be delivered: `up` says which secret and
    // how to create it, and nothing is made (no container, network, material, nor store directory).
    it("an external secret with no store is a clear error and nothing is created", async () => {
      const name = await project("src-ext");
      const dir = await tempProject({
        "compose.yaml": `
services:
  app:
    image: ${images.busybox}
    command: ${IDLE}
    secrets:
      - api_token
secrets:
  api_token:
    external: true
`,
      });
      const before = await listing(dir);
      const home = path.join(dir, "no-store");
      const result = await cli(["-p", name, "up", "-d"], {
        cwd: dir,
        env: { COMPOSEC_HOME: home, COMPOSEC_KEY_FILE: path.join(dir, "no-key") },
        timeoutMs: 30_000,
      });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("api_token");
      expect(result.stderr).toContain("composec secret create");
      expect(result.stderr).not.toMatch(/^ {4}at /m);
      expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
      expect(existsSync(materialDir(name))).toBe(false);
      expect(materialGone(name)).toBe(true);
      expect(existsSync(home)).toBe(false);
      expect(await listing(dir)).toEqual(before);
    });
  });

  describe("exact bytes", () => {
    // Every byte of the source arrives: no trimming, no newline added, no re-encoding.
    it("CRLF, no trailing newline, NUL and invalid UTF-8, BOM, empty, and non-ASCII from the environment", async () => {
      const name = await project("bytes");
      const sources: Record<string, Buffer> = {
        crlf: Buffer.from("line one\r\nline two\r\n"),
        no_newline: Buffer.from("no-trailing-newline"),
        binary: Buffer.from([
          0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0x0d, 0x0a, 0x00, 0x7f, 0xed, 0xa0, 0x80,
        ]),
        bom: Buffer.from([0xef, 0xbb, 0xbf, 0x6b, 0x65, 0x79, 0x0a]),
        trailing_blank: Buffer.from("  padded value  \n\n"),
        empty: Buffer.alloc(0),
      };
      const envValue = "pässwörd-€-🔑-日本";
      const files: Record<string, Buffer | string> = {};
      let secretsBlock = "secrets:\n";
      let grants = "";
      for (const [key, bytes] of Object.entries(sources)) {
        files[`${key}.bin`] = bytes;
        secretsBlock += `  ${key}:\n    file: ./${key}.bin\n`;
        grants += `      - ${key}\n`;
      }
      secretsBlock +=
        "  utf8_env:\n    environment: UTF8_SECRET\n  empty_env:\n    environment: EMPTY_SECRET\n";
      grants += "      - utf8_env\n      - empty_env\n";
      files["compose.yaml"] =
        `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets:\n${grants}${secretsBlock}`;
      const dir = await tempProject(files);
      await cliOk(["-p", name, "up", "-d"], {
        cwd: dir,
        env: { UTF8_SECRET: envValue, EMPTY_SECRET: "" },
        hide: [envValue],
      });
      const container = `${name}-app-1`;
      for (const [key, bytes] of Object.entries(sources)) {
        expect(await digestIn(container, `/run/secrets/${key}`), key).toBe(sha256(bytes));
        const size = await execIn(container, ["stat", "-c", "%s", `/run/secrets/${key}`]);
        expect(Number(size.stdout.trim()), key).toBe(bytes.length);
      }
      expect(await digestIn(container, "/run/secrets/utf8_env")).toBe(sha256(Buffer.from(envValue, "utf8")));
      // An empty variable is a 0-byte secret, never "no file".
      expect(await digestIn(container, "/run/secrets/empty_env")).toBe(sha256(Buffer.alloc(0)));
    });

    // CLARIFICATIONS 15: process.env would turn these bytes into U+FFFD; composec reads the raw
    // environment so the secret holds exactly what the shell set.
    it("an environment value that is not UTF-8 is delivered byte for byte", async () => {
      const name = await project("bytes-env");
      const dir = await tempProject({
        "compose.yaml": `services:\n  app:\n    image: ${images.busybox}\n    command: ${IDLE}\n    secrets:\n      - raw\nsecrets:\n  raw:\n    environment: RAW_SECRET\n`,
      });
      const raw = Buffer.from([0xff, 0xfe, 0x61, 0x62, 0xc3, 0x28, 0x80, 0x63]);
      // bash builds the variable from octal escapes: the bytes never pass through a JS string.
      const octal = [...raw].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) {
        if (value !== undefined && !/^COMPOSEC?_/.test(key)) env[key] = value;
      }
      const code = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          "bash",
          [
            "-c",
            `RAW_SECRET="$(printf '${octal}')" exec "$0" "$@"`,
            process.execPath,
            cliPath,
            "-p",
            name,
            "up",
            "-d",
          ],
          { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] },
        );
        const err: Buffer[] = [];
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        child.on("close", (c) =>
          resolve({ code: c, stderr: scrub(Buffer.concat(err).toString("utf8"), [raw]) }),
        );
      });
      expect(code.code, code.stderr).toBe(0);
      expect(await digestIn(`${name}-app-1`, "/run/secrets/raw")).toBe(sha256(raw));
    });
  });
});
