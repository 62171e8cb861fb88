import { etsFilter, type FilterResult } from './filter.js';
import { heuristicInitialState } from './init.js';
import { nelderMead } from './nelder-mead.js';
import { cloneState, type EtsParams, type EtsSpec, type EtsState } from './types.js';

/**
 * Maximum-likelihood estimation of the smoothing parameters of one ETS specification.
 *
 * Bounds are enforced by a smooth transform of an unconstrained vector (Nelder-Mead runs there):
 *   alpha in [1e-4, 0.9999];  beta = alpha * u  (0 < beta < alpha);  gamma_k = (1 - alpha) * v_k;
 *   phi in [0.8, 0.98] (the usual ETS damping range: phi near 1 lets a trend run away over a day);
 *   rho (AR(1) term, when present) in [-0.5, 0.99].
 * The initial states come from init.ts (classical decomposition, profiles smoothed by cross-validation)
 * and are not estimated here: 288 or 2016 seasonal states would cost Nelder-Mead far more than the fit
 * budget (every coordinate costs dozens of filter passes), and the averaged profile is already a good
 * estimate; the level and trend states are forgotten within hours.
 * The criterion is -2 log L up to a constant (innovations Gaussian likelihood, sigma concentrated out):
 *   additive error:       n log(SSE / n)
 *   multiplicative error: n log(sum((e/mu)^2) / n) + 2 sum log|mu|
 */

export interface EtsFit {
  spec: EtsSpec;
  params: EtsParams;
  /** States before the first observation. */
  initial: EtsState;
  /** States after the last observation. */
  final: EtsState;
  /** Observations fitted. */
  n: number;
  /** Innovation variance: SSE/n (additive error) or mean squared relative error (multiplicative). */
  sigma2: number;
  /** -2 log L up to the constant shared by all specs. */
  neg2LogLik: number;
  aicc: number;
  /** Number of free parameters counted by AICc: smoothing parameters plus initial states plus sigma. */
  k: number;
  evaluations: number;
}

export interface EstimateOptions {
  /**
   * Starting points. Each gets a short Nelder-Mead run and the best is refined. Default: alpha 0.1, 0.5
   * and 0.9 with small beta, gamma 0.1*(1-alpha), phi 0.95, rho 0.5.
   */
  starts?: Partial<EtsParams>[];
  /** Evaluation budget of each short run, per dimension. Default 15. */
  scoutEvaluationsPerDim?: number;
  /** Evaluation budget of the refining run, per dimension. Default 60. */
  refineEvaluationsPerDim?: number;
  /** Use these parameters as they are: no estimation (tests, and refits with known values). */
  fixed?: Partial<EtsParams>;
}

const ALPHA_LO = 1e-4;
const ALPHA_HI = 0.9999;
const PHI_LO = 0.8;
const PHI_HI = 0.98;
const PENALTY = 1e300;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

interface Layout {
  hasTrend: boolean;
  damped: boolean;
  nGamma: number;
  ar: boolean;
  dim: number;
}

const RHO_LO = -0.5;
const RHO_HI = 0.99;

function layoutOf(spec: EtsSpec): Layout {
  const hasTrend = spec.trend !== 'N';
  const damped = spec.trend === 'Ad';
  const nGamma = spec.season === 'N' ? 0 : spec.periods.length;
  const ar = spec.ar === true;
  return { hasTrend, damped, nGamma, ar, dim: 1 + (hasTrend ? 1 : 0) + nGamma + (damped ? 1 : 0) + (ar ? 1 : 0) };
}

function decode(x: number[], layout: Layout): EtsParams {
  let i = 0;
  const alpha = ALPHA_LO + (ALPHA_HI - ALPHA_LO) * sigmoid(x[i++]!);
  const beta = layout.hasTrend ? alpha * sigmoid(x[i++]!) : 0;
  const gammas: number[] = [];
  for (let k = 0; k < layout.nGamma; k++) gammas.push((1 - alpha) * sigmoid(x[i++]!));
  const phi = layout.damped ? PHI_LO + (PHI_HI - PHI_LO) * sigmoid(x[i++]!) : 1;
  const rho = layout.ar ? RHO_LO + (RHO_HI - RHO_LO) * sigmoid(x[i++]!) : 0;
  return { alpha, beta, gammas, phi, rho };
}

function encode(params: EtsParams, layout: Layout): number[] {
  const clamp = (p: number): number => Math.min(1 - 1e-6, Math.max(1e-6, p));
  const x = [logit(clamp((params.alpha - ALPHA_LO) / (ALPHA_HI - ALPHA_LO)))];
  if (layout.hasTrend) x.push(logit(clamp(params.beta / params.alpha)));
  for (let k = 0; k < layout.nGamma; k++) x.push(logit(clamp(params.gammas[k]! / (1 - params.alpha))));
  if (layout.damped) x.push(logit(clamp((params.phi - PHI_LO) / (PHI_HI - PHI_LO))));
  if (layout.ar) x.push(logit(clamp(((params.rho ?? 0) - RHO_LO) / (RHO_HI - RHO_LO))));
  return x;
}

