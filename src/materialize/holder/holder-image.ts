// The secrets holder's image, built on the engine itself from a context made in memory: `FROM
// scratch` and the one static executable for the engine's architecture. Nothing is pulled (no
// registry needs to be reachable, nothing foreign runs beside the secrets), and the tag is the
// executable's digest, so a changed holder makes a new image and an unchanged one is built once
// per engine.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Engine } from "../../engine/client.js";
import { EngineError } from "../../errors.js";
import { SECRETS_HOLDER_IMAGE, SECRETS_HOLDER_LABEL } from "../../model/names.js";
import { HOLDER_EXECUTABLES } from "./executables.js";
import { packTar } from "./holder-tar.js";

export type HolderArch = keyof typeof HOLDER_EXECUTABLES;

/** The holder executable for `arch`, as bytes. */
export function holderExecutable(arch: HolderArch): Buffer {
  return Buffer.from(HOLDER_EXECUTABLES[arch], "base64");
}

/** Which holder executable runs on an engine whose `GET /version` says `Arch: arch`. */
export function holderArch(arch: string): HolderArch {
  switch (arch) {
    case "x86_64":
    case "amd64":
      return "amd64";
    case "aarch64":
    case "arm64":
      return "arm64";
    default:
      throw new EngineError(
        `the engine runs on ${arch === "" ? "an unnamed architecture" : `"${arch}"`}: composec's secrets holder exists for x86_64 (amd64) and aarch64 (arm64) only, so secrets cannot be delivered on the engine's side there`,
      );
  }
}

/** `composec-secrets-holder:<12 hex of the executable's sha256>`. */
export function holderImageName(arch: HolderArch): string {
  const digest = createHash("sha256").update(holderExecutable(arch)).digest("hex");
  return `${SECRETS_HOLDER_IMAGE}:${digest.slice(0, 12)}`;
}

/** The build context: a Dockerfile and the executable, as a tar made in memory. */
export async function holderContext(arch: HolderArch): Promise<Buffer> {
  const dockerfile = [
    "FROM scratch",
    "COPY holder /holder",
    `LABEL ${SECRETS_HOLDER_LABEL}=1`,
    'ENTRYPOINT ["/holder"]',
    "",
  ].join("\n");
  const root = { uid: 0, gid: 0 };
  return packTar(
    [
      { type: "file", path: "Dockerfile", mode: 0o644, ...root, bytes: Buffer.from(dockerfile, "utf8") },
      { type: "file", path: "holder", mode: 0o755, ...root, bytes: holderExecutable(arch) },
    ],
    // A fixed time: the same context every time (the classic builder hashes files with their times).
    { seconds: 0, nanos: 0 },
  );
}

/** The holder image for the engine's architecture: found, or built on the engine. Returns its name. */
export async function ensureHolderImage(engine: Engine): Promise<string> {
  const arch = holderArch((await engine.version()).arch);
  const image = holderImageName(arch);
  if (await engine.inspectImage(image)) return image;
  await engine.buildImage(Readable.from([await holderContext(arch)]), { tag: image });
  return image;
}
