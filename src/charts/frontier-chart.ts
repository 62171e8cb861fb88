import * as Plot from '@observablehq/plot';
import { plotToSvg } from './plot-svg.js';

/** One measured setting of one policy on a cost/risk chart. */
export interface FrontierChartPoint {
  /** Policy: one line and colour per series (points joined by cost). */
  series: string;
  /** The setting, written beside the point (e.g. "0.8", "0.1%"). */
  label: string;
  /** Cost, e.g. replica-hours. */
  cost: number;
  /** Risk, e.g. under-provisioned minutes. */
  risk: number;
}

export interface FrontierChartOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Risk on a symmetric log scale (0 stays drawable). Default true. */
  symlog?: boolean;
}

/**
 * Risk against cost for several policies (down and left is better), each a line through its settings with the
 * settings written beside the points. Returns SVG markup.
 */
export function frontierChartSvg(points: readonly FrontierChartPoint[], options: FrontierChartOptions = {}): string {
  if (points.length === 0) throw new Error('frontierChartSvg: no points');
  const data = [...points].sort((a, b) => a.series.localeCompare(b.series) || a.cost - b.cost);
  return plotToSvg({
    width: options.width ?? 760,
    height: options.height ?? 420,
    marginRight: 90,
    grid: true,
    x: { label: options.xLabel ?? 'cost' },
    y: { label: options.yLabel ?? 'risk', ...(options.symlog === false ? {} : { type: 'symlog' as const }) },
    color: { type: 'categorical' },
    marks: [
      Plot.line(data, { x: 'cost', y: 'risk', z: 'series', stroke: 'series', strokeWidth: 1.4 }),
      Plot.dot(data, { x: 'cost', y: 'risk', stroke: 'series', fill: 'series', r: 3 }),
      Plot.text(data, { x: 'cost', y: 'risk', text: 'label', fill: 'series', dx: 5, dy: -6, fontSize: 9, textAnchor: 'start' }),
      Plot.text(data, Plot.selectLast({ x: 'cost', y: 'risk', z: 'series', text: 'series', fill: 'series', dx: 6, dy: 8, fontWeight: 'bold', textAnchor: 'start' })),
    ],
  });
}
