// Plain-text tables for the CLI's human-readable output.

/** Left-aligned columns, three spaces apart; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map(
      (r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]! + 3))
          .join('')
          .trimEnd() + '\n',
    )
    .join('');
}

/** Bytes as Docker prints them: kB below a megabyte, MB above (decimal units). */
export function formatSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)}MB` : `${(bytes / 1e3).toFixed(1)}kB`;
}
