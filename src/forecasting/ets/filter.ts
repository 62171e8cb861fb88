import { cloneState, type EtsParams, type EtsSpec, type EtsState } from './types.js';

/**
 * The ETS recursion. For additive and multiplicative errors the states move the same way for the same
 * parameters (only the likelihood differs), so one loop serves both:
 *   base = level + phi*trend;  mu = base + S (additive seasons) or base * S (multiplicative), e = y - mu
 *   level' = base + alpha*e / S*;  trend' = phi*trend + beta*e / S*;  s_k' = s_k + gamma_k*e / (base*S/s_k)*
 * (* only for multiplicative seasons; S = sum or product of the seasonal states in use).
 * This is statsmodels' ExponentialSmoothing recursion with beta_here = alpha * beta_statsmodels.
 * With the AR(1) term (spec.ar), mu also gets rho * u[t-1] (u = y minus the ETS part) and the states are
 * corrected by the innovation e = y - mu.
 */

export interface FilterResult {
  /** Sum of squared one-step errors y - mu. */
  sse: number;
  /** Sum of squared relative errors (y - mu) / mu (for the multiplicative-error likelihood). */
  sseRelative: number;
  /** Sum of log|mu| (for the multiplicative-error likelihood). */
  sumLogMu: number;
  /** False when a state or fitted value left the finite numbers, or mu <= 0 where a log or ratio needs mu > 0. */
  ok: boolean;
  state: EtsState;
  /** One-step fitted values, when asked for. */
  fitted?: Float64Array;
}

export interface FilterOptions {
  /** Keep the one-step fitted values (costs an array of n). */
  keepFitted?: boolean;
  /** Filter in place: the state passed in is consumed (used by the optimiser to avoid copies). */
  inPlace?: boolean;
  /**
   * Stop at the first inadmissible step (mu <= 0 where the model needs mu > 0): what the optimiser wants.
   * Without it (re-filtering new data) the run never stops: a multiplicative step whose base or seasonal
   * factor is not positive falls back to an additive correction, so a collapse of the load (a blizzard,
   * an outage) cannot freeze or poison the states.
   */
  strict?: boolean;
  /**
   * Simulation: instead of reading y[i], draw it as `draw(mu)` from the one-step mean and write it into
   * the values (which must then be a Float64Array). Used for simulated prediction intervals.
   */
  draw?: (mu: number) => number;
}

