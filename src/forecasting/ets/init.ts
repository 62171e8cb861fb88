import type { EtsSpec, EtsState } from './types.js';

/**
 * Heuristic initial states by classical decomposition over the first seasons. Only the smoothing
 * parameters (and a level offset) are estimated by the optimiser: estimating 288 or 2016 seasonal states
 * by likelihood would cost far more than the whole fit budget and overfit short histories.
 *
 * - One period m: level0 = mean(y[0:m]); trend0 = (mean(y[m:2m]) - mean(y[0:m])) / m; the profile is the
 *   average, over up to 7 seasons, of each season's values minus (or divided by) that season's mean, so a
 *   daily profile averages over the days of a week.
 * - Two periods (day m1, week m2): the weekly profile W (as above over up to 8 weeks), the daily profile
 *   D = W averaged over its days, and the weekly component W - D (or W / D) smoothed over a window of
 *   about an hour of slots, because two to eight weeks give a noisy estimate.
 * Multiplicative profiles are normalised to mean 1, additive ones to mean 0.
 */
/** Seasons averaged for a single-period profile (a week of days) and for the weekly profile. */
const DAY_SEASONS = 7;
const WEEK_SEASONS = 8;

export function heuristicInitialState(y: ArrayLike<number>, spec: EtsSpec): EtsState {
  const n = y.length;
  const mult = spec.season === 'M';
  const hasTrend = spec.trend !== 'N';
  const periods = spec.season === 'N' ? [] : spec.periods;
  const first = periods.length > 0 ? periods[periods.length - 1]! : Math.min(n, 12);
  const level = mean(y, 0, Math.min(first, n));
  let trend = 0;
  if (hasTrend) {
    const m = periods.length > 0 ? periods[0]! : Math.max(1, Math.min(12, Math.floor(n / 2)));
    trend = n >= 2 * m ? (mean(y, m, 2 * m) - mean(y, 0, m)) / m : 0;
  }
  const seasons: Float64Array[] = [];
  if (periods.length === 1) {
    seasons.push(seasonProfile(y, periods[0]!, DAY_SEASONS, mult));
  } else if (periods.length === 2) {
    const [m1, m2] = [periods[0]!, periods[1]!];
    const weekly = seasonProfile(y, m2, WEEK_SEASONS, mult);
    const daily = new Float64Array(m1);
    const days = m2 / m1;
    for (let j = 0; j < m2; j++) daily[j % m1]! += weekly[j]! / days;
    const rest = new Float64Array(m2);
    for (let j = 0; j < m2; j++) rest[j] = mult ? weekly[j]! / daily[j % m1]! : weekly[j]! - daily[j % m1]!;
    seasons.push(daily, normalise(circularSmooth(rest, Math.max(1, Math.round(m1 / 24))), mult));
  }
  return { level, trend, seasons, t: 0, lastResidual: 0 };
}

/** Average deviation of each slot from its season's mean, over the first `maxSeasons` whole seasons. */
function seasonProfile(y: ArrayLike<number>, m: number, maxSeasons: number, mult: boolean): Float64Array {
  const k = Math.max(1, Math.min(maxSeasons, Math.floor(y.length / m)));
  const profile = new Float64Array(m);
  for (let s = 0; s < k; s++) {
    const mu = mean(y, s * m, (s + 1) * m);
    for (let j = 0; j < m; j++) {
      const v = y[s * m + j]!;
      profile[j]! += (mult ? (mu > 0 ? v / mu : 1) : v - mu) / k;
    }
  }
  return normalise(profile, mult);
}

function circularSmooth(x: Float64Array, halfWidth: number): Float64Array {
  const m = x.length;
  const out = new Float64Array(m);
  const w = 2 * halfWidth + 1;
  let sum = 0;
  for (let j = -halfWidth; j <= halfWidth; j++) sum += x[((j % m) + m) % m]!;
  for (let j = 0; j < m; j++) {
    out[j] = sum / w;
    sum += x[(j + halfWidth + 1) % m]! - x[(((j - halfWidth) % m) + m) % m]!;
  }
  return out;
}

function normalise(x: Float64Array, mult: boolean): Float64Array {
  const mu = mean(x, 0, x.length);
  for (let j = 0; j < x.length; j++) x[j] = mult ? (mu > 0 ? x[j]! / mu : 1) : x[j]! - mu;
  return x;
}

function mean(y: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += y[i]!;
  return to > from ? s / (to - from) : 0;
}
