// Paths name a place inside a compose document the way users read it: `services.web.secrets[1].mode`.

export type PathSegment = string | number;

/** Formats segments as `services.web.secrets[1].mode`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let text = "";
  for (const segment of segments) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}
