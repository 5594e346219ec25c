// Sizes and durations as Compose writes them.

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `64m`, `1g`, `512kb`, `1048576` to bytes (binary units, as Docker reads them). */
export function parseByteSize(value: string | number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtb]?)b?$/i.exec(value.trim());
  if (!match) return NaN;
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** `1m30s`, `500ms`, `10s` to nanoseconds (the Engine API's unit); a bare number is seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return value * 1e9;
  const text = value.trim();
  // µs is written \u00b5s in patterns: the CLI bundle must stay ASCII (see scripts/bundle.mjs).
  if (!/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
  }
  return Math.round(total);
}

/** Nanoseconds back to Compose's text form (`1m30s`), for `config` output. */
export function formatDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return "0s";
  let rest = nanoseconds;
  let out = "";
  for (const [unit, size] of [
    ["h", 3600e9],
    ["m", 60e9],
    ["s", 1e9],
    ["ms", 1e6],
    ["us", 1e3],
    ["ns", 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
