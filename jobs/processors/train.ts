import type { Job } from 'bullmq';
import { findSubject } from '../../src/config/subjects.js';
import { disposeModel } from '../../src/forecasting/forecasters.js';
import type { ModelInfo } from '../../src/state/state-store.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import { alreadyCovered, suggestCalendarFloors } from '../../src/scaling/learned-actions.js';
import { modelCalendar } from '../model-calendar.js';
import type { JobPayload } from '../queues.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { carriedScores, deepTrainingDecision } from '../../src/forecasting/deep-training.js';
import { setDeepStatus } from './train-deep.js';
import { COLD_START_KIND } from '../../src/forecasting/champion.js';
import type { RegularSeries } from '../../src/forecasting/forecaster.js';

const DAY_MS = 86_400_000;
/**
 * One day of history gives seasonal naive its season (and its own intervals); from two days on the champion
 * selection backtests the seasonal models. Below one day the target stays in learning mode: the replays
 * (bench:scaling) showed the second day spent learning cost more under-provisioned minutes than the
 * day-old seasonal naive forecast did.
 */
export const REQUIRED_HISTORY_DAYS = 1;

export interface TrainResult {
  target: string;
  kind: string;
  version: number | null;
  points: number;
  historyDays: number;
  /** Id of the LSTM training queued after this one (the replay scheduler waits for it). */
  deepJob?: string;
}

export interface TrainHooks {
  /** Queues the subject's LSTM training for logical time `at` (train-deep.ts); returns its job id. Absent: never queued. */
  queueDeep?: (target: string, at: number) => Promise<string>;
}

/**
 * A target with at least an hour but less than a day of its own history, choosing its model automatically, gets
 * the bundled global LSTM conditioned on what it has (src/forecasting/global-lstm/cold-start.ts), stored as a
 * model version like any champion. Null when it does not apply: too short, a model chosen in the config, or
 * `forecasting.deep: off` (no networks on this installation).
 */
async function coldStart(deps: JobDeps, id: string, model: string, history: RegularSeries, at: number): Promise<{ version: number; info: Omit<ModelInfo, 'target' | 'trainedAt' | 'historyDays' | 'requiredHistoryDays'> } | null> {
  if (model !== 'auto' || deps.config.forecasting.deep === 'off' || history.values.length * history.stepMs < 3_600_000) return null;
  // Loaded only here: it brings TensorFlow.js, which processes that never cold-start should not pay for.
  const { coldStartModel, needsColdStart } = await import('../../src/forecasting/global-lstm/cold-start.js');
  if (!needsColdStart(history)) return null;
  const fitted = await coldStartModel(history, id);
  const artefact = fitted.toArtefact();
  const { description, lastObservedMs } = fitted;
  disposeModel(fitted);
  artefact.trainedOn.seriesId = id;
  const saved = await deps.models.saveVersion(id, artefact);
  return {
    version: saved.version,
    info: {
      kind: COLD_START_KIND,
      description,
      version: saved.version,
      trainedUntil: lastObservedMs,
      scores: {},
      peakLoad: history.values.reduce((a, b) => Math.max(a, b), 0),
      notes: [`cold start: the global LSTM (trained across other series) conditioned on this target's first ${Math.round((history.values.length * history.stepMs) / 3_600_000)} h (each forecast blended with its hour-ago values by a self-check on its last hours), until a day of its own history (${new Date(at).toISOString()})`],
    },
  };
}

/**
 * Fits the target's champion on its history up to `at` and stores artefact and model info; then queues the LSTM's
 * training (config forecasting.deep) on the same history, or records in ModelInfo.deep why not.
 */
