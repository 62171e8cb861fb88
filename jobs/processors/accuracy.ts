import type { Job } from 'bullmq';
import { findTarget, targetId } from '../../src/config/targets.js';
import { accuracyEndMs, computeLiveAccuracy, LIVE_ACCURACY_WINDOWS, seasonSteps, type LiveAccuracy } from '../../src/accuracy/live-accuracy.js';
import { FORECAST_HISTORY } from '../../src/metrics/metrics-store.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import { leadTimeLookup } from '../lead-times.js';
import type { JobPayload } from '../queues.js';

export interface AccuracyJobResult {
  target: string;
  leadMs: number;
  points24h: number;
  points7d: number;
}

/**
 * Scores a target's forecasts as issued one pod lead ahead (the lead the plan job uses: measured, or the
 * configured pod start-up) against its actual load over the last 24 h and 7 d (src/accuracy/live-accuracy.ts),
 * and keeps the result in shared state for the API, the dashboard and /metrics. Reads: the as-issued forecasts
 * of the longest window, the actual load since one season before it, and the training history before it.
 */
export function accuracyProcessor(deps: JobDeps) {
  const leadTimes = leadTimeLookup(deps);
  return async (job: Job<JobPayload<'accuracy'>>): Promise<AccuracyJobResult> => {
    const { at } = job.data;
    // Only targets have a pod lead; an unknown one is bad input (InputError -> no retries).
    const target = findTarget(deps.config, job.data.target);
    const id = targetId(target);
    const step = deps.config.step;
    const end = accuracyEndMs(at, step);
    const longest = Math.max(...Object.values(LIVE_ACCURACY_WINDOWS));
    const shortest = Math.min(...Object.values(LIVE_ACCURACY_WINDOWS));
    // As-issued reads reach back FORECAST_HISTORY.maxAgeMs at most: a longer lead is scored at the longest kept.
    const leadMs = Math.min((await leadTimes.pod(target)).ms, FORECAST_HISTORY.maxAgeMs - 1);
    const [actual, history, forecasts] = await Promise.all([
      deps.store.readSeries({ ...target.load, from: end - longest - seasonSteps(step) * step, to: end, stepMs: step, gap: 'null' }),
      readHistory(deps.store, target.load, end - longest - deps.config.history, end - shortest, step),
      deps.store.readForecastAsIssued({ target: id, from: end - longest, to: end, leadMs, stepMs: step }),
    ]);
    const accuracy: LiveAccuracy = computeLiveAccuracy({ target: id, at, stepMs: step, leadMs, historyMs: deps.config.history, actual, history, forecasts });
    await deps.state.setLiveAccuracy(accuracy);
    return { target: id, leadMs, points24h: accuracy.windows['24h'].points, points7d: accuracy.windows['7d'].points };
  };
}
