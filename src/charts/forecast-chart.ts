import * as Plot from '@observablehq/plot';
import { compactTicks } from './line-chart.js';
import { plotToSvg } from './plot-svg.js';

/** One time point of a forecast-vs-actual chart. */
export interface ForecastPoint {
  t: Date;
  actual?: number;
  mean?: number;
  lo80?: number;
  hi80?: number;
  lo95?: number;
  hi95?: number;
  /**
   * Which forecast the point belongs to (e.g. the origin's index): bands and mean lines of different
   * origins are drawn as separate pieces instead of being joined.
   */
  origin?: number;
}

export interface ForecastChartOptions {
  /** Pixels. Default 760. */
  width?: number;
  /** Pixels. Default 320. */
  height?: number;
  yLabel?: string;
  /** Vertical dashed lines, e.g. where the forecasts start. */
  markersX?: Date[];
}

/**
 * Actual load (black) against the forecast mean (blue) with the 95% (light) and 80% (darker) bands.
 * Returns SVG markup.
 */
export function forecastChartSvg(points: readonly ForecastPoint[], options: ForecastChartOptions = {}): string {
  const withMean = points.filter((p) => p.mean !== undefined);
  if (withMean.length === 0) throw new Error('forecastChartSvg: no forecast points');
  const actual = points.filter((p) => p.actual !== undefined);
  const band95 = withMean.filter((p) => p.lo95 !== undefined && p.hi95 !== undefined);
  const band80 = withMean.filter((p) => p.lo80 !== undefined && p.hi80 !== undefined);
  const z = (p: ForecastPoint) => p.origin ?? 0;
  const marks: Plot.Markish[] = [
    Plot.areaY(band95, { x: 't', y1: 'lo95', y2: 'hi95', z, fill: 'steelblue', fillOpacity: 0.18 }),
    Plot.areaY(band80, { x: 't', y1: 'lo80', y2: 'hi80', z, fill: 'steelblue', fillOpacity: 0.35 }),
    Plot.line(actual, { x: 't', y: 'actual', stroke: 'black', strokeWidth: 1.1 }),
    Plot.line(withMean, { x: 't', y: 'mean', z, stroke: '#1f5fa8', strokeWidth: 1.4 }),
    Plot.text(actual, Plot.selectLast({ x: 't', y: 'actual', text: () => 'actual', dx: 4, dy: -8, textAnchor: 'start' })),
    Plot.text(withMean, Plot.selectLast({ x: 't', y: 'mean', text: () => 'forecast (80/95%)', dx: 4, dy: 8, textAnchor: 'start', fill: '#1f5fa8' })),
  ];
  if (options.markersX?.length) marks.push(Plot.ruleX(options.markersX, { stroke: '#888', strokeDasharray: '3,3' }));
  return plotToSvg({
    width: options.width ?? 760,
    height: options.height ?? 320,
    marginRight: 110,
    grid: true,
    x: { label: null, type: 'utc' },
    y: { label: options.yLabel ?? null, tickFormat: compactTicks(points.flatMap((p) => [p.actual ?? 0, p.hi95 ?? p.mean ?? 0])) },
    marks,
  });
}
