import { QUANTILE_GRID } from '../lstm/intervals.js';
import { HOUR_MS } from './layout.js';

/**
 * Raw intervals of the global model: quantiles of its validation residuals (actual - forecast, in the sample's
 * standardised units: day-spreads) per hour of lead, pooled over every training series. A forecast's bounds are its mean plus
 * the sample's scale times these quantiles: a new target gets the spread the network showed on other series at the
 * same relative scale. Honest but not calibrated for that target; the champion's conformal step recalibrates
 * once the target has validation origins of its own.
 */

export const LEAD_BUCKETS = 24;

export interface LeadResidualTable {
  /** quantiles[b][g]: residual quantile at QUANTILE_GRID[g] for leads in hour b (the last bucket runs on). */
  quantiles: number[][];
}

export function leadBucket(step: number, stepMs: number): number {
  return Math.min(LEAD_BUCKETS - 1, Math.floor((step * stepMs) / HOUR_MS));
}

function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const position = p * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/** `residuals[b]` holds the standardised residuals of lead bucket b. */
export function leadResidualTable(residuals: readonly number[][]): LeadResidualTable {
  return {
    quantiles: residuals.map((bucket) => {
      const sorted = Float64Array.from(bucket).sort();
      return QUANTILE_GRID.map((p) => quantileSorted(sorted, p));
    }),
  };
}

/** The standardised residual quantile at probability p for lead bucket b (interpolated on the grid). */
export function leadResidualQuantile(table: LeadResidualTable, bucket: number, p: number): number {
  const row = table.quantiles[Math.min(bucket, table.quantiles.length - 1)]!;
  const grid = QUANTILE_GRID;
  if (p <= grid[0]!) return row[0]!;
  if (p >= grid[grid.length - 1]!) return row[grid.length - 1]!;
  let g = 0;
  while (grid[g + 1]! < p) g++;
  const w = (p - grid[g]!) / (grid[g + 1]! - grid[g]!);
  return row[g]! + (row[g + 1]! - row[g]!) * w;
}
