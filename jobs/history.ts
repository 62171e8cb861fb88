import type { MetricRef } from '../src/config/schema.js';
import type { RegularSeries } from '../src/forecasting/forecaster.js';
import type { MetricsStore } from '../src/metrics/metrics-store.js';

/**
 * Reads a metric as a gap-free regular series for the forecasters: interior gaps interpolated linearly,
 * leading and trailing empty steps dropped (nothing to interpolate from). Returns null when empty.
 */
export async function readHistory(store: MetricsStore, metric: MetricRef, from: number, to: number, stepMs: number): Promise<RegularSeries | null> {
  const grid = await store.readSeries({ measurement: metric.measurement, field: metric.field, tags: metric.tags, from, to, stepMs, aggregate: metric.aggregate, gap: 'linear' });
  let first = 0;
  let last = grid.values.length - 1;
  while (first <= last && grid.values[first] === null) first++;
  while (last >= first && grid.values[last] === null) last--;
  if (first > last) return null;
  const values = grid.values.slice(first, last + 1).map((v) => v ?? 0);
  return { startMs: grid.startMs + first * grid.stepMs, stepMs: grid.stepMs, values };
}
