import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { etsFilter, etsForecast } from './ets/filter.js';
import { etsIntervals } from './ets/intervals.js';
import { assertFinite, autoEts } from './ets/select.js';
import { describeSpec, type EtsParams, type EtsSpec, type EtsState } from './ets/types.js';
import { DEFAULT_LEVELS, type FitOptions, type FittedModel, type Forecast, type Forecaster, type ModelArtefact, type RegularSeries } from './forecaster.js';

/**
 * Holt-Winters as a preset of the general ETS core (src/forecasting/ets): automatic ETS with daily and
 * weekly seasons detected from the data, parameters by maximum likelihood, choice by AICc, an AR(1)
 * residual term, raw model intervals (analytical or simulated). Forecasts are loads: clamped at 0.
 */

export const HW_KIND = 'hw';
export const HW_FORMAT_VERSION = 1;

interface HwCore {
  spec: EtsSpec;
  params: EtsParams;
  state: EtsState;
  sigma2: number;
  notes: string[];
  aicc: number;
  seed: number;
}

interface HwMeta {
  trainedOn: ModelArtefact['trainedOn'];
  lastObservedMs: number;
  stepMs: number;
}

class HoltWintersModel implements FittedModel {
  readonly kind = HW_KIND;
  readonly description: string;
  readonly lastObservedMs: number;
  readonly stepMs: number;

  constructor(
    private readonly core: HwCore,
    private readonly meta: HwMeta,
  ) {
    this.description = describeSpec(core.spec);
    this.lastObservedMs = meta.lastObservedMs;
    this.stepMs = meta.stepMs;
  }

  predict(h: number, levels: number[] = [...DEFAULT_LEVELS]): Forecast {
    if (!Number.isInteger(h) || h < 1) throw new InputError(`horizon ${h} must be a positive whole number of steps`, 'h');
    for (const level of levels) if (!(level > 0 && level < 100)) throw new InputError(`interval level ${level} must be in (0, 100)`, 'levels');
    const { spec, params, state, sigma2 } = this.core;
    const rawMean = etsForecast(state, spec, params, h);
    // Never NaN: a diverged state (only possible with absurd data) falls back to the last level.
    const fallback = Number.isFinite(state.level) ? Math.max(0, state.level) : 0;
    const mean = Array.from(rawMean, (v) => load(v, fallback));
    const bounds = etsIntervals(state, spec, params, sigma2, h, levels, { seed: this.core.seed });
    const intervals = bounds.map((b) => ({
      level: b.level,
      lower: Array.from(b.lower, (v, j) => Math.min(load(v, mean[j]!), mean[j]!)),
      upper: Array.from(b.upper, (v, j) => Math.max(load(v, mean[j]!), mean[j]!)),
    }));
    return { startMs: this.lastObservedMs + this.stepMs, stepMs: this.stepMs, mean, intervals, model: this.description, notes: [...this.core.notes] };
  }

  update(values: number[]): FittedModel {
    assertFinite(values, 'update.values');
    const { state } = etsFilter(values, this.core.spec, this.core.params, this.core.state);
    return new HoltWintersModel({ ...this.core, state }, { ...this.meta, lastObservedMs: this.meta.lastObservedMs + values.length * this.stepMs });
  }

  toArtefact(): ModelArtefact {
    const { spec, params, state, sigma2, notes, aicc, seed } = this.core;
    const artefactParams: HwArtefactParams = {
      spec: { error: spec.error, trend: spec.trend, season: spec.season, periods: [...spec.periods], ar: spec.ar === true },
      params: { alpha: params.alpha, beta: params.beta, gammas: [...params.gammas], phi: params.phi, rho: params.rho ?? 0 },
      state: { level: state.level, trend: state.trend, seasons: state.seasons.map((s) => Array.from(s)), t: state.t, lastResidual: state.lastResidual },
      sigma2,
      notes,
      aicc: Number.isFinite(aicc) ? aicc : null,
      seed,
      lastObservedMs: this.lastObservedMs,
    };
    return { kind: HW_KIND, formatVersion: HW_FORMAT_VERSION, params: artefactParams, trainedOn: { ...this.meta.trainedOn }, metrics: Number.isFinite(aicc) ? { aicc } : {} };
  }
}

function load(v: number, fallback: number): number {
  return Number.isFinite(v) ? Math.max(0, v) : fallback;
}

