/** Rows under a header, each column padded to its widest cell plus three spaces, as the Docker CLI prints. */
export function formatColumns(header: string[], rows: string[][]): string {
  const table = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length)));
  return table
    .map((line) =>
      line
        .map((cell, column) =>
          column === line.length - 1 ? cell : cell.padEnd((widths[column] as number) + 3),
        )
        .join("")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}
