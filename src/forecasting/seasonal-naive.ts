import { z } from 'zod';
import { InputError } from '../core/errors.js';
import {
  DEFAULT_LEVELS,
  type FitOptions,
  type FittedModel,
  type Forecast,
  type Forecaster,
  type ModelArtefact,
  type PredictionInterval,
  type RegularSeries,
} from './forecaster.js';

/**
 * Seasonal naive: tomorrow at 10:00 looks like today at 10:00 (daily season) or like last week's
 * Tuesday at 10:00 (weekly season). It is the baseline every other model must beat and the last
 * model-based fallback. Pure core (`fitSeasonalNaive`, `forecastSeasonalNaive`) plus a thin adapter.
 *
 * Season choice: among 1 day and 1 week (or `options.seasonLengths`), those with at least two seasons of
 * history compete on in-sample MAE over the same points (for a lead up to one season, the in-sample
 * seasonal difference is exactly the forecast error). Under two days of history it falls back to naive
 * (last value) and says so. Intervals: empirical quantiles of the absolute seasonal differences,
 * widened by sqrt(seasons ahead) past one season; symmetric, so lo95 <= lo80 <= mean <= hi80 <= hi95.
 */

export const SNAIVE_KIND = 'snaive';
export const SNAIVE_FORMAT_VERSION = 1;
/** Absolute-difference quantiles are stored on this many equal steps of probability (0..1). */
const QUANTILE_STEPS = 200;
const DAY_MS = 86_400_000;

export interface SeasonalNaiveParams {
  /** Season length in steps (1 = naive). */
  season: number;
  /** The last `season` observations, oldest first. */
  history: number[];
  /** Quantiles of |y[t] - y[t - season]| at p = i / QUANTILE_STEPS, i = 0..QUANTILE_STEPS. */
  absDiffQuantiles: number[];
  /** True when the training data had no negative value: forecasts and bounds are clamped at 0. */
  clampAtZero: boolean;
  /** Why this season, e.g. "weekly: in-sample MAE 12.1 vs daily 15.3". */
  notes: string[];
}

const paramsSchema = z.object({
  season: z.number().int().positive(),
  history: z.array(z.number()).min(1),
  absDiffQuantiles: z.array(z.number().nonnegative()).length(QUANTILE_STEPS + 1),
  clampAtZero: z.boolean(),
  notes: z.array(z.string()),
});

/** Season candidates in steps for a grid step: one day and one week. */
export function defaultSeasonLengths(stepMs: number): number[] {
  const day = Math.max(1, Math.round(DAY_MS / stepMs));
  return [day, 7 * day];
}

/** Chooses the season and measures the spread of seasonal differences. Throws InputError on bad values. */
export function fitSeasonalNaive(values: readonly number[], seasonLengths: readonly number[]): SeasonalNaiveParams {
  if (values.length === 0) throw new InputError('seasonal naive needs at least one observation');
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`value ${values[bad]} at index ${bad} is not a finite number`);

  const n = values.length;
  const usable = [...new Set(seasonLengths)].filter((m) => m >= 1 && n >= 2 * m).sort((a, b) => a - b);
  const notes: string[] = [];
  let season: number;
  if (usable.length === 0) {
    season = 1;
    notes.push(`under two seasons of history (${n} points, shortest season ${Math.min(...seasonLengths)}): naive (last value)`);
  } else if (usable.length === 1) {
    season = usable[0]!;
  } else {
    // Compare on the same points so that the longer season is not judged on fewer, older ones.
    const from = usable[usable.length - 1]!;
    const maes = usable.map((m) => seasonalDiffMae(values, m, from));
    let best = 0;
    for (let i = 1; i < usable.length; i++) if (maes[i]! < maes[best]!) best = i;
    season = usable[best]!;
    notes.push(`season ${season} chosen by in-sample MAE: ${usable.map((m, i) => `${m}: ${fmt(maes[i]!)}`).join(', ')}`);
  }

  const diffs: number[] = [];
  for (let t = season; t < n; t++) diffs.push(Math.abs(values[t]! - values[t - season]!));
  if (diffs.length === 0) {
    diffs.push(0);
    notes.push('a single observation: zero-width intervals');
  }
  diffs.sort((a, b) => a - b);
  const absDiffQuantiles = Array.from({ length: QUANTILE_STEPS + 1 }, (_, i) => sortedQuantile(diffs, i / QUANTILE_STEPS));
  return {
    season,
    history: values.slice(Math.max(0, n - season)),
    absDiffQuantiles,
    clampAtZero: values.every((v) => v >= 0),
    notes,
  };
}

