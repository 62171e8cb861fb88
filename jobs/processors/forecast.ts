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
    const forecast = model.predict(horizonSteps);
    await deps.store.writeForecast({ target: id, issuedAt: at, model: forecast.model, startMs: forecast.startMs, stepMs: forecast.stepMs, mean: forecast.mean, intervals: forecast.intervals });
    return { target: id, model: forecast.model, points: forecast.mean.length };
  };
}