const artefactParamsSchema = z.object({
  spec: z.object({
    error: z.enum(['A', 'M']),
    trend: z.enum(['N', 'A', 'Ad']),
    season: z.enum(['N', 'A', 'M']),
    periods: z.array(z.number().int().min(2)).max(2),
    ar: z.boolean(),
  }),
  params: z.object({ alpha: z.number(), beta: z.number(), gammas: z.array(z.number()), phi: z.number(), rho: z.number() }),
  state: z.object({ level: z.number(), trend: z.number(), seasons: z.array(z.array(z.number())), t: z.number().int().min(0), lastResidual: z.number() }),
  sigma2: z.number().min(0),
  notes: z.array(z.string()),
  aicc: z.number().nullable(),
  seed: z.number().int(),
  lastObservedMs: z.number(),
});
type HwArtefactParams = z.infer<typeof artefactParamsSchema>;

export const holtWintersForecaster: Forecaster = {
  kind: HW_KIND,

  async fit(series: RegularSeries, options: FitOptions = {}): Promise<FittedModel> {
    return fitHoltWinters(series, options);
  },

  async load(artefact: ModelArtefact): Promise<FittedModel> {
    if (artefact.kind !== HW_KIND) throw new InputError(`artefact of kind "${artefact.kind}" is not a Holt-Winters model`, 'artefact.kind');
    if (artefact.formatVersion !== HW_FORMAT_VERSION) throw new InputError(`unknown Holt-Winters formatVersion ${artefact.formatVersion} (this build reads ${HW_FORMAT_VERSION})`, 'artefact.formatVersion');
    const parsed = artefactParamsSchema.safeParse(artefact.params);
    if (!parsed.success) throw new InputError(`corrupt Holt-Winters artefact: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'artefact.params');
    const p = parsed.data;
    const nSeason = p.spec.season === 'N' ? 0 : p.spec.periods.length;
    const consistent =
      p.params.gammas.length === nSeason &&
      p.state.seasons.length === nSeason &&
      p.state.seasons.every((s, k) => s.length === p.spec.periods[k]) &&
      [p.params.alpha, p.params.beta, p.params.phi, p.params.rho, p.state.level, p.state.trend, p.state.lastResidual, ...p.params.gammas].every(Number.isFinite) &&
      p.state.seasons.every((s) => s.every(Number.isFinite));
    if (!consistent) throw new InputError('corrupt Holt-Winters artefact: parameters and states do not match the specification', 'artefact.params');
    const core: HwCore = {
      spec: p.spec,
      params: p.params,
      state: { level: p.state.level, trend: p.state.trend, seasons: p.state.seasons.map((s) => Float64Array.from(s)), t: p.state.t, lastResidual: p.state.lastResidual },
      sigma2: p.sigma2,
      notes: p.notes,
      aicc: p.aicc ?? NaN,
      seed: p.seed,
    };
    return new HoltWintersModel(core, { trainedOn: artefact.trainedOn, lastObservedMs: p.lastObservedMs, stepMs: artefact.trainedOn.stepMs });
  },
};

/** The synchronous core of `holtWintersForecaster.fit` (benchmarks call it directly). */
export function fitHoltWinters(series: RegularSeries, options: FitOptions = {}): FittedModel {
  if (!(series.stepMs > 0) || !Number.isFinite(series.startMs)) throw new InputError(`step ${series.stepMs} ms and start ${series.startMs} must be finite, step > 0`, 'series');
  options.onProgress?.(0, 'fitting Holt-Winters (ETS)');
  const auto = autoEts(series.values, { stepMs: series.stepMs, seasonLengths: options.seasonLengths });
  const { fit } = auto;
  const notes = [...auto.notes];
  if (auto.tried.length > 1) notes.push(`${describeSpec(fit.spec)} chosen by AICc among ${auto.tried.map((t) => t.model).join(', ')}`);
  const n = series.values.length;
  const lastObservedMs = series.startMs + (n - 1) * series.stepMs;
  options.onProgress?.(1, describeSpec(fit.spec));
  return new HoltWintersModel(
    { spec: fit.spec, params: fit.params, state: fit.final, sigma2: fit.sigma2, notes, aicc: fit.aicc, seed: options.seed ?? 1 },
    { trainedOn: { startMs: series.startMs, endMs: lastObservedMs, stepMs: series.stepMs, points: n }, lastObservedMs, stepMs: series.stepMs },
  );
}
