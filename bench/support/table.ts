/** One line of a benchmark's figures: column name → value. */
export type BenchRow = Readonly<Record<string, string | number | boolean | null>>;

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/\|/g, '\\|');
}

function columnsOf(row: BenchRow): string[] {
  return Object.keys(row);
}

/**
 * Rows as Markdown tables, readable in a terminal and pasted as is into bench/README.md.
 * Consecutive rows with the same columns share a table; a row with other columns starts
 * the next one, so a benchmark can return load figures and single figures side by side.
 */
export function renderTables(rows: readonly BenchRow[]): string {
  const groups: BenchRow[][] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    const lastColumns = last?.[0] ? columnsOf(last[0]).join('\u0000') : null;
    if (last && lastColumns === columnsOf(row).join('\u0000')) last.push(row);
    else groups.push([row]);
  }
  return groups.map(renderTable).join('\n');
}

function renderTable(rows: BenchRow[]): string {
  const columns = rows[0] ? columnsOf(rows[0]) : [];
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => (line[i] ?? '').length), 3));
  const line = (values: string[]): string => `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n') + '\n';
}
