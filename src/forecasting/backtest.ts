import { InputError } from '../core/errors.js';
import { maseScale, scoreForecasts, type AccuracyScores, type ScoredPoint } from './accuracy.js';
import { DEFAULT_LEVELS, type FittedModel, type Forecast, type RegularSeries } from './forecaster.js';

/**
 * Rolling-origin evaluation exactly as shared/data/EVALUATION.md defines it:
 * m = round(1 day / step); T = max(2m, min(floor(0.2 n), 7m)); n_train = n - T; origins
 * o_j = n_train + j*h for j = 0 .. floor(T/h) - 1; the forecast at o_j uses only y[0 .. o_j-1].
 *
 * The model is fitted once on the training part (by a caller-supplied `fit`, which may run its own inner
 * backtest on that part) and then re-filtered (`update`) to each origin: never refitted on test data.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface EvaluationSplit {
  n: number;
  /** One day in steps. */
  season: number;
  nTrain: number;
  testLength: number;
  horizon: number;
  /** Index of the first predicted point of each origin (o_j). */
  origins: number[];
}

/** One day in steps for a grid step. */
export function daySeason(stepMs: number): number {
  return Math.round(DAY_MS / stepMs);
}

/** "1h" | "1d" | a whole number of steps -> steps, as the scorer reads `--horizon`. */
export function horizonSteps(spec: string, stepMs: number): number | undefined {
  if (spec === '1h' || spec === 'hour') return Math.round(HOUR_MS / stepMs);
  if (spec === '1d' || spec === 'day') return daySeason(stepMs);
  return /^\d+$/.test(spec) && Number(spec) > 0 ? Number(spec) : undefined;
}

/** The test length T and training size of EVALUATION.md for n points with season m. */
export function splitSizes(n: number, season: number): { nTrain: number; testLength: number } {
  const testLength = Math.max(2 * season, Math.min(Math.floor(0.2 * n), 7 * season));
  return { nTrain: n - testLength, testLength };
}

export function evaluationSplit(n: number, season: number, horizon: number): EvaluationSplit {
  const { nTrain, testLength } = splitSizes(n, season);
  if (nTrain < 3 * season) {
    throw new InputError(`series too short for the evaluation split: n=${n}, season=${season}, n_train=${nTrain} < 3 seasons`);
  }
  if (horizon < 1 || horizon > testLength) throw new InputError(`horizon ${horizon} must be within 1..${testLength} steps`);
  const origins = Array.from({ length: Math.floor(testLength / horizon) }, (_, j) => nTrain + j * horizon);
  return { n, season, nTrain, testLength, horizon, origins };
}

/** The points [from, to) of a series, as a series of its own. */
export function sliceSeries(series: RegularSeries, from: number, to: number): RegularSeries {
  return { startMs: series.startMs + from * series.stepMs, stepMs: series.stepMs, values: series.values.slice(from, to) };
}

/** Index in `series` of the next point after what `model` has seen. */
export function nextIndex(model: FittedModel, series: RegularSeries): number {
  return Math.round((model.lastObservedMs - series.startMs) / series.stepMs) + 1;
}

export interface OriginForecast {
  /** Index of the first predicted point (the origin o_j). */
  origin: number;
  forecast: Forecast;
}

/**
 * Forecasts `h` steps from every origin (ascending), re-filtering the model forward between origins.
 * The model must have seen exactly series[0 .. origins[0]-1] or less.
 */
export function rollForecasts(
  model: FittedModel,
  series: RegularSeries,
  origins: readonly number[],
  h: number,
  levels: number[] = [...DEFAULT_LEVELS],
): OriginForecast[] {
  let current = model;
  let next = nextIndex(model, series);
  const out: OriginForecast[] = [];
  for (const origin of origins) {
    if (origin < next) throw new Error(`origin ${origin} is before what the model has already seen (${next})`);
    if (origin > next) {
      current = current.update(series.values.slice(next, origin));
      next = origin;
    }
    out.push({ origin, forecast: current.predict(h, levels) });
  }
  return out;
}

/** One row of a forecast file: `origin` is the last observation the forecast could use. */
export interface BacktestRow extends ScoredPoint {
  originMs: number;
  timestampMs: number;
}

export interface BacktestResult {
  split: EvaluationSplit;
  /** What was fitted, e.g. "conformal(ets(A,Ad,A)[288])". */
  description: string;
  rows: BacktestRow[];
  scores: AccuracyScores;
  /** Wall seconds of the one fit on the training part (including any inner backtest it ran). */
  fitSeconds: number;
  /** Wall seconds of re-filtering and predicting over the test part. */
  predictSeconds: number;
  /** The fitted model, as it was before the test part. */
  model: FittedModel;
}

/** Fits on the training part (all it may see) and returns the model; options carry the horizon. */
export type TrainingFit = (train: RegularSeries, context: { horizon: number; season: number }) => Promise<FittedModel>;

