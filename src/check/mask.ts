// How a found value is shown: never the value, only enough to recognise it.

/**
 * A preview of at most four characters (fewer for short values: never more than a quarter of the
 * value), masked, with the length: `"ghp_****" (40 characters)`.
 */
export function maskedPreview(value: string | Buffer): string {
  const text = typeof value === "string" ? value : value.toString("utf8");
  const characters = [...text];
  const shown = Math.min(4, Math.floor(characters.length / 4));
  // A preview of printable characters only: a control character would not show what it is.
  const head = characters
    .slice(0, shown)
    .join("")
    .replace(/[^\x20-\x7e]/g, "?");
  return `"${head}****" (${characters.length} characters)`;
}

/** The masked preview of the secret value found at `hit` in `text`. */
export function previewOf(text: string | Buffer, hit: { offset: number; length: number }): string {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  return maskedPreview(bytes.subarray(hit.offset, hit.offset + hit.length));
}
