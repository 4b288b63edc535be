/** What a table may use when the output is not a terminal that says its width. */
export const DEFAULT_WIDTH = 80;
const GAP = 2;
const MIN_SHRUNK = 8;

export interface TableOptions {
  /** The width to fit; DEFAULT_WIDTH by default. */
  width?: number;
  /** Columns that may be cut short (with …) to fit, the first cut first. */
  shrink?: number[];
}

/** The width of the terminal, or DEFAULT_WIDTH when output goes to a file or a pipe. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.max(stream.columns, 40) : DEFAULT_WIDTH;
}

/** Cuts text to `width` characters, marking the cut with … */
export function shorten(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(width - 1, 0))}…`;
}

/**
 * Renders rows as aligned columns for a terminal. When they would be wider than the
 * terminal, the `shrink` columns are cut, widest first, down to a floor; the full text
 * is in each command's --json.
 */
export function formatTable(header: string[], rows: string[][], options: TableOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const cells = rows.map((row) => row.map((cell) => cell.replace(/\s+/g, ' ')));
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)));
  const total = (): number => widths.reduce((sum, each) => sum + each, 0) + GAP * (widths.length - 1);
  const shrinkable = options.shrink ?? [];
  // One character at a time from the widest cuttable column, so that cut columns end up alike.
  while (total() > width) {
    const candidates = shrinkable.filter((column) => (widths[column] ?? 0) > Math.max(MIN_SHRUNK, header[column]?.length ?? 0));
    if (candidates.length === 0) break;
    const widest = candidates.reduce((best, column) => ((widths[column] ?? 0) > (widths[best] ?? 0) ? column : best));
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const line = (row: string[]): string =>
    row
      .map((cell, column) => shorten(cell, widths[column] ?? 0).padEnd(widths[column] ?? 0))
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(header), line(widths.map((each) => '-'.repeat(each))), ...cells.map(line)].join('\n');
}

/** "in 5h", "12m ago", "due": short enough for a table column. */
export function relativeTime(iso: string | null, now: Date): string {
  if (iso === null) return '-';
  const deltaMs = Date.parse(iso) - now.getTime();
  const minutes = Math.round(Math.abs(deltaMs) / 60_000);
  if (minutes < 1) return deltaMs >= 0 ? 'now' : 'just now';
  const amount = minutes < 60 ? `${minutes}m` : minutes < 48 * 60 ? `${Math.round(minutes / 60)}h` : `${Math.round(minutes / 1440)}d`;
  return deltaMs >= 0 ? `in ${amount}` : `${amount} ago`;
}
