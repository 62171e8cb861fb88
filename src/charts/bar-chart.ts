import * as Plot from '@observablehq/plot';
import { plotToSvg } from './plot-svg.js';

/** One bar: `group` bars sit side by side within each `category`. */
export interface Bar {
  category: string;
  group: string;
  value: number;
}

export interface BarChartOptions {
  /** Pixels. Default 720. */
  width?: number;
  /** Pixels. Default 300. */
  height?: number;
  yLabel?: string;
  /** Dashed horizontal reference lines, e.g. a nominal coverage. */
  rulesY?: number[];
  /** y axis domain; default from zero to the largest value. */
  yDomain?: [number, number];
}

/** Grouped bars (categories along x, groups side by side, each bar labelled with its value). Returns SVG. */
export function barChartSvg(bars: readonly Bar[], options: BarChartOptions = {}): string {
  if (bars.length === 0) throw new Error('barChartSvg: no bars');
  const data = bars.map((b) => ({ ...b, label: formatValue(b.value) }));
  // Groups and categories keep the order they first appear in (Plot would sort them).
  const groups = [...new Set(bars.map((b) => b.group))];
  const categories = [...new Set(bars.map((b) => b.category))];
  const marks: Plot.Markish[] = [
    Plot.barY(data, { fx: 'category', x: 'group', y: 'value', fill: 'group' }),
    Plot.text(data, { fx: 'category', x: 'group', y: 'value', text: 'label', dy: -6, fontSize: 9 }),
    Plot.ruleY([0]),
  ];
  for (const y of options.rulesY ?? []) marks.push(Plot.ruleY([y], { stroke: '#c00', strokeDasharray: '4,3' }));
  return plotToSvg({
    width: options.width ?? 720,
    height: options.height ?? 300,
    marginBottom: 60,
    x: { label: null, tickRotate: -30, domain: groups },
    fx: { label: null, padding: 0.15, domain: categories },
    y: { label: options.yLabel ?? null, grid: true, ...(options.yDomain ? { domain: options.yDomain } : {}) },
    color: { type: 'categorical', domain: groups },
    marks,
  });
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
