/**
 * Types of the ETS core (error, trend, season) in the innovations state-space form of Hyndman et al.,
 * "Forecasting with Exponential Smoothing" (2008). One or two seasonal periods (two = Taylor's double
 * seasonal form, e.g. a day and a week on 5-minute data); with two, both have the same type.
 *
 * Left out on purpose: multiplicative trend (unstable over long horizons, rarely chosen for loads) and
 * more than two seasonal periods.
 */

export type ErrorType = 'A' | 'M';
/** N = none, A = additive, Ad = additive damped. */
export type TrendType = 'N' | 'A' | 'Ad';
export type SeasonType = 'N' | 'A' | 'M';

export interface EtsSpec {
  error: ErrorType;
  trend: TrendType;
  season: SeasonType;
  /** Seasonal periods in steps, shortest first; empty when `season` is 'N'. */
  periods: number[];
  /**
   * Adds an AR(1) term on the one-step residual (Taylor 2003): mu += rho * u[t-1], where u is the residual of
   * the ETS part. It carries short-lived deviations (a busy hour) a few steps ahead and lets them fade, so the
   * level can stay slow and the long-horizon forecast is not pulled by the last few points.
   */
  ar?: boolean;
}

/**
 * Smoothing parameters in the error-correction parametrisation: level += alpha*e, trend += beta*e,
 * season_k += gamma_k*e (scaled for multiplicative seasons). Classic Holt-Winters' beta is beta/alpha here.
 */
export interface EtsParams {
  alpha: number;
  /** 0 when the trend is 'N'. */
  beta: number;
  /** One per seasonal period; empty when the season is 'N'. */
  gammas: number[];
  /** Damping; 1 unless the trend is 'Ad'. */
  phi: number;
  /** AR(1) coefficient of the residual; 0 unless `spec.ar`. */
  rho?: number;
}

/**
 * The states after `t` observations. Seasonal component k for observation index i lives in
 * `seasons[k][i % periods[k]]`: a ring buffer, so feeding new points is O(1) each.
 */
export interface EtsState {
  level: number;
  /** 0 when the trend is 'N'. */
  trend: number;
  seasons: Float64Array[];
  /** Number of observations consumed (the index of the next observation). */
  t: number;
  /** Residual of the ETS part at the last observation (y - level - trend - seasons), used by the AR(1) term. */
  lastResidual: number;
}

export function describeSpec(spec: EtsSpec): string {
  const base = `ets(${spec.error},${spec.trend},${spec.season})`;
  const withPeriods = spec.periods.length > 0 ? `${base}[${spec.periods.join(',')}]` : base;
  return spec.ar ? `${withPeriods}+ar1` : withPeriods;
}

export function cloneState(state: EtsState): EtsState {
  return { level: state.level, trend: state.trend, seasons: state.seasons.map((s) => Float64Array.from(s)), t: state.t, lastResidual: state.lastResidual };
}

/** True for the linear (class 1) models that have closed-form forecast variances. */
export function isLinear(spec: EtsSpec): boolean {
  return spec.error === 'A' && spec.season !== 'M';
}
