import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ancestors, packTar, unpackFiles, volumePath } from "./holder-tar.js";

describe("packTar and unpackFiles", () => {
  it("round-trip bytes, owners and modes, mode 0000 included; directories are left out when read", async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
    const tar = await packTar(
      [
        { type: "directory", path: "d", uid: 0, gid: 0, mode: 0o700 },
        { type: "file", path: "d/a", uid: 1000, gid: 2000, mode: 0o440, bytes },
        { type: "file", path: "d/none", uid: 7, gid: 8, mode: 0, bytes: Buffer.alloc(0) },
      ],
      { seconds: 1_700_000_000, nanos: 5 },
    );
    const files = await unpackFiles(Readable.from([tar]));
    expect(files).toEqual([
      { name: "d/a", bytes, uid: 1000, gid: 2000, mode: 0o440 },
      { name: "d/none", bytes: Buffer.alloc(0), uid: 7, gid: 8, mode: 0 },
    ]);
  });

  it("writes the time with nanoseconds as a PAX mtime record", async () => {
    const tar = await packTar([{ type: "directory", path: "x", uid: 0, gid: 0, mode: 0o755 }], {
      seconds: 1_700_000_000,
      nanos: 42,
    });
    expect(tar.toString("latin1")).toContain("mtime=1700000000.000000042\n");
  });

  it("keeps names longer than a tar header holds", async () => {
    const name = `${"d".repeat(120)}/${"f".repeat(120)}`;
    const tar = await packTar(
      [{ type: "file", path: name, uid: 0, gid: 0, mode: 0o400, bytes: Buffer.from("x") }],
      {
        seconds: 1,
        nanos: 0,
      },
    );
    expect((await unpackFiles(Readable.from([tar]))).map((file) => file.name)).toEqual([name]);
  });
});

describe("volumePath", () => {
  it("normalises paths inside the volume; the root is the empty path", () => {
    expect(volumePath("services/web/")).toBe("services/web");
    expect(volumePath("./a//b/../c")).toBe("a/c");
    expect(volumePath(".")).toBe("");
    expect(volumePath("")).toBe("");
    expect(volumePath("a/..")).toBe("");
  });

  it("refuses absolute paths and paths that climb out", () => {
    expect(volumePath("/etc/passwd")).toBeUndefined();
    expect(volumePath("..")).toBeUndefined();
    expect(volumePath("../x")).toBeUndefined();
    expect(volumePath("a/../../x")).toBeUndefined();
  });
});

describe("ancestors", () => {
  it("lists every directory on the way, shortest first", () => {
    expect(ancestors("a/b/c")).toEqual(["a", "a/b", "a/b/c"]);
    expect(ancestors(".staging")).toEqual([".staging"]);
    expect(ancestors("")).toEqual([]);
  });
});
