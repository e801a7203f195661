/** One figure of the benchmark, with the reference it is compared to in the same run. */
export interface BenchRow {
  group: string;
  name: string;
  value: number;
  unit: string;
  /** What the value is compared with, measured in the same run. */
  reference?: { name: string; value: number };
  note?: string;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Renders rows as a Markdown table (readable in a terminal and pasteable into the README). */
export function renderTable(rows: readonly BenchRow[]): string {
  const header = ['group', 'figure', 'value', 'reference (same run)', 'ratio'];
  const lines = rows.map((r) => [
    r.group,
    r.name + (r.note ? ` (${r.note})` : ''),
    `${fmt(r.value)} ${r.unit}`,
    r.reference ? `${r.reference.name}: ${fmt(r.reference.value)} ${r.unit}` : '',
    r.reference && r.reference.value !== 0 ? `${fmt(r.value / r.reference.value)}x` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
