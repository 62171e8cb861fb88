import type { Job } from 'bullmq';
import { findSubject } from '../../src/config/subjects.js';
import { disposeModel } from '../../src/forecasting/forecasters.js';
import type { FittedModel } from '../../src/forecasting/forecaster.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import type { JobPayload } from '../queues.js';
import { fallbackModel, inUseOf, storeProblems } from '../model-fallback.js';
import { liveModelCalendar } from '../model-calendar.js';

export interface ForecastResult {
  target: string;
  model: string | null;
  points: number;
}

/**
 * Brings the stored model up to `at` by re-filtering the observations since it was trained (no refit), then
 * forecasts the configured horizon and stores it. Loaded models are cached per target and promoted version:
the promoted version is asked of the store on every run (current.json, one small file), so a version an
operator promotes or rolls back to (`prescale models`) forecasts from the next run on, without a restart.
 *
 * The step that contains `at` is still filling up. Once it holds samples, their mean so far conditions the
 * forecast through a transient update (never cached: the complete step replaces it next time), and the
 * forecast starts at the next step; the planner sizes the current step by live load anyway. On a 30-minute
 * grid this is the difference between forecasting the next step from data up to 30 minutes old or from the
 * latest samples (bench:scaling, taxi: 0.33x -> 0.15x the HPA's under-provisioned minutes).
 *
 * When the stored model does not load (a corrupt or missing artefact), an older stored version is used, else
 * seasonal naive fitted on the spot, else no forecast (reactive only); which one and why is kept per target
 * (StateStore.setModelInUse) for /api/status. Each forecast is also kept in Redis (deps.lastKnown) for the
 * plan job while InfluxDB is away.
 */
export function forecastProcessor(deps: JobDeps) {
  const cache = new Map<string, { version: number; model: FittedModel }>();
  const calendar = liveModelCalendar(deps);
  return async (job: Job<JobPayload<'forecast'>>): Promise<ForecastResult> => {
    const { at } = job.data;
    // An unknown subject is bad input: an InputError, which the worker turns into UnrecoverableError (no retries).
    const subject = findSubject(deps.config, job.data.target);
    const id = subject.id;
    const info = await deps.state.getModelInfo(id);
    if (!info || info.kind === 'none') return { target: id, model: null, points: 0 };
    const step = deps.config.step;
    let cached = cache.get(id);
    // The flags the model was trained with (calendar entries, learned floors), as they are now.
    const flags = await calendar.refresh(id);
    // The store's pointer, not the train job's ModelInfo: an operator may have moved it since training. An
    // older version loaded in its place never matches it, so the store is tried again next run.
    const promoted = deps.models.currentVersion?.(id) ?? info.version;
    if (!cached || cached.version !== promoted) {
      const loaded = await deps.models.load(id, { calendar: flags });
      // The replaced model may hold tensors (LSTM): free them.
      if (cached) disposeModel(cached.model);
      cache.delete(id);
      if (!loaded) {
        // No stored version loads: seasonal naive fitted now, else reactive only (model-fallback.ts).
        const fallback = await fallbackModel(deps, subject.metric, id, at, storeProblems(promoted, []));
        if (!fallback) return { target: id, model: null, points: 0 };
        cached = { version: -1, model: fallback };
      } else {
        cached = { version: loaded.version, model: loaded.model };
        await deps.state.setModelInUse(inUseOf(id, at, promoted, loaded));
      }
    }
    const from = cached.model.lastObservedMs + step;
    // Only complete steps: the step that contains `at` is still filling up.
    const to = Math.floor(at / step) * step;
    let model = cached.model;
    if (to > from) {
      const fresh = await readHistory(deps.store, subject.metric, from, to, step);
      if (fresh && fresh.startMs === from) model = model.update(fresh.values);
    }
    // A fallback is never cached: the store is tried again next run (an operator may have restored a version).
    const keep = cached.version >= 0;
    if (keep) cache.set(id, { version: cached.version, model });
    // Models derived by update() hold their network (LSTM) until disposed: release the one this run replaced.
    if (model !== cached.model) disposeModel(cached.model);
    const horizonSteps = Math.ceil(deps.config.horizon / step);
    let latest = model;
    let forecast: ReturnType<FittedModel['predict']>;
    try {
      if (model.lastObservedMs + step === to && at > to) {
        const partial = await readHistory(deps.store, subject.metric, to, at + 1, step);
        if (partial && partial.startMs === to && partial.values.length === 1) latest = model.update(partial.values);
      }
      forecast = latest.predict(horizonSteps);
    } finally {
      if (latest !== model) disposeModel(latest);
      if (!keep) disposeModel(model);
    }
    const stored = { target: id, issuedAt: at, model: forecast.model, startMs: forecast.startMs, stepMs: forecast.stepMs, mean: forecast.mean, intervals: forecast.intervals };
    // Redis first: the plan job's forecast while InfluxDB is away (the store write may only be buffered).
    // The first time, the plan window is seeded from the store's forecast for the step filling up (one read per target).
    await deps.lastKnown?.putForecast(stored, (from, to) => deps.store.readForecast(id, from, to));
    await deps.store.writeForecast(stored);
    return { target: id, model: forecast.model, points: forecast.mean.length };
  };
}