export function etsFilter(
  values: ArrayLike<number>,
  spec: EtsSpec,
  params: EtsParams,
  init: EtsState,
  options: FilterOptions = {},
): FilterResult {
  // One element type in the hot loop: mixing number[] and Float64Array makes V8's access polymorphic
  // and the loop up to twice as slow.
  const y = values instanceof Float64Array ? values : Float64Array.from(values);
  const state = options.inPlace ? init : cloneState(init);
  const n = y.length;
  const fitted = options.keepFitted ? new Float64Array(n) : undefined;
  const damped = spec.trend === 'Ad';
  const hasTrend = spec.trend !== 'N';
  const phi = damped ? params.phi : 1;
  const alpha = params.alpha;
  const beta = hasTrend ? params.beta : 0;
  const nSeason = spec.season === 'N' ? 0 : spec.periods.length;
  const multSeason = spec.season === 'M';
  const needPositive = multSeason || spec.error === 'M';
  // Absent seasons are a one-slot ring holding the neutral value with gamma 0: no branches in the loop.
  const neutral = multSeason ? 1 : 0;
  const s0 = nSeason > 0 ? state.seasons[0]! : Float64Array.of(neutral);
  const s1 = nSeason > 1 ? state.seasons[1]! : Float64Array.of(neutral);
  const m0 = nSeason > 0 ? spec.periods[0]! : 1;
  const m1 = nSeason > 1 ? spec.periods[1]! : 1;
  const g0 = nSeason > 0 ? params.gammas[0]! : 0;
  const g1 = nSeason > 1 ? params.gammas[1]! : 0;
  let level = state.level;
  let trend = hasTrend ? state.trend : 0;
  const rho = spec.ar ? (params.rho ?? 0) : 0;
  let u = spec.ar ? state.lastResidual : 0;
  let i0 = state.t % m0;
  let i1 = state.t % m1;
  let sse = 0;
  let sseRelative = 0;
  // log of a running product, taken only when the product nears the limits of a double (Math.log per step
  // would double the cost of a multiplicative fit).
  let sumLogMu = 0;
  let muProduct = 1;
  let ok = true;
  const strict = options.strict === true;
  const draw = options.draw;
  let i = 0;

  if (!multSeason) {
    for (; i < n; i++) {
      const base = level + phi * trend;
      const a = s0[i0]!;
      const b = s1[i1]!;
      const structural = base + a + b;
      const mu = structural + rho * u;
      const yi = draw ? (y[i] = draw(mu)) : y[i]!;
      const e = yi - mu;
      u = yi - structural;
      if (fitted) fitted[i] = mu;
      sse += e * e;
      if (needPositive) {
        if (mu > 0) {
          const r = e / mu;
          sseRelative += r * r;
          muProduct *= mu;
          if (muProduct > 1e200 || muProduct < 1e-200) {
            sumLogMu += Math.log(muProduct);
            muProduct = 1;
          }
        } else {
          ok = false;
          if (strict) break;
        }
      }
      level = base + alpha * e;
      trend = phi * trend + beta * e;
      s0[i0] = a + g0 * e;
      s1[i1] = b + g1 * e;
      if (++i0 === m0) i0 = 0;
      if (++i1 === m1) i1 = 0;
    }
  } else {
    for (; i < n; i++) {
      const base = level + phi * trend;
      const a = s0[i0]!;
      const b = s1[i1]!;
      const structural = base * a * b;
      const mu = structural + rho * u;
      const yi = draw ? (y[i] = draw(mu)) : y[i]!;
      const e = yi - mu;
      u = yi - structural;
      if (fitted) fitted[i] = mu;
      sse += e * e;
      if (mu > 0) {
        const r = e / mu;
        sseRelative += r * r;
        muProduct *= mu;
        if (muProduct > 1e200 || muProduct < 1e-200) {
          sumLogMu += Math.log(muProduct);
          muProduct = 1;
        }
      } else {
        ok = false;
        if (strict) break;
      }
      if (base > 0 && a > 0 && b > 0) {
        // q = e / (base*a*b): one division serves all four updates (e/S = q*base, e/(base*b) = q*a, ...).
        const q = e / structural;
        level = base + alpha * q * base;
        trend = phi * trend + beta * q * base;
        s0[i0] = a + g0 * q * a;
        s1[i1] = b + g1 * q * b;
      } else {
        level = base + alpha * e;
        trend = phi * trend;
      }
      if (++i0 === m0) i0 = 0;
      if (++i1 === m1) i1 = 0;
    }
  }
  sumLogMu += Math.log(muProduct);
  const t = state.t + i;
  if (!Number.isFinite(sse) || !Number.isFinite(level) || !Number.isFinite(trend)) ok = false;
  state.level = level;
  state.trend = trend;
  state.t = t;
  state.lastResidual = u;
  return { sse, sseRelative, sumLogMu, ok, state, fitted };
}

/** Point forecasts for the `h` steps after the state (no clamping: the adapter clamps loads at 0). */
export function etsForecast(state: EtsState, spec: EtsSpec, params: EtsParams, h: number): Float64Array {
  const out = new Float64Array(h);
  const damped = spec.trend === 'Ad';
  const hasTrend = spec.trend !== 'N';
  const phi = damped ? params.phi : 1;
  const multSeason = spec.season === 'M';
  const nSeason = spec.season === 'N' ? 0 : spec.periods.length;
  const rho = spec.ar ? (params.rho ?? 0) : 0;
  let arPart = state.lastResidual;
  let phiSum = 0;
  let phiPow = 1;
  for (let j = 1; j <= h; j++) {
    arPart *= rho;
    phiPow *= phi;
    phiSum += phiPow;
    const base = state.level + (hasTrend ? phiSum * state.trend : 0);
    let s = multSeason ? 1 : 0;
    for (let k = 0; k < nSeason; k++) {
      const m = spec.periods[k]!;
      const v = state.seasons[k]![(state.t + j - 1) % m]!;
      s = multSeason ? s * v : s + v;
    }
    out[j - 1] = (multSeason ? base * s : base + s) + arPart;
  }
  return out;
}
