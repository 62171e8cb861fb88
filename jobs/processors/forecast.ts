import type { Job } from 'bullmq';
import { findSubject } from '../../src/config/subjects.js';
import { disposeModel } from '../../src/forecasting/forecasters.js';
import type { FittedModel } from '../../src/forecasting/forecaster.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import type { JobPayload } from '../queues.js';

export interface ForecastResult {
  target: string;
  model: string | null;
  points: number;
}

/**
 * Brings the stored model up to `at` by re-filtering the observations since it was trained (no refit), then
 * forecasts the configured horizon and stores it. Loaded models are cached per target and version.
 *
 * The step that contains `at` is still filling up. Once it holds samples, their mean so far conditions the
 * forecast through a transient update (never cached: the complete step replaces it next time), and the
 * forecast starts at the next step; the planner sizes the current step by live load anyway. On a 30-minute
 * grid this is the difference between forecasting the next step from data up to 30 minutes old or from the
 * latest samples (bench:scaling, taxi: 0.33x -> 0.15x the HPA's under-provisioned minutes).
 */
export function forecastProcessor(deps: JobDeps) {
  const cache = new Map<string, { version: number; model: FittedModel }>();
  return async (job: Job<JobPayload<'forecast'>>): Promise<ForecastResult> => {
    const { at } = job.data;
    // An unknown subject is bad input: an InputError, which the worker turns into UnrecoverableError (no retries).
    const subject = findSubject(deps.config, job.data.target);
    const id = subject.id;
    const info = await deps.state.getModelInfo(id);
    if (!info || info.kind === 'none') return { target: id, model: null, points: 0 };
    let cached = cache.get(id);
    if (!cached || cached.version !== info.version) {
      const loaded = await deps.models.load(id);
      if (!loaded) return { target: id, model: null, points: 0 };
      // The replaced model may hold tensors (LSTM): free them.
      if (cached) disposeModel(cached.model);
      cached = loaded;
    }
    const step = deps.config.step;
    const from = cached.model.lastObservedMs + step;
    // Only complete steps: the step that contains `at` is still filling up.
    const to = Math.floor(at / step) * step;
    let model = cached.model;
    if (to > from) {
      const fresh = await readHistory(deps.store, subject.metric, from, to, step);
      if (fresh && fresh.startMs === from) model = model.update(fresh.values);
    }
    cache.set(id, { version: cached.version, model });
    const horizonSteps = Math.ceil(deps.config.horizon / step);
    let latest = model;
    if (model.lastObservedMs + step === to && at > to) {
      const partial = await readHistory(deps.store, subject.metric, to, at + 1, step);
      if (partial && partial.startMs === to && partial.values.length === 1) latest = model.update(partial.values);
    }
    const forecast = latest.predict(horizonSteps);
    await deps.store.writeForecast({ target: id, issuedAt: at, model: forecast.model, startMs: forecast.startMs, stepMs: forecast.stepMs, mean: forecast.mean, intervals: forecast.intervals });
    return { target: id, model: forecast.model, points: forecast.mean.length };
  };
}
