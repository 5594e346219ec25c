// `platform: os[/arch[/variant]]` compared with what an image says it is built for (its inspect's
// Os, Architecture, Variant), with the aliases the Engine (containerd's platforms package)
// accepts, so `linux/x86_64` is `linux/amd64` and `linux/arm64/v8` is `linux/arm64`.

export interface Platform {
  os: string;
  architecture?: string;
  variant?: string;
}

const ARCHITECTURES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: "amd64" },
  "x86-64": { architecture: "amd64" },
  aarch64: { architecture: "arm64" },
  armhf: { architecture: "arm", variant: "v7" },
  armel: { architecture: "arm", variant: "v6" },
  i386: { architecture: "386" },
};

/** Parses `linux`, `linux/amd64`, `linux/arm/v7`; case and aliases normalised. */
export function parsePlatform(text: string): Platform {
  const [os = "", arch, variant] = text.trim().toLowerCase().split("/");
  const platform: Platform = { os };
  if (arch !== undefined && arch !== "") {
    const alias = ARCHITECTURES[arch];
    platform.architecture = alias?.architecture ?? arch;
    const chosen = variant ?? alias?.variant;
    if (chosen !== undefined && chosen !== "") platform.variant = chosen;
  }
  // arm64's only variant is v8: `linux/arm64/v8` and `linux/arm64` are one platform.
  if (platform.architecture === "arm64" && platform.variant === "v8") delete platform.variant;
  return platform;
}

/** `linux/amd64`, `linux/arm/v7`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}

/**
 * Whether an image built for `image` runs as `wanted` asks: each part `wanted` names must match;
 * a part it leaves out (`linux` alone, no variant) matches anything.
 */
export function platformMatches(wanted: Platform, image: Platform): boolean {
  const have = parsePlatform(formatPlatform(image));
  if (wanted.os !== have.os) return false;
  if (wanted.architecture !== undefined && wanted.architecture !== have.architecture) return false;
  if (wanted.variant !== undefined && have.variant !== undefined && wanted.variant !== have.variant) {
    return false;
  }
  return true;
}
