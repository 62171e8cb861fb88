import * as Plot from '@observablehq/plot';
import { plotToSvg } from './plot-svg.js';

/** One point of a line chart; points of one `series` are joined in the order given. */
export interface LinePoint {
  x: Date | number;
  y: number;
  /** Series name: one line (and one colour) per name. */
  series: string;
  /** Facet name: one row of small multiples per name (all rows share the x axis). */
  facet?: string;
}

export interface LineChartOptions {
  /** Pixels. Default 720. */
  width?: number;
  /** Pixels; with facets, per facet row. Default 260. */
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Horizontal reference lines at these y values. */
  rulesY?: number[];
  /** Start the y axis at zero. Default false. */
  zero?: boolean;
  /** Fixed y axis domain; lines are clipped to it. */
  yDomain?: [number, number];
  /** Label each line at its last point. Default true without facets, false with (the facet names label them). */
  endLabels?: boolean;
}

/** Lines, one per series, each labelled at its last point; optional facet rows. Returns SVG markup. */
export function lineChartSvg(points: readonly LinePoint[], options: LineChartOptions = {}): string {
  if (points.length === 0) throw new Error('lineChartSvg: no points');
  const faceted = points.some((p) => p.facet !== undefined);
  const facetNames = faceted ? [...new Set(points.map((p) => p.facet ?? ''))] : [];
  const rowHeight = options.height ?? 260;
  const data = points as LinePoint[];
  const fy = faceted ? { fy: 'facet' } : {};
  const endLabels = options.endLabels ?? !faceted;
  const marks: Plot.Markish[] = [
    Plot.line(data, { x: 'x', y: 'y', z: 'series', stroke: 'series', strokeWidth: 1.2, clip: options.yDomain !== undefined, ...fy }),
  ];
  if (endLabels) {
    marks.push(Plot.text(data, Plot.selectLast({ x: 'x', y: 'y', z: 'series', text: 'series', fill: 'series', dx: 4, textAnchor: 'start', ...fy })));
  }
  if (faceted) {
    // Facet names inside each row (top left) rather than on a right-hand axis that collides with line labels.
    marks.push(
      Plot.text(facetNames, { fy: (d: string) => d, text: (d: string) => d, frameAnchor: 'top-left', dx: 6, dy: 4, fontWeight: 'bold', stroke: 'white', strokeWidth: 3, fill: 'black', paintOrder: 'stroke' }),
    );
  }
  for (const y of options.rulesY ?? []) marks.push(Plot.ruleY([y], { stroke: '#888', strokeDasharray: '4,3' }));
  return plotToSvg({
    width: options.width ?? 720,
    height: faceted ? Math.max(rowHeight, 60 + facetNames.length * Math.round(rowHeight / 2)) : rowHeight,
    marginRight: endLabels ? 100 : 20,
    grid: true,
    x: { label: options.xLabel ?? null },
    y: { label: options.yLabel ?? null, zero: options.zero ?? false, tickFormat: compactTicks(points.map((p) => p.y)), ...(options.yDomain ? { domain: options.yDomain } : {}) },
    color: { type: 'categorical' },
    ...(faceted ? { fy: { axis: null, domain: facetNames } } : {}),
    marks,
  });
}

/** SI-prefixed ticks (6.2M) for large values, so long numbers do not overflow the left margin. */
export function compactTicks(values: readonly number[]): string | undefined {
  let max = 0;
  for (const v of values) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  return max >= 1e5 ? '~s' : undefined;
}
