/** Columns padded like helm's tables (uitable: cells padded, joined by a tab). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c)).join('\t');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
