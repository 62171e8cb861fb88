/**
 * Forecast accuracy exactly as shared/data/EVALUATION.md and shared/tools/score_forecast.py define it.
 * The sums run in the same order as the scorer's so the printed numbers are identical, not just close.
 */

/** One scored point: the observation, the point forecast and optional interval bounds. */
export interface ScoredPoint {
  y: number;
  yhat: number;
  lo80?: number;
  hi80?: number;
  lo95?: number;
  hi95?: number;
}

export interface AccuracyScores {
  rows: number;
  mae: number;
  mase: number;
  /** Percent (0..200). */
  smape: number;
  /** Share of rows inside [lo80, hi80]; undefined when no interval was given. */
  coverage80?: number;
  coverage95?: number;
}

/** In-sample seasonal naive MAE over t = m .. nTrain-1: the MASE denominator. */
export function maseScale(values: readonly number[], nTrain: number, season: number): number {
  let sum = 0;
  let count = 0;
  for (let t = season; t < nTrain; t++) {
    sum += Math.abs(values[t]! - values[t - season]!);
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** MASE, sMAPE, MAE and interval coverage of the rows, with `scale` from maseScale. */
export function scoreForecasts(points: readonly ScoredPoint[], scale: number): AccuracyScores {
  if (points.length === 0) throw new Error('no rows to score');
  let absErr = 0;
  let smape = 0;
  const hits = { 80: 0, 95: 0 };
  const given = { 80: 0, 95: 0 };
  for (const p of points) {
    const e = Math.abs(p.y - p.yhat);
    absErr += e;
    const den = Math.abs(p.y) + Math.abs(p.yhat);
    smape += den === 0 ? 0 : (2 * e) / den;
    for (const [level, lo, hi] of [
      [80, p.lo80, p.hi80],
      [95, p.lo95, p.hi95],
    ] as const) {
      if (lo === undefined || hi === undefined) continue;
      given[level]++;
      if (lo <= p.y && p.y <= hi) hits[level]++;
    }
  }
  const n = points.length;
  return {
    rows: n,
    mae: absErr / n,
    mase: absErr / n / scale,
    smape: (100 * smape) / n,
    coverage80: given[80] ? hits[80] / given[80] : undefined,
    coverage95: given[95] ? hits[95] / given[95] : undefined,
  };
}

/** Mean absolute scaled error of plain arrays (used by inner backtests, where no bounds matter). */
export function meanAbsoluteError(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i]! - predicted[i]!);
  return sum / actual.length;
}
