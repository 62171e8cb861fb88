import { InputError } from '../../core/errors.js';
import { estimateEts, type EtsFit } from './estimate.js';
import { etsFilter, etsForecast } from './filter.js';
import { detectSeasons, stepsPerDay } from './season-detection.js';
import { describeSpec, type EtsSpec } from './types.js';

/**
 * Automatic ETS: season periods from the data (or given), candidate specifications fitted by maximum
 * likelihood on the last 8 weeks, the one with the smallest AICc kept.
 *
 * Candidates: ETS(A,N,A) and, for strictly positive data, ETS(M,N,M), each with an AR(1) residual term
 * (it nests rho = 0); then a damped trend is tried on the better of them (stepwise, as R's forecast::ets
 * does to save fits). Only damped trends: an undamped trend fitted on 5-minute data runs away over a day
 * (statsmodels on the taxi trace). Without a season the same list with season N.
 * Candidates share the chosen periods, so AICc compares like with like; the periods themselves come from
 * season-detection.ts, not from AICc, because an honest AICc charges 2015 initial states for a weekly season
 * and would never pick it, while the weekly profile is what makes one-day-ahead forecasts good.
 */

export interface AutoEtsOptions {
  /** Grid step in ms (for detecting daily and weekly seasons). */
  stepMs: number;
  /** Season lengths in steps to use instead of detecting them (those without two whole seasons are dropped). */
  seasonLengths?: number[];
  /** Only the most recent stretch of history is fitted (default ESTIMATION_WINDOW_MS, 8 weeks). */
  estimationWindowMs?: number;
  /** Restrict the candidate specs (tests, benchmarks). */
  candidates?: (periods: number[], positive: boolean) => EtsSpec[];
}

export interface AutoEtsResult {
  fit: EtsFit;
  /** Every candidate with its AICc, best first. */
  tried: { model: string; aicc: number; evaluations: number }[];
  notes: string[];
}

/**
 * Parameters and states come from the last 8 weeks: older history costs fit time and tells little about
 * today's pattern (on the taxi trace, 8 weeks of 30-minute data forecast a day ahead better than 7 months).
 */
export const ESTIMATION_WINDOW_MS = 8 * 7 * 86_400_000;
/** Nelder-Mead budgets per dimension: the first candidate's scouting runs and refinement, later candidates. */
const SCOUT_EVALUATIONS_PER_DIM = 5;
const REFINE_EVALUATIONS_PER_DIM = 15;
const WARM_EVALUATIONS_PER_DIM = 8;
/** Starting alphas of the first candidate: a slow and a fast level. */
const FIRST_STARTS = [{ alpha: 0.15 }, { alpha: 0.7 }];

/** Below this many points nothing is estimated: simple exponential smoothing with fixed alpha. */
export const MIN_POINTS_TO_ESTIMATE = 10;
const SHORT_SERIES_ALPHA = 0.5;

export function autoEts(values: ArrayLike<number>, options: AutoEtsOptions): AutoEtsResult {
  assertFinite(values);
  const n = values.length;
  if (n === 0) throw new InputError('no observations to fit', 'series.values');
  const notes: string[] = [];

  if (isConstant(values)) {
    notes.push(`constant series (every value ${values[0]}): flat forecast with zero-width intervals`);
    return { fit: fixedSes(values, 1), tried: [], notes };
  }
  if (n < MIN_POINTS_TO_ESTIMATE) {
    notes.push(`only ${n} points: simple exponential smoothing with alpha ${SHORT_SERIES_ALPHA}, nothing estimated`);
    return { fit: fixedSes(values, SHORT_SERIES_ALPHA), tried: [], notes };
  }

  let periods: number[];
  if (options.seasonLengths && options.seasonLengths.length > 0) {
    const asked = [...new Set(options.seasonLengths.map((m) => Math.round(m)))].filter((m) => m >= 2).sort((a, b) => a - b);
    periods = asked.filter((m) => n >= 2 * m).slice(0, 2);
    const dropped = asked.filter((m) => !periods.includes(m));
    if (dropped.length > 0) notes.push(`season length ${dropped.join(', ')} dropped: under two whole seasons of history (or more than two periods)`);
  } else {
    const detection = detectSeasons(values, options.stepMs);
    periods = detection.periods;
    notes.push(...detection.notes);
  }
  if (periods.length === 0) notes.push('non-seasonal model');

  const positive = allPositive(values);
  if (!positive) notes.push('data not strictly positive: additive forms only');
  const specs = (options.candidates ?? defaultCandidates)(periods, positive);
  const longest = periods.length > 0 ? periods[periods.length - 1]! : 0;
  const window = Math.max(2 * longest, Math.round((options.estimationWindowMs ?? ESTIMATION_WINDOW_MS) / options.stepMs));
  const y = Float64Array.from({ length: Math.min(n, window) }, (_, i) => values[n - Math.min(n, window) + i]!);
  if (n > window) notes.push(`estimated on the last ${window} points (${Math.round((window * options.stepMs) / 86_400_000)} days)`);
  // The first candidate is searched from two starts; each later one starts from the optimum of the closest
  // candidate already fitted (same error type if any, else the first): their parameters mean nearly the
  // same, so a short refinement suffices. This cuts the evaluations by more than half.
  const fits: EtsFit[] = [];
  const fitSpec = (spec: EtsSpec): void => {
    const admissible = fits.filter((f) => Number.isFinite(f.aicc));
    const near = admissible.find((f) => f.spec.error === spec.error && f.spec.season === spec.season) ?? admissible[0];
    fits.push(
      near
        ? estimateEts(y, spec, { starts: [near.params], refineEvaluationsPerDim: WARM_EVALUATIONS_PER_DIM })
        : estimateEts(y, spec, { starts: FIRST_STARTS, scoutEvaluationsPerDim: SCOUT_EVALUATIONS_PER_DIM, refineEvaluationsPerDim: REFINE_EVALUATIONS_PER_DIM }),
    );
  };
  specs.forEach(fitSpec);
  // Stepwise for the trend: only the best trendless form also gets a damped-trend try.
  if (!options.candidates) {
    const best = [...fits].sort((a, b) => a.aicc - b.aicc)[0];
    if (best && Number.isFinite(best.aicc)) fitSpec({ ...best.spec, trend: 'Ad' });
  }
  fits.sort((a, b) => a.aicc - b.aicc);
  let best = fits[0];
  if (!best || !Number.isFinite(best.aicc)) {
    notes.push('no candidate could be estimated: simple exponential smoothing with alpha 0.5');
    return { fit: fixedSes(values, SHORT_SERIES_ALPHA), tried: [], notes };
  }
  const vetoed = holdoutVeto(y, fits, stepsPerDay(options.stepMs));
  if (vetoed) {
    notes.push(vetoed.note);
    best = vetoed.fit;
  }
  return { fit: best, tried: fits.map((f) => ({ model: describeSpec(f.spec), aicc: f.aicc, evaluations: f.evaluations })), notes };
}