export function trainProcessor(deps: JobDeps, hooks: TrainHooks = {}) {
  const afterTraining = async (id: string, model: string, at: number, points: number, result: TrainResult): Promise<TrainResult> => {
    if (!hooks.queueDeep) return result;
    const decision = deepTrainingDecision(deps.config.forecasting, { model: model as TargetConfig['model'] }, points, deps.config.step, Math.ceil(deps.config.horizon / deps.config.step));
    const status = { at, updatedAt: Date.now(), budgetSeconds: deps.config.forecasting.deepBudget / 1000, ...carriedScores((await deps.state.getModelInfo(id))?.deep) };
    if (!decision.train) {
      await setDeepStatus(deps, id, { ...status, state: 'skipped', reason: decision.reason });
      return result;
    }
    const deepJob = await hooks.queueDeep(id, at);
    await setDeepStatus(deps, id, { ...status, state: 'queued', reason: 'after this Holt-Winters training' });
    deps.logger.info({ target: id, at, job: deepJob }, 'deep training queued');
    return { ...result, deepJob };
  };
  return async (job: Job<JobPayload<'train'>>): Promise<TrainResult> => {
    const { at } = job.data;
    // An unknown subject is bad input: an InputError, which the worker turns into UnrecoverableError (no retries).
    const subject = findSubject(deps.config, job.data.target);
    const id = subject.id;
    await job.updateProgress({ fraction: 0, message: 'reading history' });
    const history = await readHistory(deps.store, subject.metric, at - deps.config.history, at, deps.config.step);
    const points = history?.values.length ?? 0;
    const historyDays = (points * deps.config.step) / DAY_MS;
    const baseInfo = { target: id, trainedAt: at, historyDays, requiredHistoryDays: REQUIRED_HISTORY_DAYS };
    if (!history || historyDays < REQUIRED_HISTORY_DAYS) {
      const learning = `learning: ${historyDays.toFixed(1)} of ${REQUIRED_HISTORY_DAYS} days of history`;
      const cold = history ? await coldStart(deps, id, subject.model, history, at).catch((error: unknown) => ({ failed: (error as Error).message })) : null;
      if (cold && 'version' in cold) {
        // Forecasts from the first hours on (dashboard, API, the predicted-load metric); sizing stays live until a day.
        await deps.state.setModelInfo({ ...baseInfo, ...cold.info, notes: [learning, ...cold.info.notes] });
        deps.logger.info({ target: id, historyDays, version: cold.version }, 'cold start: the global LSTM conditioned on the first hours');
        return { target: id, kind: COLD_START_KIND, version: cold.version, points, historyDays };
      }
      const info: ModelInfo = { ...baseInfo, kind: 'none', description: 'none', version: 0, trainedUntil: at, scores: {}, notes: [learning, ...(cold && 'failed' in cold ? [`cold start failed: ${cold.failed}`] : [])] };
      await deps.state.setModelInfo(info);
      deps.logger.info({ target: id, historyDays }, 'not enough history to train');
      return { target: id, kind: 'none', version: null, points, historyDays };
    }
    // Known events and learned recurring interventions are offered to the forecasters as features.
    const [entries, interventions] = await Promise.all([deps.calendarEntries(id), deps.state.listInterventions(id)]);
    const suggestions = suggestCalendarFloors(interventions, at).filter((s) => !alreadyCovered(s, entries));
    await deps.state.setSuggestions(id, suggestions);
    const calendar = modelCalendar(entries, suggestions, id);
    const started = performance.now();
    const champion = await deps.train(history, {
      target: id,
      preferred: subject.model,
      calendar,
      onProgress: (fraction, message) => void job.updateProgress({ fraction: 0.05 + 0.9 * fraction, message: message ?? 'training' }),
    });
    const artefact = champion.model.toArtefact();
    const { description, lastObservedMs } = champion.model;
    // The forecast job loads its own copy from the store; this one may hold tensors (LSTM).
    disposeModel(champion.model);
    artefact.trainedOn.seriesId = id;
    const saved = await deps.models.saveVersion(id, artefact).catch(async (error: unknown) => {
      // A full disk or a read-only store: the model in use stays, and its info says why nothing newer came.
      const previous = await deps.state.getModelInfo(id);
      if (previous && previous.kind !== 'none') {
        await deps.state.setModelInfo({ ...previous, notes: [...previous.notes.filter((n) => !n.startsWith('not saved')), `not saved: ${description} trained at ${new Date(at).toISOString()}: ${(error as Error).message}`] });
      }
      throw error;
    });
    if (!saved.promoted) {
      // The new model is worse than the one in use: keep serving the last good one, and say so.
      const previous = await deps.state.getModelInfo(id);
      deps.logger.warn({ target: id, version: saved.version, reason: saved.reason }, 'new model not promoted');
      if (previous && previous.kind !== 'none') {
        await deps.state.setModelInfo({ ...previous, notes: [...previous.notes.filter((n) => !n.startsWith('not promoted')), `not promoted: v${saved.version} ${saved.reason ?? ''}`.trim()] });
        return afterTraining(id, subject.model, at, points, { target: id, kind: previous.kind, version: previous.version, points, historyDays });
      }
    }
    const version = saved.version;
    const info: ModelInfo = {
      ...baseInfo,
      kind: champion.kind,
      description,
      version,
      trainedUntil: lastObservedMs,
      scores: champion.scores,
      peakLoad: history.values.reduce((a, b) => Math.max(a, b), 0),
      ...(champion.backtestMase !== undefined ? { backtestMase: champion.backtestMase } : {}),
      ...(champion.naiveMase !== undefined ? { naiveMase: champion.naiveMase } : {}),
      notes: champion.notes,
    };
    await deps.state.setModelInfo(info);
    await job.updateProgress({ fraction: 1, message: `trained ${description}` });
    deps.logger.info({ target: id, kind: champion.kind, model: description, version, points, seconds: Math.round(performance.now() - started) / 1000 }, 'model trained');
    return afterTraining(id, subject.model, at, points, { target: id, kind: champion.kind, version, points, historyDays });
  };
}
