import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkHostKey, knownHostsName, knownKeyTypes } from "./known-hosts.js";

const key = Buffer.from("the server's key blob");
const other = Buffer.from("another key blob");
const b64 = key.toString("base64");

function hashed(name: string): string {
  const salt = Buffer.from("0123456789abcdefghij");
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

describe("known_hosts", () => {
  it("names a host as OpenSSH does, with the port in brackets when it is not 22", () => {
    expect(knownHostsName("h", 22)).toBe("h");
    expect(knownHostsName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
  });

  it("knows a listed key, plain, in a pattern list, wildcarded or hashed", () => {
    const files = (text: string) => [{ file: "/k", text }];
    expect(checkHostKey(files(`[127.0.0.1]:2222 ssh-ed25519 ${b64}\n`), "127.0.0.1", 2222, key)).toEqual({
      kind: "known",
    });
    expect(checkHostKey(files(`a,prod,b ssh-ed25519 ${b64} c\n`), "prod", 22, key)).toEqual({
      kind: "known",
    });
    expect(checkHostKey(files(`*.example ssh-ed25519 ${b64}\n`), "prod.example", 22, key)).toEqual({
      kind: "known",
    });
    expect(checkHostKey(files(`${hashed("[h]:2200")} ssh-ed25519 ${b64}\n`), "h", 2200, key)).toEqual({
      kind: "known",
    });
  });

  it("tells an unknown host from a changed key and a revoked one", () => {
    const files = [
      {
        file: "/k",
        text: `# comment\n\nother ssh-ed25519 ${b64}\nprod ssh-ed25519 ${other.toString("base64")}\n`,
      },
    ];
    expect(checkHostKey(files, "nowhere", 22, key)).toEqual({ kind: "unknown" });
    expect(checkHostKey(files, "prod", 22, key)).toEqual({ kind: "changed", file: "/k", line: 4 });
    // The same name on another port is another host.
    expect(checkHostKey(files, "prod", 2222, key)).toEqual({ kind: "unknown" });
    expect(
      checkHostKey(
        [{ file: "/k", text: `prod ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}\n` }],
        "prod",
        22,
        key,
      ),
    ).toEqual({
      kind: "revoked",
      file: "/k",
      line: 2,
    });
    // A negated pattern excludes the host.
    expect(checkHostKey([{ file: "/k", text: `*,!prod ssh-ed25519 ${b64}\n` }], "prod", 22, key)).toEqual({
      kind: "unknown",
    });
  });

  it("lists the key types known for a host, to offer only those", () => {
    const files = [
      { file: "/k", text: `prod ssh-rsa AAAA\nprod ssh-ed25519 BBBB\nelse ecdsa-sha2-nistp256 CCCC\n` },
    ];
    expect(knownKeyTypes(files, "prod", 22)).toEqual(["ssh-rsa", "ssh-ed25519"]);
  });
});
