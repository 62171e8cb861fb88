import type { Forecast } from './forecaster.js';
import type { ForecastPoint } from '../metrics/metrics-store.js';

/**
 * Rebuilds a Forecast from stored points (the planner reads forecasts back from the store, so any replica can
 * plan from what any worker forecast). Keeps the contiguous run of points from the first one on the grid;
 * returns null when there is nothing.
 */
export function forecastFromPoints(points: ForecastPoint[], stepMs: number): Forecast | null {
  const sorted = [...points].sort((a, b) => a.time - b.time);
  const first = sorted[0];
  if (!first) return null;
  const run: ForecastPoint[] = [];
  for (const point of sorted) {
    if (point.time !== first.time + run.length * stepMs) break;
    run.push(point);
  }
  const bound = (level: 80 | 95) => {
    const lo = level === 80 ? 'lo80' : 'lo95';
    const hi = level === 80 ? 'hi80' : 'hi95';
    if (!run.every((p) => p[lo] !== undefined && p[hi] !== undefined)) return [];
    return [{ level, lower: run.map((p) => p[lo]!), upper: run.map((p) => p[hi]!) }];
  };
  return {
    startMs: first.time,
    stepMs,
    mean: run.map((p) => p.mean),
    intervals: [...bound(80), ...bound(95)],
    model: first.model,
    notes: [`issued at ${new Date(first.issuedAt).toISOString()}`],
  };
}
