/**
 * The forecaster port. A forecaster turns a regular series into a fitted model; a fitted model predicts
 * ahead with interval bounds and serialises itself to a versioned artefact. `fit` returns the fitted model,
 * so "predict before fit" cannot compile.
 *
 * Left out on purpose: exogenous regressors other than calendar flags, and multivariate models. Every
 * forecaster sees one series on a regular grid (no nulls: fill gaps before fitting, see metrics/series.ts).
 */

/** A series on a regular grid: value i is at `startMs + i * stepMs`. Values are finite numbers. */
export interface RegularSeries {
  /** Epoch milliseconds of values[0]. */
  startMs: number;
  /** Grid step in milliseconds. */
  stepMs: number;
  values: number[];
}

/** Known events that a forecaster may use as features (1 inside an entry, 0 outside), aligned to the grid. */
export interface CalendarFeature {
  name: string;
  /** Returns 1 when the flag is on at epoch ms `t`, else 0. Must be defined for past and future times. */
  at(t: number): number;
}

export interface FitOptions {
  /** Season lengths in steps to consider; when absent the forecaster detects them (1 day, 1 week). */
  seasonLengths?: number[];
  /** Interval levels the model should be ready to give, in percent. Default [80, 95]. */
  levels?: number[];
  /** Seed for anything random (LSTM weights, simulated intervals). */
  seed?: number;
  /** Calendar flags offered as input features; forecasters that cannot use them ignore them. */
  calendar?: CalendarFeature[];
  /** Progress in [0, 1] for long fits (training jobs forward it to BullMQ). */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Wall-clock time budget: epoch ms (Date.now()) by which training should end. Forecasters that train
   * iteratively (the LSTM) start no new epoch after it, keep what they have and say so in their notes; the
   * others ignore it (they fit in seconds).
   */
  deadlineMs?: number;
}

export interface PredictionInterval {
  /** Nominal coverage in percent, e.g. 80 or 95. */
  level: number;
  lower: number[];
  upper: number[];
}

export interface Forecast {
  /** Epoch ms of the first predicted point (one step after the last observation). */
  startMs: number;
  stepMs: number;
  mean: number[];
  intervals: PredictionInterval[];
  /** The model that produced it, e.g. "ets(A,Ad,A)[288]" or "snaive[2016]". */
  model: string;
  /** Human-readable notes such as "under two seasons of history: non-seasonal fallback". */
  notes: string[];
}

/** What is stored under models/: enough to rebuild the fitted model without refitting. */
export interface ModelArtefact {
  kind: string;
  formatVersion: number;
  params: unknown;
  trainedOn: { startMs: number; endMs: number; stepMs: number; points: number; seriesId?: string };
  metrics?: Record<string, number>;
  /** Binary payloads (tfjs weights) keyed by file name, base64 when serialised to JSON. */
  blobs?: Record<string, string>;
}

export interface FittedModel {
  readonly kind: string;
  /** Short description of the chosen specification, e.g. "ets(A,Ad,A)[288]". */
  readonly description: string;
  /** Epoch ms of the last observation the model has seen. */
  readonly lastObservedMs: number;
  readonly stepMs: number;
  /**
   * Forecasts `h` steps after the last observation. Never returns NaN or Infinity; loads are clamped at 0.
   * @param levels interval levels in percent (default [80, 95])
   */
  predict(h: number, levels?: number[]): Forecast;
  /**
   * Feeds new observations without re-estimating parameters (re-filtering). Returns a new fitted model;
   * the receiver is unchanged. `values` continue the grid right after `lastObservedMs`.
   */
  update(values: number[]): FittedModel;
  toArtefact(): ModelArtefact;
}

/** What a stored model needs besides its artefact to forecast like it was trained. */
export interface LoadOptions {
  /**
   * The calendar flags it was fitted with, by name (artefacts keep only the names): forecasters that use flags
   * read them as 0 when absent. Others ignore this.
   */
  calendar?: CalendarFeature[];
}

export interface Forecaster {
  readonly kind: string;
  fit(series: RegularSeries, options?: FitOptions): Promise<FittedModel>;
  /** Rebuilds a fitted model from its artefact; throws InputError on an unknown formatVersion. */
  load(artefact: ModelArtefact, options?: LoadOptions): Promise<FittedModel>;
  /**
   * Optional, for forecasters whose training is costly (the LSTM): goes on training `model`, fitted by this
   * forecaster on the start of `series`, on all of `series` for a few epochs, instead of training from
   * scratch. The champion uses it after validation (one training, not two). `model` is left unchanged.
   */
  continueFit?(model: FittedModel, series: RegularSeries, options?: FitOptions): Promise<FittedModel>;
}

export const DEFAULT_LEVELS = [80, 95] as const;
