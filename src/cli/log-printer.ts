// Prints container output as `docker compose` does: each line after the container's short name
// (`web-1  | ...`), names padded to one width and coloured in a terminal. Every line goes through
// the project's masker first; this is the one place container output reaches the screen from `logs`
// and `up`.
import type { LogOutput } from "../compose/logs.js";
import type { ObservedContainer } from "../plan/state.js";
import { noMasking, type Masker } from "./mask.js";
import type { Output } from "./output.js";

const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export interface LogPrinterOptions {
  /** Print the `web-1  | ` prefix (`--no-log-prefix` turns it off). */
  prefix: boolean;
  /** Colour the prefix (a terminal, and no `--no-color`). */
  colour: boolean;
  /** Hides the project's secret values (see projectMasker). */
  mask?: Masker;
}

export interface LogPrinter {
  /** A container's line to stdout; a notice about a container (no output to show) to stderr. */
  line(line: LogOutput): void;
  /** Resolves once every line given so far is printed (a masker with `refresh` holds them until it ran). */
  flush(): Promise<void>;
}

/** The container's name without the `<project>-` in front (`web-1`), as Compose shows it. */
export function shortName(projectName: string, container: Pick<ObservedContainer, "name">): string {
  return container.name.startsWith(`${projectName}-`)
    ? container.name.slice(projectName.length + 1)
    : container.name;
}

/**
 * A printer for these containers' lines; colours follow the containers' order. Containers that
 * come later (`logs -f`) get the next colour, or their predecessor's when they take its name (a
 * recreated container); a longer name widens the column from then on.
 */
export function createLogPrinter(
  output: Output,
  projectName: string,
  containers: ObservedContainer[],
  options: LogPrinterOptions,
): LogPrinter {
  let width = Math.max(0, ...containers.map((container) => shortName(projectName, container).length));
  const colours = new Map<string, number>();
  const colourOf = (name: string): number => {
    let colour = colours.get(name);
    if (colour === undefined) {
      colour = COLOURS[colours.size % COLOURS.length] as number;
      colours.set(name, colour);
    }
    return colour;
  };
  for (const container of containers) colourOf(shortName(projectName, container));
  // Made once per name, again for all when a longer name widens the column.
  const prefixes = new Map<string, string>();
  const prefixOf = (container: ObservedContainer): string => {
    if (!options.prefix) return "";
    const name = shortName(projectName, container);
    if (name.length > width) {
      width = name.length;
      prefixes.clear();
    }
    let prefix = prefixes.get(name);
    if (prefix === undefined) {
      const label = `${name.padEnd(width)}  |`;
      prefix = options.colour ? `\x1b[${colourOf(name)}m${label}\x1b[0m ` : `${label} `;
      prefixes.set(name, prefix);
    }
    return prefix;
  };
  const mask = options.mask ?? noMasking;
  const print = (line: LogOutput): void =>
    "notice" in line
      ? output.stderr(`warning: ${line.notice}\n`)
      : output.stdout(`${prefixOf(line.container)}${mask(line.text)}\n`);
  const refresh = mask.refresh;
  if (refresh === undefined) return { line: print, flush: () => Promise.resolve() };
  // Lines wait for the masker's next refresh, begun after they arrived: only then are the values
  // in place when they were printed known. One refresh serves every line queued meanwhile.
  let queue: LogOutput[] = [];
  let pumping: Promise<void> | undefined;
  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await refresh();
      } catch (error) {
        // Failing closed: lines that cannot be masked are not shown.
        output.stderr(
          `warning: ${batch.length} line(s) not shown: the delivered secrets to mask in them could not be read (${(error as Error).message})\n`,
        );
        continue;
      }
      for (const line of batch) print(line);
    }
    pumping = undefined;
  };
  return {
    line: (line) => {
      queue.push(line);
      pumping ??= pump();
    },
    flush: async () => {
      while (pumping !== undefined) await pumping;
    },
  };
}
