import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { toEngineError } from "./client.js";
import { SshEndpointError } from "./ssh-agent.js";

describe("toEngineError", () => {
  const local = { kind: "unix", socketPath: "/var/run/docker.sock" } as const;

  it("starts with the resource and keeps the engine's own words", () => {
    const error = toEngineError(
      "container demo-web-1",
      Object.assign(new Error("(HTTP code 404) no such container"), {
        statusCode: 404,
        json: { message: "No such image: x:1" },
      }),
      local,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toBe("container demo-web-1: No such image: x:1");
    expect(error.resource).toBe("container demo-web-1");
  });

  it("says how to start the engine when the socket is missing or refuses", () => {
    const missing = toEngineError(
      "engine",
      Object.assign(new Error("connect ENOENT"), { code: "ENOENT" }),
      local,
    );
    expect(missing.message).toContain(
      "no socket at /var/run/docker.sock; start it (as root: `bash scripts/engine.sh`, or `sudo dockerd`)",
    );
    const denied = toEngineError(
      "engine",
      Object.assign(new Error("connect EACCES"), { code: "EACCES" }),
      local,
    );
    expect(denied.message).toContain("permission denied");
  });

  it("names the remote endpoint in TLS and ssh failures", () => {
    const tls = {
      kind: "tcp",
      host: "127.0.0.1",
      port: 2376,
      protocol: "https",
      tls: { ca: "/certs/ca.pem", cert: "/certs/cert.pem", key: "/certs/key.pem", verify: true },
    } as const;
    const untrusted = toEngineError(
      "engine",
      Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      }),
      tls,
    );
    expect(untrusted.message).toMatch(
      /^cannot reach the Docker Engine at tcp:\/\/127\.0\.0\.1:2376: its TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*\); it must be signed by the CA in \/certs\/ca\.pem/,
    );
    const refused = toEngineError(
      "engine",
      Object.assign(new Error("ssl3_read_bytes:sslv3 alert bad certificate"), {
        code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
      }),
      tls,
    );
    expect(refused.message).toContain("it does not accept the client certificate /certs/cert.pem");
    const ssh = { kind: "ssh", user: "deploy", host: "prod", port: 22 } as const;
    expect(toEngineError("engine", new SshEndpointError("the host refused deploy's keys"), ssh).message).toBe(
      "cannot reach the Docker Engine at ssh://deploy@prod:22: the host refused deploy's keys",
    );
    expect(
      toEngineError("engine", Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), ssh).message,
    ).toBe(
      "cannot reach the Docker Engine at ssh://deploy@prod:22: connection refused (no ssh server there?); check that sshd runs on that host and port",
    );
  });
});
