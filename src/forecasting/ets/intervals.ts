import { etsFilter, etsForecast } from './filter.js';
import { normalQuantile, normalSource } from './random.js';
import { cloneState, isLinear, type EtsParams, type EtsSpec, type EtsState } from './types.js';

/**
 * Prediction intervals of an ETS model (raw model intervals: calibration on backtest residuals happens
 * elsewhere).
 * - Linear models (additive error, no multiplicative season; class 1 of Hyndman et al. 2008, ch. 6):
 *   var(h) = sigma^2 * (1 + sum_{i=1}^{h-1} (c_i + rho^i)^2), c_i = alpha + beta*(phi + ... + phi^i)
 *   + sum_k gamma_k [i is a multiple of m_k]; the rho^i term is the AR(1) residual's share. Normal quantiles.
 * - Otherwise: seeded simulation of future sample paths through the same recursion, and empirical quantiles.
 */

/** Upper bound on paths * horizon for simulated intervals. */
const MAX_SIMULATED_VALUES = 4_000_000;

export interface IntervalBounds {
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

export interface IntervalOptions {
  /** Sample paths for simulated intervals. Default 1000 (fewer, at least 100, for horizons over 4000 steps). */
  paths?: number;
  /** Seed of the simulation. Default 1. */
  seed?: number;
}

export function etsIntervals(
  state: EtsState,
  spec: EtsSpec,
  params: EtsParams,
  sigma2: number,
  h: number,
  levels: number[],
  options: IntervalOptions = {},
): IntervalBounds[] {
  for (const level of levels) if (!(level > 0 && level < 100)) throw new RangeError(`interval level ${level} is not in (0, 100)`);
  // No levels asked (inner backtests want means only): skip the 1000-path simulation.
  if (levels.length === 0) return [];
  const mean = etsForecast(state, spec, params, h);
  if (!(sigma2 > 0)) return levels.map((level) => ({ level, lower: Float64Array.from(mean), upper: Float64Array.from(mean) }));
  return isLinear(spec) ? analyticIntervals(mean, spec, params, sigma2, levels) : simulatedIntervals(state, spec, params, sigma2, h, levels, options);
}

/** h-step forecast variances of a linear model, h = 1..length. */
export function linearVariances(spec: EtsSpec, params: EtsParams, sigma2: number, h: number): Float64Array {
  const variances = new Float64Array(h);
  const hasTrend = spec.trend !== 'N';
  const phi = spec.trend === 'Ad' ? params.phi : 1;
  const rho = spec.ar ? (params.rho ?? 0) : 0;
  const periods = spec.season === 'N' ? [] : spec.periods;
  let sum = 0;
  let phiSum = 0;
  let phiPow = 1;
  let rhoPow = 1;
  variances[0] = sigma2;
  for (let i = 1; i < h; i++) {
    phiPow *= phi;
    phiSum += phiPow;
    rhoPow *= rho;
    let c = params.alpha + (hasTrend ? params.beta * phiSum : 0) + rhoPow;
    for (let k = 0; k < periods.length; k++) if (i % periods[k]! === 0) c += params.gammas[k]!;
    sum += c * c;
    variances[i] = sigma2 * (1 + sum);
  }
  return variances;
}

function analyticIntervals(mean: Float64Array, spec: EtsSpec, params: EtsParams, sigma2: number, levels: number[]): IntervalBounds[] {
  const variances = linearVariances(spec, params, sigma2, mean.length);
  return levels.map((level) => {
    const z = normalQuantile(0.5 + level / 200);
    const lower = new Float64Array(mean.length);
    const upper = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const half = z * Math.sqrt(variances[j]!);
      lower[j] = mean[j]! - half;
      upper[j] = mean[j]! + half;
    }
    return { level, lower, upper };
  });
}

function simulatedIntervals(
  state: EtsState,
  spec: EtsSpec,
  params: EtsParams,
  sigma2: number,
  h: number,
  levels: number[],
  options: IntervalOptions,
): IntervalBounds[] {
  // All paths are kept to take per-step quantiles: cap paths * h (32 MB of doubles) for very long horizons.
  const paths = Math.max(100, Math.min(options.paths ?? 1000, Math.floor(MAX_SIMULATED_VALUES / h)));
  const normal = normalSource(options.seed ?? 1);
  const sigma = Math.sqrt(sigma2);
  const draw = spec.error === 'M' ? (mu: number) => mu * (1 + sigma * normal()) : (mu: number) => mu + sigma * normal();
  const samples = new Float64Array(paths * h);
  const path = new Float64Array(h);
  for (let p = 0; p < paths; p++) {
    etsFilter(path, spec, params, cloneState(state), { inPlace: true, draw });
    samples.set(path, p * h);
  }
  const column = new Float64Array(paths);
  const bounds = levels.map((level) => ({ level, lower: new Float64Array(h), upper: new Float64Array(h) }));
  for (let j = 0; j < h; j++) {
    for (let p = 0; p < paths; p++) column[p] = samples[p * h + j]!;
    column.sort();
    for (const b of bounds) {
      const tail = (1 - b.level / 100) / 2;
      b.lower[j] = quantileSorted(column, tail);
      b.upper[j] = quantileSorted(column, 1 - tail);
    }
  }
  return bounds;
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}
