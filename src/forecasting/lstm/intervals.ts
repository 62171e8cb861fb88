/**
 * Raw prediction intervals from the validation residuals (actual - forecast, in the series' units) of the
 * trained network: per horizon bucket, the empirical quantiles on a fixed probability grid. Any level is read
 * off the grid by interpolation. Honest but not calibrated: the validation slice also chose the stopping epoch,
 * so the bands lean narrow; conformal calibration on backtests is layered on top elsewhere.
 */

/** Probabilities at which residual quantiles are kept (covers levels up to 99%). */
export const QUANTILE_GRID = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99,
  0.995,
] as const;

export interface ResidualTable {
  /** Bucket b covers horizon steps bucketStarts[b] .. bucketStarts[b+1]-1 (the last runs to the horizon). */
  bucketStarts: number[];
  /** quantiles[b][g]: the residual quantile at QUANTILE_GRID[g] for bucket b. */
  quantiles: number[][];
}

/** Buckets widening with the horizon (quadratic spacing): short steps get their own, narrow residuals. */
export function bucketStarts(horizon: number, buckets = 16): number[] {
  const starts = new Set<number>([0]);
  for (let i = 1; i < buckets; i++) starts.add(Math.round(horizon * (i / buckets) ** 2));
  return [...starts].filter((s) => s < horizon).sort((a, b) => a - b);
}

function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const position = p * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (position - lo);
}

/**
 * @param residuals flat count * horizon residuals (actual - forecast) in the series' units
 */
export function residualTable(residuals: Float64Array, horizon: number): ResidualTable {
  const starts = bucketStarts(horizon);
  const count = residuals.length / horizon;
  const quantiles = starts.map((from, b) => {
    const to = b + 1 < starts.length ? starts[b + 1]! : horizon;
    const values = new Float64Array(count * (to - from));
    let k = 0;
    for (let i = 0; i < count; i++) for (let j = from; j < to; j++) values[k++] = residuals[i * horizon + j]!;
    values.sort();
    return QUANTILE_GRID.map((p) => quantileSorted(values, p));
  });
  return { bucketStarts: starts, quantiles };
}

function bucketOf(table: ResidualTable, step: number): number {
  let b = 0;
  while (b + 1 < table.bucketStarts.length && table.bucketStarts[b + 1]! <= step) b++;
  return b;
}

/** The residual quantile at probability p for horizon step `step` (0-based, within the trained horizon). */
export function residualQuantile(table: ResidualTable, step: number, p: number): number {
  const row = table.quantiles[bucketOf(table, step)]!;
  const grid = QUANTILE_GRID;
  if (p <= grid[0]!) return row[0]!;
  if (p >= grid[grid.length - 1]!) return row[grid.length - 1]!;
  let g = 0;
  while (grid[g + 1]! < p) g++;
  const w = (p - grid[g]!) / (grid[g + 1]! - grid[g]!);
  return row[g]! + (row[g + 1]! - row[g]!) * w;
}