/**
 * The trendless candidates: additive error and season, and for positive data multiplicative ones. autoEts
 * then tries a damped trend on the best of them (a stepwise search, as in R's forecast::ets).
 */
export function defaultCandidates(periods: number[], positive: boolean): EtsSpec[] {
  const season = periods.length > 0 ? 'A' : 'N';
  const specs: EtsSpec[] = [{ error: 'A', trend: 'N', season, periods, ar: true }];
  if (positive) specs.push({ error: 'M', trend: 'N', season: periods.length > 0 ? 'M' : 'N', periods, ar: true });
  return specs;
}

/**
 * Holdout sanity. AICc judges one-step fit; a model can win it and still be much worse a day ahead (on
 * the ASG CPU trace the AICc winner's one-day forecasts over the last training week are 12% worse than
 * another candidate's; the choice changes nothing on the other dev traces). With the estimated parameters fixed, each
 * candidate forecasts one day ahead from every day boundary of the last week of the window (re-filtering
 * in between); if another candidate's mean absolute error there is below HOLDOUT_VETO_RATIO times the
 * AICc winner's, the one with the smallest such error is used instead.
 */
export const HOLDOUT_VETO_RATIO = 0.9;

function holdoutVeto(y: Float64Array, fits: EtsFit[], day: number): { fit: EtsFit; note: string } | undefined {
  const admissible = fits.filter((f) => Number.isFinite(f.aicc));
  const holdout = Math.floor(Math.min(7 * day, y.length / 4) / day) * day;
  if (admissible.length < 2 || holdout < day) return undefined;
  const errors = admissible.map((f) => dayAheadError(y, f, y.length - holdout, day));
  const winner = errors[0]!;
  let choice = 0;
  for (let i = 1; i < errors.length; i++) if (errors[i]! < errors[choice]!) choice = i;
  if (!(errors[choice]! < HOLDOUT_VETO_RATIO * winner)) return undefined;
  const pct = Math.round((1 - errors[choice]! / winner) * 100);
  const fit = admissible[choice]!;
  return { fit, note: `${describeSpec(fit.spec)} used instead of the AICc choice ${describeSpec(admissible[0]!.spec)}: ${pct}% lower one-day-ahead error over the last ${holdout / day} days` };
}

function dayAheadError(y: Float64Array, fit: EtsFit, start: number, day: number): number {
  let state = etsFilter(y.subarray(0, start), fit.spec, fit.params, fit.initial).state;
  let sum = 0;
  let count = 0;
  for (let origin = start; origin + day <= y.length; origin += day) {
    if (origin > start) state = etsFilter(y.subarray(origin - day, origin), fit.spec, fit.params, state).state;
    const forecast = etsForecast(state, fit.spec, fit.params, day);
    for (let j = 0; j < day; j++) sum += Math.abs(y[origin + j]! - Math.max(0, forecast[j]!));
    count += day;
  }
  return count > 0 ? sum / count : Infinity;
}

/** ETS(A,N,N) with a fixed alpha and the first value as level (constant and very short series). */
function fixedSes(values: ArrayLike<number>, alpha: number): EtsFit {
  const spec: EtsSpec = { error: 'A', trend: 'N', season: 'N', periods: [] };
  const params = { alpha, beta: 0, gammas: [], phi: 1, rho: 0 };
  const initial = { level: values[0]!, trend: 0, seasons: [], t: 0, lastResidual: 0 };
  const r = etsFilter(values, spec, params, initial);
  const n = values.length;
  // The first point is predicted by itself, so n - 1 errors carry information.
  const sigma2 = n > 1 ? r.sse / (n - 1) : 0;
  return { spec, params, initial, final: r.state, n, sigma2, neg2LogLik: NaN, aicc: NaN, k: 0, evaluations: 0 };
}

export function assertFinite(values: ArrayLike<number>, where = 'series.values'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`value ${String(v)} at index ${i} is not a finite number (fill gaps before fitting)`, where);
  }
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

function allPositive(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!(values[i]! > 0)) return false;
  return true;
}
