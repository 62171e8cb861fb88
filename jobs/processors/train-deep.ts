import type { Job } from 'bullmq';
import { findSubject } from '../../src/config/subjects.js';
import { championCard, selectChampion } from '../../src/forecasting/champion.js';
import { carriedScores, deepCandidates, deepEnsembleWeights, deepTrainingDecision, type DeepTrainingStatus } from '../../src/forecasting/deep-training.js';
import { disposeModel } from '../../src/forecasting/forecasters.js';
import type { ModelInfo } from '../../src/state/state-store.js';
import type { JobDeps } from '../deps.js';
import { readHistory } from '../history.js';
import { modelCalendar } from '../model-calendar.js';
import type { JobPayload } from '../queues.js';

/**
 * The LSTM's training, queued by the Holt-Winters training job (train.ts) for the same subject and logical time:
 * the same history, the same calendar flags, so the champion is chosen again on the same rolling validation
 * origins among the current champion's members, Holt-Winters, the LSTM and their weighted combinations
 * (src/forecasting/champion.ts; the LSTM trains once, continued on all data from its validated weights). A
 * champion that involves the LSTM becomes a new model store version (the forecast job loads it on its next run,
 * no restart); otherwise the Holt-Winters job's champion stays and only the scores are recorded.
 *
 * Lower priority than Holt-Winters: it waits while Holt-Winters trainings are waiting or running (up to
 * HOLT_WINTERS_WAIT_MS). Within `forecasting.deepBudget` wall-clock time: the LSTM stops at the budget with
 * the best weights it has, and the status says so. Progress goes to BullMQ (job.updateProgress), the logs, and
 * the subject's ModelInfo.deep (/api/status, `prescale status`).
 *
 * Left out: several LSTM trainings at once (the worker runs one per process: tfjs uses every core).
 */

/** Longest the deep job waits for Holt-Winters trainings before it trains anyway (real ms). */
export const HOLT_WINTERS_WAIT_MS = 10 * 60_000;
const WAIT_POLL_MS = 1_000;
/** Status writes to Redis while training: at most one per this many real ms. */
const STATUS_EVERY_MS = 2_000;

export interface TrainDeepResult {
  target: string;
  state: DeepTrainingStatus['state'];
  reason: string;
  champion?: string;
  version?: number;
  lstmMase?: number;
}

