import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../errors.js";
import { holderArch, holderContext, holderExecutable, holderImageName } from "./holder-image.js";
import { unpackFiles } from "./holder-tar.js";

describe("holderArch", () => {
  it("maps the engine's names of x86_64 and aarch64", () => {
    expect(holderArch("x86_64")).toBe("amd64");
    expect(holderArch("amd64")).toBe("amd64");
    expect(holderArch("aarch64")).toBe("arm64");
    expect(holderArch("arm64")).toBe("arm64");
  });

  it("refuses any other architecture, naming it", () => {
    expect(() => holderArch("s390x")).toThrow(EngineError);
    expect(() => holderArch("s390x")).toThrow(
      /"s390x": composec's secrets holder exists for x86_64 \(amd64\) and aarch64/,
    );
    expect(() => holderArch("")).toThrow(/an unnamed architecture/);
  });
});

describe("holderImageName", () => {
  it("tags the image with the start of the executable's sha256, per architecture", () => {
    for (const arch of ["amd64", "arm64"] as const) {
      const digest = createHash("sha256").update(holderExecutable(arch)).digest("hex");
      expect(holderImageName(arch)).toBe(`composec-secrets-holder:${digest.slice(0, 12)}`);
    }
    expect(holderImageName("amd64")).not.toBe(holderImageName("arm64"));
  });
});

describe("holderContext", () => {
  it("holds a FROM scratch Dockerfile and the executable, the same bytes every time", async () => {
    const context = await holderContext("arm64");
    expect(context.equals(await holderContext("arm64"))).toBe(true);
    const files = await unpackFiles(Readable.from([context]));
    expect(files.map((file) => [file.name, file.mode])).toEqual([
      ["Dockerfile", 0o644],
      ["holder", 0o755],
    ]);
    expect(files[0]!.bytes.toString("utf8")).toBe(
      'FROM scratch\nCOPY holder /holder\nLABEL io.composec.secrets-holder=1\nENTRYPOINT ["/holder"]\n',
    );
    expect(files[1]!.bytes.equals(holderExecutable("arm64"))).toBe(true);
  });
});
