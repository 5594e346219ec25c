// Every line of container output composec shows (`logs`, attached `up`) passes through maskLine
// before it is printed, whole: the log readers buffer output to line ends first, so a value split
// across two output chunks still arrives here in one piece (CLARIFICATIONS.md 16).

/** Replaced by secret masking: returns the line with every delivered secret value hidden. */
export function maskLine(line: string): string {
  return line;
}