/** Mean and symmetric interval bounds for leads 1..h. */
export function forecastSeasonalNaive(
  params: SeasonalNaiveParams,
  h: number,
  levels: readonly number[] = DEFAULT_LEVELS,
): { mean: number[]; intervals: PredictionInterval[] } {
  const { season, history } = params;
  const mean: number[] = [];
  const last = history.length;
  for (let k = 1; k <= h; k++) {
    // y[n + k] = y[n + k - season * ceil(k / season)]: the same phase in the last observed season.
    const back = season * Math.ceil(k / season);
    mean.push(history[last + k - 1 - back] ?? history[last - 1]!);
  }
  const clamp = (v: number) => (params.clampAtZero ? Math.max(0, v) : v);
  const intervals = levels.map((level) => {
    const q = quantileFromGrid(params.absDiffQuantiles, level / 100);
    const lower: number[] = [];
    const upper: number[] = [];
    for (let k = 1; k <= h; k++) {
      const width = q * Math.sqrt(Math.ceil(k / season));
      lower.push(clamp(mean[k - 1]! - width));
      upper.push(clamp(mean[k - 1]! + width));
    }
    return { level, lower, upper };
  });
  return { mean: mean.map(clamp), intervals };
}

class SeasonalNaiveModel implements FittedModel {
  readonly kind = SNAIVE_KIND;
  readonly description: string;

  constructor(
    readonly params: SeasonalNaiveParams,
    private readonly trainedOn: ModelArtefact['trainedOn'],
    readonly lastObservedMs: number,
    readonly stepMs: number,
  ) {
    this.description = params.season === 1 ? 'naive' : `snaive[${params.season}]`;
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    if (!Number.isInteger(h) || h < 1) throw new InputError(`horizon must be a positive whole number of steps, got ${h}`);
    return {
      startMs: this.lastObservedMs + this.stepMs,
      stepMs: this.stepMs,
      ...forecastSeasonalNaive(this.params, h, levels),
      model: this.description,
      notes: this.params.notes,
    };
  }

  update(values: number[]): FittedModel {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`update value ${values[bad]} at index ${bad} is not a finite number`);
    const history = [...this.params.history, ...values].slice(-this.params.season);
    const lastObservedMs = this.lastObservedMs + values.length * this.stepMs;
    // The artefact records everything the state has seen, so a saved updated model reloads where it was.
    const trainedOn = { ...this.trainedOn, endMs: lastObservedMs, points: this.trainedOn.points + values.length };
    return new SeasonalNaiveModel({ ...this.params, history }, trainedOn, lastObservedMs, this.stepMs);
  }

  toArtefact(): ModelArtefact {
    return { kind: SNAIVE_KIND, formatVersion: SNAIVE_FORMAT_VERSION, params: this.params, trainedOn: this.trainedOn };
  }
}

export function createSeasonalNaiveForecaster(): Forecaster {
  return {
    kind: SNAIVE_KIND,
    async fit(series: RegularSeries, options: FitOptions = {}): Promise<FittedModel> {
      const params = fitSeasonalNaive(series.values, options.seasonLengths ?? defaultSeasonLengths(series.stepMs));
      const lastMs = series.startMs + (series.values.length - 1) * series.stepMs;
      const trainedOn = { startMs: series.startMs, endMs: lastMs, stepMs: series.stepMs, points: series.values.length };
      return new SeasonalNaiveModel(params, trainedOn, lastMs, series.stepMs);
    },
    async load(artefact: ModelArtefact): Promise<FittedModel> {
      if (artefact.kind !== SNAIVE_KIND) throw new InputError(`not a ${SNAIVE_KIND} artefact: kind "${artefact.kind}"`);
      if (artefact.formatVersion !== SNAIVE_FORMAT_VERSION) {
        throw new InputError(`${SNAIVE_KIND} artefact formatVersion ${artefact.formatVersion} is not supported (known: 1)`);
      }
      const parsed = paramsSchema.safeParse(artefact.params);
      if (!parsed.success) throw new InputError(`${SNAIVE_KIND} artefact params are invalid: ${parsed.error.message}`);
      const { trainedOn } = artefact;
      // A loaded model has seen everything up to trainedOn.endMs; update() moves that forward.
      return new SeasonalNaiveModel(parsed.data, trainedOn, trainedOn.endMs, trainedOn.stepMs);
    },
  };
}

export const seasonalNaiveForecaster: Forecaster = createSeasonalNaiveForecaster();

function seasonalDiffMae(values: readonly number[], m: number, from: number): number {
  let sum = 0;
  for (let t = from; t < values.length; t++) sum += Math.abs(values[t]! - values[t - m]!);
  return sum / (values.length - from);
}

function sortedQuantile(sorted: readonly number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function quantileFromGrid(grid: readonly number[], p: number): number {
  return sortedQuantile(grid, Math.min(1, Math.max(0, p)));
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