/** The rolling-origin backtest of EVALUATION.md for one way of fitting. */
export async function runBacktest(series: RegularSeries, horizon: number, fit: TrainingFit): Promise<BacktestResult> {
  const split = evaluationSplit(series.values.length, daySeason(series.stepMs), horizon);
  const train = sliceSeries(series, 0, split.nTrain);
  const t0 = performance.now();
  const model = await fit(train, { horizon, season: split.season });
  const fitSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const forecasts = rollForecasts(model, series, split.origins, horizon, [80, 95]);
  const predictSeconds = (performance.now() - t1) / 1000;

  const rows: BacktestRow[] = [];
  for (const { origin, forecast } of forecasts) {
    const i80 = forecast.intervals.find((i) => i.level === 80);
    const i95 = forecast.intervals.find((i) => i.level === 95);
    for (let k = 0; k < horizon; k++) {
      rows.push({
        originMs: series.startMs + (origin - 1) * series.stepMs,
        timestampMs: series.startMs + (origin + k) * series.stepMs,
        y: series.values[origin + k]!,
        yhat: forecast.mean[k]!,
        lo80: i80?.lower[k],
        hi80: i80?.upper[k],
        lo95: i95?.lower[k],
        hi95: i95?.upper[k],
      });
    }
  }
  const scale = maseScale(series.values, split.nTrain, split.season);
  return { split, description: model.description, rows, scores: scoreForecasts(rows, scale), fitSeconds, predictSeconds, model };
}

/** Inner validation inside a training part: fit on [0, fitEnd), forecast from each origin. */
export interface ValidationPlan {
  fitEnd: number;
  horizon: number;
  /** Ascending origins in [fitEnd, n - horizon]. */
  origins: number[];
}

/** Most validation origins an inner backtest uses (more only cost time: the windows overlap). */
export const MAX_VALIDATION_ORIGINS = 300;

/**
 * The inner split used for champion choice and interval calibration: EVALUATION.md's split applied to
 * the training part (the last T points validate), shrunk so that at least two seasons remain to fit on.
 * Origins step by a stride so there are at most `maxOrigins`, aligned so the last window ends at the
 * last point. Returns undefined when the series is too short for any validation.
 */
export function validationPlan(
  n: number,
  season: number,
  horizon: number,
  maxOrigins = MAX_VALIDATION_ORIGINS,
): ValidationPlan | undefined {
  let length = splitSizes(n, season).testLength;
  if (n - length < 2 * season) length = n - 2 * season;
  if (length < horizon || horizon < 1) return undefined;
  const fitEnd = n - length;
  return { fitEnd, horizon, origins: stridedOrigins(fitEnd, n - horizon, maxOrigins) };
}

/**
 * At most `maxOrigins` origins in [first, last], ascending, one every `stride` steps, aligned on `last` so the
 * final window ends at the series' last point.
 */
function stridedOrigins(first: number, last: number, maxOrigins: number): number[] {
  const stride = Math.max(1, Math.ceil((last - first + 1) / maxOrigins));
  const origins: number[] = [];
  for (let o = last; o >= first; o -= stride) origins.push(o);
  return origins.reverse();
}

/** One fold of a walk-forward validation: fitted on [0, fitEnd), forecast from each origin (ascending). */
export interface ValidationFold {
  fitEnd: number;
  origins: number[];
}

/** A walk-forward validation: folds in time order; `origins` are all folds' origins, ascending. */
export interface FoldedValidationPlan extends ValidationPlan {
  /** Earliest fitEnd (the MASE scale is taken on [0, fitEnd)). */
  fitEnd: number;
  folds: ValidationFold[];
}

/** Most folds a walk-forward validation refits for (each a week): two months of validation. */
export const MAX_VALIDATION_FOLDS = 8;
/** Most origins over all folds of a walk-forward validation. */
export const MAX_WALK_FORWARD_ORIGINS = 600;

/**
 * Walk-forward validation over as much of the training part as the models can be fitted on: the last fold
 * is validationPlan's (the part EVALUATION.md's split would test), and earlier folds start a week apart,
 * each refitted on everything before it, while at least two weeks (a weekly season seen twice) remain to fit
 * on, up to `maxFolds`. A fold's origins stop before the next fold's start, so every origin is scored once.
 * With one fold this is validationPlan. One origin every `stride` steps over all folds, at most `maxOrigins`.
 */
export function validationFolds(
  n: number,
  season: number,
  horizon: number,
  maxFolds = MAX_VALIDATION_FOLDS,
  maxOrigins = MAX_WALK_FORWARD_ORIGINS,
): FoldedValidationPlan | undefined {
  const last = validationPlan(n, season, horizon, Number.MAX_SAFE_INTEGER);
  if (!last) return undefined;
  const week = 7 * season;
  const starts = [last.fitEnd];
  while (starts.length < maxFolds && starts[0]! - week >= 2 * week) starts.unshift(starts[0]! - week);
  const all = stridedOrigins(starts[0]!, n - horizon, maxOrigins);
  const folds = starts
    .map((fitEnd, i) => ({ fitEnd, origins: all.filter((o) => o >= fitEnd && o < (starts[i + 1] ?? Number.POSITIVE_INFINITY)) }))
    .filter((fold) => fold.origins.length > 0);
  return { fitEnd: folds[0]!.fitEnd, horizon, origins: folds.flatMap((f) => f.origins), folds };
}
