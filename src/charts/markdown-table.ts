/** A Markdown table for notebook output: one row per object, columns in the order given. */
export function markdownTable<T extends Record<string, unknown>>(rows: readonly T[], columns?: readonly (keyof T & string)[]): string {
  if (rows.length === 0) return '_(no rows)_';
  const cols = columns ?? (Object.keys(rows[0]!) as (keyof T & string)[]);
  const cell = (v: unknown) => (typeof v === 'number' ? formatNumber(v) : v === undefined || v === null ? '' : String(v)).replace(/\|/g, '\\|');
  const numeric = cols.map((c) => rows.every((r) => typeof r[c] === 'number' || r[c] === undefined));
  return [
    `| ${cols.join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`),
  ].join('\n');
}

/** Up to 3 decimals, fewer for large magnitudes; whole numbers stay whole. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}
