// Every line of container output composec shows (`logs`, attached `up`) passes through a masker
// before it is printed, whole: the log readers buffer output to line ends first, so a value split
// across two output chunks still arrives here in one piece (CLARIFICATIONS.md 16).

/** Hides secret values in one line of output. */
export type Masker = (line: string) => string;

export const MASK = "****";
/** Shorter values would mask ordinary words and numbers everywhere: they are left alone. */
const MIN_LENGTH = 4;

export const noMasking: Masker = (line) => line;

/**
 * A masker for these secret values. A value is also hidden line by line (a multi-line key's lines
 * reach the log one at a time) and without its trailing newline (which a log line never contains).
 */
export function createMasker(values: Buffer[]): Masker {
  const needles = new Set<string>();
  for (const value of values) {
    const text = value.toString("utf8");
    for (const candidate of [text, text.replace(/\r?\n$/, ""), ...text.split(/\r?\n/)]) {
      const trimmed = candidate.replace(/\r$/, "");
      if (trimmed.length >= MIN_LENGTH) needles.add(trimmed);
    }
  }
  if (needles.size === 0) return noMasking;
  // Longest first, so a value containing another is hidden whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (line) => {
    let masked = line;
    for (const needle of ordered) if (masked.includes(needle)) masked = masked.split(needle).join(MASK);
    return masked;
  };
}

/** A masker for the values delivered to the project's containers, read back from its tmpfs. */
export async function projectMasker(projectName: string): Promise<Masker> {
  // Loaded here rather than at the top: `config` masks too, and must not pay at every start for the
  // material's modules (crypto, child processes) it never uses.
  const [{ ProjectMaterial }, { projectMaterialDir }, { runtimeLocation }] = await Promise.all([
    import("../materialize/material.js"),
    import("../compose/secrets.js"),
    import("../materialize/tmpfs.js"),
  ]);
  let location;
  try {
    location = runtimeLocation();
  } catch {
    return noMasking;
  }
  const material = await ProjectMaterial.peek(projectMaterialDir(projectName, location));
  return createMasker(await material.deliveredValues());
}

/** Kept for callers that print before a project is known: shows the line as it is. */
export function maskLine(line: string): string {
  return line;
}
