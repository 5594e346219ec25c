// The test images (scripts/images.sh) are built from loose files of this machine; prove each one
// actually runs before other tests rely on it, so a broken image shows up here and not as a
// puzzling failure elsewhere.
import { describe, expect, it } from "vitest";
import { images, runInImage } from "./helpers.js";

describe("test images", () => {
  it("busybox runs as root and knows the app user", async () => {
    const result = await runInImage(images.busybox, ["sh", "-c", "id -u; id -u app; id -u nobody"]);
    expect(result).toMatchObject({ code: 0, stdout: "0\n1000\n65534\n" });
  });

  it("busybox runs as app (uid 1000) with a writable /tmp", async () => {
    const result = await runInImage(images.busybox, ["sh", "-c", "id -un; touch /tmp/x && echo ok"], {
      user: "app",
    });
    expect(result).toMatchObject({ code: 0, stdout: "app\nok\n" });
  });

  it("node prints its version", async () => {
    const result = await runInImage(images.node, ["node", "-e", "console.log(process.version)"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^v\d+\.\d+\.\d+\n$/);
  });

  it("redis-server prints its version", async () => {
    const result = await runInImage(images.redis, ["redis-server", "--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Redis server v=\d+\.\d+\.\d+/);
  });
});
