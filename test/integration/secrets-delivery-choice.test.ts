// Intent: which delivery path runtime secrets take is visible before anything runs: `config` says
// it (and why) on stderr as a comment, leaving stdout the same YAML document; `up --dry-run` says it
// with the plan; the flag, the environment variable and the file's x-composec force it, the flag
// winning; a bad value is one error (located in the file; a usage error for the flag).
import { describe, expect, it } from "vitest";
import { load as parse } from "js-yaml";
import { cli, images, tempProject, uniqueProjectName } from "./helpers.js";
import { engineResources } from "./secrets-helpers.js";

const compose = (extra = "") => `services:
  app:
    image: ${images.busybox}
    secrets: [token]
secrets:
  token:
    file: ./token.txt
${extra}`;

describe("the delivery path, shown and forced", () => {
  it("config prints a forced or engine-side choice on stderr; stdout stays the same YAML document", async () => {
    const dir = await tempProject({ "compose.yaml": compose(), "token.txt": "t0ken-value" });
    // The default on a local socket is the local tmpfs, as always: config's output is unchanged.
    const plain = await cli(["config"], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toBe("");
    expect(parse(plain.stdout)).toMatchObject({ services: { app: { image: images.busybox } } });

    const forced = await cli(["--secrets-delivery", "engine", "config"], { cwd: dir });
    expect(forced.stderr).toBe("# secrets delivery: engine (forced by --secrets-delivery)\n");
    expect(forced.stdout).toBe(plain.stdout);
    const byEnv = await cli(["config"], { cwd: dir, env: { COMPOSEC_SECRETS_DELIVERY: "engine" } });
    expect(byEnv.stderr).toBe("# secrets delivery: engine (forced by COMPOSEC_SECRETS_DELIVERY)\n");
  });

  it("x-composec.secrets-delivery forces the path; the flag wins; bad values are one clear error each", async () => {
    const dir = await tempProject({
      "compose.yaml": compose("x-composec:\n  secrets-delivery: engine\n"),
      "token.txt": "t0ken-value",
    });
    const fromFile = await cli(["config"], { cwd: dir });
    expect(fromFile.stderr).toBe("# secrets delivery: engine (forced by x-composec.secrets-delivery)\n");
    const flagWins = await cli(["--secrets-delivery", "local", "config"], { cwd: dir });
    expect(flagWins.stderr).toBe("# secrets delivery: local (forced by --secrets-delivery)\n");

    const bad = await tempProject({
      "compose.yaml": compose("x-composec:\n  secrets-delivery: remote\n"),
      "token.txt": "t0ken-value",
    });
    const located = await cli(["config"], { cwd: bad });
    expect(located.code).toBe(1);
    expect(located.stderr).toBe(
      `error: ${bad}/compose.yaml:9:21 x-composec.secrets-delivery: "remote" is not a delivery path; use local (a tmpfs on this host) or engine (a tmpfs on the engine's host)\n`,
    );
    const usage = await cli(["--secrets-delivery", "remote", "up", "-d"], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--secrets-delivery "remote" is not a delivery path; use local or engine');
  });

  it("up --dry-run says which path and why, and makes nothing on either path", async () => {
    const name = uniqueProjectName("choice-dry");
    const dir = await tempProject({ "compose.yaml": compose(), "token.txt": "t0ken-value" });
    const local = await cli(["-p", name, "--dry-run", "up", "-d"], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain(
      "secrets delivery: local (the engine (unix:///var/run/docker.sock) is a unix socket on this host)",
    );
    const engine = await cli(["-p", name, "--dry-run", "up", "-d"], {
      cwd: dir,
      env: { COMPOSEC_SECRETS_DELIVERY: "engine" },
    });
    expect(engine.code, engine.stderr).toBe(0);
    expect(engine.stdout).toContain("secrets delivery: engine (forced by COMPOSEC_SECRETS_DELIVERY)");
    expect(await engineResources(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