/** -2 log L (up to a constant) of a filter run, or +Infinity when the run is not admissible. */
export function criterion(result: FilterResult, spec: EtsSpec, n: number): number {
  if (!result.ok || n === 0) return Infinity;
  if (spec.error === 'A') return n * Math.log(Math.max(result.sse, 1e-300) / n);
  return n * Math.log(Math.max(result.sseRelative, 1e-300) / n) + 2 * result.sumLogMu;
}

export function parameterCount(spec: EtsSpec): number {
  const layout = layoutOf(spec);
  const smoothing = 1 + (layout.hasTrend ? 1 : 0) + layout.nGamma + (layout.damped ? 1 : 0) + (layout.ar ? 1 : 0);
  const states = 1 + (layout.hasTrend ? 1 : 0) + spec.periods.slice(0, layout.nGamma).reduce((a, m) => a + m - 1, 0);
  return smoothing + states + 1;
}

export function aicc(neg2LogLik: number, k: number, n: number): number {
  const aic = neg2LogLik + 2 * k;
  return n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Infinity;
}

/** Fits one specification. Throws nothing: an inadmissible spec gets aicc = Infinity. */
export function estimateEts(values: ArrayLike<number>, spec: EtsSpec, options: EstimateOptions = {}): EtsFit {
  const y = values instanceof Float64Array ? values : Float64Array.from(values);
  const n = y.length;
  const layout = layoutOf(spec);
  const base = heuristicInitialState(y, spec);
  const work = cloneState(base);
  const runWith = (params: EtsParams): FilterResult => {
    work.level = base.level;
    work.trend = base.trend;
    work.t = 0;
    work.lastResidual = 0;
    for (let k = 0; k < base.seasons.length; k++) work.seasons[k]!.set(base.seasons[k]!);
    return etsFilter(y, spec, params, work, { inPlace: true, strict: true });
  };
  const objective = (x: number[]): number => {
    const c = criterion(runWith(decode(x, layout)), spec, n);
    return Number.isFinite(c) ? c : PENALTY;
  };

  let evaluations = 0;
  let params: EtsParams;
  if (options.fixed) {
    params = fillFixed(options.fixed, layout);
  } else {
    const starts = options.starts ?? [{ alpha: 0.1 }, { alpha: 0.5 }, { alpha: 0.9 }];
    let best = { x: [] as number[], f: Infinity };
    for (const start of starts) {
      const x0 = encode(fillStart(start, layout), layout);
      const r = starts.length > 1 ? nelderMead(objective, x0, { maxEvaluations: (options.scoutEvaluationsPerDim ?? 15) * layout.dim, step: 0.7, xTolerance: 1e-2 }) : { x: x0, f: objective(x0), evaluations: 1 };
      evaluations += r.evaluations;
      if (r.f < best.f) best = { x: r.x, f: r.f };
    }
    // Tolerances: 1e-7 of -2logL (a few hundredths for n in the thousands, far below what AICc can tell
    // apart) and 1e-3 in the logit space (a change in alpha of under 0.0003).
    const r = nelderMead(objective, best.x, { maxEvaluations: (options.refineEvaluationsPerDim ?? 60) * layout.dim, step: 0.3, fTolerance: 1e-7, xTolerance: 1e-3 });
    evaluations += r.evaluations;
    if (r.f <= best.f) best = { x: r.x, f: r.f };
    params = decode(best.x, layout);
  }

  const initial = cloneState(base);
  const result = etsFilter(y, spec, params, initial, { strict: true });
  const neg2 = criterion(result, spec, n);
  const k = parameterCount(spec);
  const sigma2 = spec.error === 'A' ? result.sse / n : result.sseRelative / n;
  return {
    spec,
    params,
    initial,
    final: result.state,
    n,
    sigma2,
    neg2LogLik: neg2,
    aicc: Number.isFinite(neg2) ? aicc(neg2, k, n) : Infinity,
    k,
    evaluations,
  };
}

function fillStart(start: Partial<EtsParams>, layout: Layout): EtsParams {
  const alpha = start.alpha ?? 0.5;
  return fillFixed({ beta: 0.02 * alpha, gammas: new Array<number>(layout.nGamma).fill(0.1 * (1 - alpha)), phi: 0.95, rho: 0.5, ...start, alpha }, layout);
}

function fillFixed(fixed: Partial<EtsParams>, layout: Layout): EtsParams {
  return {
    alpha: fixed.alpha ?? 0.5,
    beta: layout.hasTrend ? (fixed.beta ?? 0.01) : 0,
    gammas: fixed.gammas ?? new Array<number>(layout.nGamma).fill(0.05),
    phi: layout.damped ? (fixed.phi ?? 0.95) : 1,
    rho: layout.ar ? (fixed.rho ?? 0) : 0,
  };
}

