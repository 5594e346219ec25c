// Looks into containers and images the way the crash suite needs: digests only, never a value.
import { runInImage } from "../integration/helpers.js";
import { execIn } from "../integration/secrets-helpers.js";

/** The sha256 of each file as the container reads it (one exec for all), undefined where it cannot. */
export async function digestIn(container: string, files: string[]): Promise<(string | undefined)[]> {
  const result = await execIn(container, ["sha256sum", ...files]).catch(() => undefined);
  const byFile = new Map<string, string>();
  for (const line of result?.stdout.split("\n") ?? []) {
    const [digest, file] = line.trim().split(/\s+/);
    if (digest && file) byFile.set(file, digest);
  }
  return files.map((file) => byFile.get(file));
}

/** The text of `file` in a throwaway container of `image` (a digest the build wrote), trimmed. */
export async function runInImageDigest(image: string, file: string): Promise<string | undefined> {
  const result = await runInImage(image, ["cat", file]).catch(() => undefined);
  return result?.code === 0 ? result.stdout.trim() : undefined;
}
