import { describe, expect, it } from "vitest";
import {
  isUnderSecretsDir,
  mountHidingSecrets,
  mountTargetKey,
  secretTarget,
  targetCollisions,
} from "./secret-rules.js";

describe("secret rules", () => {
  it("places a relative secret target under /run/secrets and tells it from an absolute one", () => {
    expect(secretTarget("db")).toBe("/run/secrets/db");
    expect(isUnderSecretsDir("/run/secrets/db")).toBe(true);
    expect(isUnderSecretsDir("/etc/db.conf")).toBe(false);
    expect(isUnderSecretsDir("/run/secrets")).toBe(false);
  });

  it("keeps the first grant at a target and reports each later one, with the mount it lands on", () => {
    const first = { target: "/run/secrets/a", name: "first" };
    const second = { target: "/run/secrets/a", name: "second" };
    const onMount = { target: "/data", name: "onMount" };
    const free = { target: "/run/secrets/b", name: "free" };
    const mounts = new Map([[mountTargetKey("/data/"), "volume cache"]]);
    expect(targetCollisions([first, second, onMount, free], mounts)).toEqual([
      { grant: second, collision: { with: "grant", grant: first } },
      { grant: onMount, collision: { with: "mount", mount: "volume cache" } },
    ]);
  });

  it("names a mount at /run/secrets only when a grant lands under it", () => {
    const mounts = new Map([[mountTargetKey("/run/secrets/"), "tmpfs"]]);
    expect(mountHidingSecrets([{ target: "/run/secrets/a" }], mounts)).toBe("tmpfs");
    expect(mountHidingSecrets([{ target: "/etc/a" }], mounts)).toBeUndefined();
    expect(mountHidingSecrets([{ target: "/run/secrets/a" }], new Map([["/run", "tmpfs"]]))).toBeUndefined();
  });
});
