// Intent: the digest in a versioned name is keyed (another key, another digest), stable for one
// key and value, and separated by kind and compose key, so equal values cannot be spotted by name;
// the key is made once per cluster, mode 0600, and reused.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SecretValue } from "../secrets/secret-value.js";
import { DIGEST_LENGTH, digestKey, digestKeyPath, keyedDigest } from "./digest.js";

const value = () => new SecretValue(Buffer.from("same bytes"));

describe("keyedDigest", () => {
  it("is stable for one key, differs across keys, kinds and compose keys", () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    const one = keyedDigest(a, "secret", "pw", value());
    expect(one).toMatch(new RegExp(`^[0-9a-f]{${DIGEST_LENGTH}}$`));
    expect(keyedDigest(a, "secret", "pw", value())).toBe(one);
    expect(keyedDigest(b, "secret", "pw", value())).not.toBe(one);
    expect(keyedDigest(a, "config", "pw", value())).not.toBe(one);
    expect(keyedDigest(a, "secret", "other", value())).not.toBe(one);
  });
});

describe("digestKey", () => {
  it("makes a 32-byte key with mode 0600 once per cluster and reads it back", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "composec-digest-"));
    try {
      const file = digestKeyPath({ COMPOSEC_HOME: home }, "abc123");
      expect(file).toBe(path.join(home, "swarm", "abc123.key"));
      const [first, second] = await Promise.all([digestKey(file), digestKey(file)]);
      expect(first.length).toBe(32);
      expect(second.equals(first)).toBe(true);
      expect((await digestKey(file)).equals(first)).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
