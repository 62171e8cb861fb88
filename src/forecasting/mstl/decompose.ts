import { stl } from './stl.js';

/**
 * MSTL (Bandara, Hyndman & Bergmeir 2021): several seasonal periods peeled off one STL at a time, shortest
 * first, and the whole round repeated so each seasonal part is estimated with the others removed. As R's
 * forecast::mstl (and statsforecast's mstl): seasonal windows 7 + 4 i for the i-th period (11 for a day,
 * 15 for a week), two rounds; the trend is the last STL's trend.
 *
 * Left out on purpose: the Box-Cox transform (loads are forecast on their own scale, like the other models).
 */

export interface MstlOptions {
  /** Seasonal periods in steps, e.g. [288, 2016]; periods without two full cycles are dropped. */
  periods: number[];
  /** Rounds over all periods (R's `iterate`). Default 2. */
  rounds?: number;
  /** STL robustness iterations per decomposition; 0 = not robust. */
  outer?: number;
}

export interface MstlResult {
  /** The periods kept (ascending), one seasonal component each. */
  periods: number[];
  seasonals: Float64Array[];
  trend: Float64Array;
  /** y minus all seasonal components: trend + remainder, what the non-seasonal forecaster sees. */
  deseasonalised: Float64Array;
}

/** The seasonal windows R's mstl uses: 7 + 4 i for the i-th period, i = 1, 2, ... */
export function seasonalWindow(index: number): number {
  return 7 + 4 * (index + 1);
}

export function mstl(values: ArrayLike<number>, options: MstlOptions): MstlResult {
  const y = Float64Array.from(values);
  const n = y.length;
  const periods = [...new Set(options.periods)].filter((p) => p >= 2 && n >= 2 * p).sort((a, b) => a - b);
  const seasonals = periods.map(() => new Float64Array(n));
  const deseasonalised = Float64Array.from(y);
  let trend: Float64Array = new Float64Array(n);
  if (periods.length === 0) {
    return { periods, seasonals, trend: Float64Array.from(y), deseasonalised };
  }
  const rounds = options.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    for (const [i, period] of periods.entries()) {
      const season = seasonals[i]!;
      // Put this period's current estimate back, and estimate it again with the others removed.
      for (let t = 0; t < n; t++) deseasonalised[t]! += season[t]!;
      const fit = stl(deseasonalised, { period, seasonalWindow: seasonalWindow(i), outer: options.outer ?? 0 });
      season.set(fit.seasonal);
      trend = fit.trend;
      for (let t = 0; t < n; t++) deseasonalised[t]! -= season[t]!;
    }
  }
  return { periods, seasonals, trend, deseasonalised };
}
