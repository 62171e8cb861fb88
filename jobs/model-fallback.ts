/**
 * The forecast job's way down when the trained model is not usable: an older stored version (the model store
 * skips versions that do not load), then seasonal naive fitted on the spot from recent history, then no
 * forecast at all (the planner runs reactive only). Each step is recorded as the target's ModelInUse with the
 * reason, so /api/status says which model forecasts and why.
 *
 * Left out: training (the train job) and promotion (src/forecasting/model-store.ts).
 */
import type { MetricRef } from '../src/config/schema.js';
import type { FittedModel } from '../src/forecasting/forecaster.js';
import { seasonalNaiveForecaster } from '../src/forecasting/seasonal-naive.js';
import type { ModelInUse } from '../src/state/state-store.js';
import type { JobDeps } from './deps.js';
import { readHistory } from './history.js';

const DAY_MS = 86_400_000;
/** History read for the seasonal-naive fallback: two weeks lets it pick a weekly season. */
const FALLBACK_HISTORY_MS = 15 * DAY_MS;
/** Seasonal naive needs one full day (its shortest season) to forecast more than a flat line. */
const FALLBACK_MIN_HISTORY_MS = DAY_MS;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What was wrong with the stored versions, in words ("v3: artefact.json is unreadable ...; v2: ..."). */
export function storeProblems(promoted: number, skipped: readonly { version: number; reason: string }[]): string {
  if (skipped.length === 0) return `no stored version of the model loads (v${promoted} expected)`;
  return skipped.map((s) => `v${s.version} does not load: ${s.reason}`).join('; ');
}

/** ModelInUse for a version the store loaded: the promoted one, or an older one (with the skipped versions as reason). */
export function inUseOf(target: string, at: number, promoted: number, loaded: { version: number; model: FittedModel; skipped?: { version: number; reason: string }[] }): ModelInUse {
  const skipped = loaded.skipped ?? [];
  const older = skipped.length > 0 || loaded.version !== promoted;
  return {
    target,
    source: older ? 'previous' : 'stored',
    version: loaded.version,
    description: loaded.model.description,
    reason: older ? `${storeProblems(promoted, skipped)}; using v${loaded.version}` : '',
    at,
  };
}

/**
 * Seasonal naive on the last two weeks up to `at`, or null (reactive only) when the history is too short or
 * cannot be read. Either way the outcome is recorded as the target's ModelInUse.
 */
export async function fallbackModel(deps: Pick<JobDeps, 'store' | 'state' | 'config' | 'logger'>, metric: MetricRef, target: string, at: number, why: string): Promise<FittedModel | null> {
  const step = deps.config.step;
  const end = Math.floor(at / step) * step;
  let reactive: string;
  try {
    const history = await readHistory(deps.store, metric, end - Math.min(FALLBACK_HISTORY_MS, deps.config.history), end, step);
    const span = history ? history.values.length * step : 0;
    if (history && span >= FALLBACK_MIN_HISTORY_MS) {
      const model = await seasonalNaiveForecaster.fit(history);
      await deps.state.setModelInUse({ target, source: 'snaive', description: model.description, reason: `${why}; seasonal naive fitted on ${(span / DAY_MS).toFixed(1)} days of history`, at });
      deps.logger.warn({ target, why }, 'stored model unusable: seasonal naive fallback');
      return model;
    }
    reactive = `${why}; ${(span / DAY_MS).toFixed(1)} days of history is too little for seasonal naive (1 day needed): reactive only`;
  } catch (error) {
    reactive = `${why}; seasonal naive not possible (${message(error)}): reactive only`;
  }
  await deps.state.setModelInUse({ target, source: 'reactive', description: 'none', reason: reactive, at });
  deps.logger.warn({ target, reason: reactive }, 'no usable model: reactive only');
  return null;
}
