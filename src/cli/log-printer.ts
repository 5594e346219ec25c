// Prints container output as `docker compose` does: each line after the container's short name
// (`web-1  | ...`), names padded to one width and coloured in a terminal. Every line goes through
// the project's masker first; this is the one place container output reaches the screen from `logs`
// and `up`.
import type { LogLine } from "../compose/logs.js";
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
  line(line: LogLine): void;
}

/** The container's name without the `<project>-` in front (`web-1`), as Compose shows it. */
export function shortName(projectName: string, container: Pick<ObservedContainer, "name">): string {
  return container.name.startsWith(`${projectName}-`)
    ? container.name.slice(projectName.length + 1)
    : container.name;
}

/** A printer for these containers' lines; colours follow the containers' order. */
export function createLogPrinter(
  output: Output,
  projectName: string,
  containers: ObservedContainer[],
  options: LogPrinterOptions,
): LogPrinter {
  const width = Math.max(0, ...containers.map((container) => shortName(projectName, container).length));
  const prefixes = new Map<string, string>();
  containers.forEach((container, index) => {
    const label = `${shortName(projectName, container).padEnd(width)}  |`;
    const colour = COLOURS[index % COLOURS.length] as number;
    prefixes.set(container.id, options.colour ? `\x1b[${colour}m${label}\x1b[0m ` : `${label} `);
  });
  const prefixOf = (container: ObservedContainer): string =>
    options.prefix ? (prefixes.get(container.id) ?? `${shortName(projectName, container)}  | `) : "";
  const mask = options.mask ?? noMasking;
  return {
    line: (line) => output.stdout(`${prefixOf(line.container)}${mask(line.text)}\n`),
  };
}