export interface TrainDeepHooks {
  /** Holt-Winters trainings waiting or running (BullMQ counts of the train queue). Absent: none. */
  pendingHoltWinters?: () => Promise<number>;
  /** Real-time sleep (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

/** Writes the subject's ModelInfo.deep (read-modify-write: the rest of ModelInfo is the training job's). */
export async function setDeepStatus(deps: Pick<JobDeps, 'state'>, target: string, deep: DeepTrainingStatus, patch: Partial<ModelInfo> = {}): Promise<void> {
  const info = await deps.state.getModelInfo(target);
  if (!info) return;
  await deps.state.setModelInfo({ ...info, ...patch, deep });
}

export function trainDeepProcessor(deps: JobDeps, hooks: TrainDeepHooks = {}) {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return async (job: Job<JobPayload<'train-deep'>>): Promise<TrainDeepResult> => {
    const { at } = job.data;
    const subject = findSubject(deps.config, job.data.target);
    const id = subject.id;
    const budgetMs = deps.config.forecasting.deepBudget;
    const base = { at, budgetSeconds: budgetMs / 1000 };
    const carried = carriedScores((await deps.state.getModelInfo(id))?.deep);
    const finish = async (state: DeepTrainingStatus['state'], reason: string, extra: Partial<DeepTrainingStatus> = {}, patch: Partial<ModelInfo> = {}): Promise<TrainDeepResult> => {
      await setDeepStatus(deps, id, { ...base, ...carried, state, reason, updatedAt: Date.now(), ...extra }, patch);
      const level = state === 'failed' ? 'warn' : 'info';
      deps.logger[level]({ target: id, state, reason, at, ...extra }, `deep training ${state}`);
      return { target: id, state, reason, ...(extra.champion ? { champion: extra.champion } : {}), ...(extra.version !== undefined ? { version: extra.version } : {}), ...(extra.lstmMase !== undefined ? { lstmMase: extra.lstmMase } : {}) };
    };

    // Lower priority than Holt-Winters: its trainings first (they take seconds).
    const waitStarted = Date.now();
    while (hooks.pendingHoltWinters && Date.now() - waitStarted < HOLT_WINTERS_WAIT_MS && (await hooks.pendingHoltWinters()) > 0) {
      await job.updateProgress({ fraction: 0, message: 'waiting for Holt-Winters trainings' });
      await sleep(WAIT_POLL_MS);
    }

    const info = await deps.state.getModelInfo(id);
    if (!info || info.kind === 'none') return finish('skipped', 'no Holt-Winters champion yet (learning)');
    if (info.trainedAt > at) return finish('skipped', `superseded by the training at ${new Date(info.trainedAt).toISOString()}`);
    const step = deps.config.step;
    const horizon = Math.ceil(deps.config.horizon / step);
    const history = await readHistory(deps.store, subject.metric, at - deps.config.history, at, step);
    const decision = deepTrainingDecision(deps.config.forecasting, subject, history?.values.length ?? 0, step, horizon);
    if (!decision.train || !history) return finish('skipped', decision.train ? 'no history' : decision.reason);
    const lstm = deps.lstm ?? (await import('../../src/forecasting/lstm.js')).lstmForecaster;
    try {
      await (await import('../../src/forecasting/lstm.js')).lstmBackend();
    } catch (error) {
      return finish('skipped', `TensorFlow.js does not load here: ${(error as Error).message}`);
    }
    // The flags the Holt-Winters job trained with: the same features, the same validation.
    const [entries, suggestions] = await Promise.all([deps.calendarEntries(id), deps.state.getSuggestions(id)]);
    const calendar = modelCalendar(entries, suggestions, id);

    const started = Date.now();
    let lastStatus = 0;
    let lastLogged = -1;
    const onProgress = (fraction: number, message?: string) => {
      const text = message ?? 'training';
      void job.updateProgress({ fraction, message: text });
      if (Math.floor(fraction * 10) > lastLogged) {
        lastLogged = Math.floor(fraction * 10);
        deps.logger.info({ target: id, at, fraction: Number(fraction.toFixed(2)), message: text, seconds: (Date.now() - started) / 1000 }, 'deep training progress');
      }
      if (Date.now() - lastStatus >= STATUS_EVERY_MS) {
        lastStatus = Date.now();
        void setDeepStatus(deps, id, { ...base, ...carried, state: 'training', reason: text, progress: fraction, updatedAt: lastStatus }).catch(() => undefined);
      }
    };
    onProgress(0, 'training the LSTM');
    const candidates = deepCandidates(info.kind);
    const explicit = subject.model !== 'auto';
    let champion;
    try {
      champion = await selectChampion(history, {
        horizon,
        candidates,
        ...(explicit ? { baseline: false as const } : {}),
        ensembleWeights: deepEnsembleWeights,
        forecasters: { lstm },
        calendar,
        deadlineMs: started + budgetMs,
        onProgress,
      });
    } catch (error) {
      await finish('failed', (error as Error).message, { seconds: (Date.now() - started) / 1000 });
      throw error;
    }
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    const scores = Object.fromEntries(Object.entries(champion.scores).map(([name, s]) => [name, Number(s['mase']!.toFixed(4))]));
    const lstmMase = scores['lstm'];
    // Cut short in validation (the champion's notes) or in the continued epochs on all data (the model's own).
    const budgetNotes = [...champion.notes, ...champion.model.predict(1).notes].filter((n) => /time budget/.test(n));
    const outcome = {
      seconds,
      stoppedByBudget: budgetNotes.length > 0,
      scores,
      ...(lstmMase !== undefined ? { lstmMase } : {}),
    };
    const against = `LSTM validation MASE ${lstmMase?.toFixed(3) ?? 'n/a'}, ${champion.kind} ${champion.backtestMase?.toFixed(3) ?? 'n/a'}`;
    const budgetNote = budgetNotes.length > 0 ? `; stopped at the ${base.budgetSeconds} s budget` : '';
    const involvesLstm = champion.kind.split('+').some((part) => part.split('*')[0] === 'lstm');
    if (!involvesLstm) {
      disposeModel(champion.model);
      // The Holt-Winters job's champion stays; the LSTM's scores join its table.
      const current = await deps.state.getModelInfo(id);
      return finish('trained', `${against}: ${info.kind} kept${budgetNote}`, { ...outcome, champion: current?.kind ?? info.kind, ...(current ? { version: current.version } : {}) }, current ? { scores: { ...current.scores, ...champion.scores } } : {});
    }
    const artefact = champion.model.toArtefact();
    const { description, lastObservedMs } = champion.model;
    disposeModel(champion.model);
    artefact.trainedOn.seriesId = id;
    const saved = await deps.models.saveVersion(id, artefact, { card: championCard(champion) });
    if (!saved.promoted) {
      return finish('trained', `${against}: v${saved.version} not promoted: ${saved.reason ?? ''}${budgetNote}`, { ...outcome, champion: info.kind, version: info.version });
    }
    await job.updateProgress({ fraction: 1, message: `champion ${champion.kind} v${saved.version}` });
    return finish(
      'trained',
      `${against}: champion ${champion.kind} v${saved.version}${budgetNote}`,
      { ...outcome, champion: champion.kind, version: saved.version },
      {
        kind: champion.kind,
        description,
        version: saved.version,
        trainedUntil: lastObservedMs,
        scores: champion.scores,
        ...(champion.backtestMase !== undefined ? { backtestMase: champion.backtestMase } : {}),
        ...(champion.naiveMase !== undefined ? { naiveMase: champion.naiveMase } : {}),
        notes: champion.notes,
      },
    );
  };
}
