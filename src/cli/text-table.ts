/**
 * Plain-text tables for terminal output: a header, a rule, one line per row, columns padded to their widest
 * cell; numeric columns (every cell a number or empty) are right-aligned and printed with formatNumber.
 * Left out: wrapping, colours and terminal width (long cells widen the table; pipe to `less -S`).
 */
import { formatNumber } from '../charts/markdown-table.js';

export type Cell = string | number | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
  /** Force alignment; by default numbers align right, text left. */
  align?: 'left' | 'right';
}

const text = (cell: Cell) => (typeof cell === 'number' ? formatNumber(cell) : (cell ?? ''));

export function textTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const align = columns.map((c, i) => c.align ?? (cells.length > 0 && cells.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined) ? 'right' : 'left'));
  const lines = [columns.map((c) => c.header), ...cells.map((r) => r.map(text))];
  const widths = columns.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const render = (line: string[]) => line.map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [render(lines[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(render)].join('\n');
}
