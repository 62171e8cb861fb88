import type { ForecastingConfig } from '../config/schema.js';
import type { ForecastSubject } from '../config/subjects.js';
import { daySeason, validationPlan } from './backtest.js';
import { DEFAULT_LSTM_CONFIG, type LstmConfig } from './lstm/config.js';
import { deriveLayout, minimumLength } from './lstm/fit.js';

/**
 * Deep training (the LSTM) as the service runs it: the pure part. Whether a subject's LSTM is trained after its
 * Holt-Winters training (config `forecasting.deep`, the target's `model`, its history), which candidates the
 * champion is then chosen among, and the status /api/status and `prescale status` show. The job that trains is
 * jobs/processors/train-deep.ts; this file does no I/O and does not load TensorFlow.
 *
 * Left out: whether TensorFlow.js loads on this machine (the job finds out and records it as a skip).
 */

/** Where a subject's deep training stands, kept in its ModelInfo (`deep`). */
export interface DeepTrainingStatus {
  state: 'queued' | 'training' | 'trained' | 'skipped' | 'failed';
  /** Why it was skipped or failed; how it ended when trained (e.g. stopped at the budget). */
  reason: string;
  /** Logical time (epoch ms) of the Holt-Winters training it follows: the same history, the same origins. */
  at: number;
  /** Wall-clock epoch ms this status was written. */
  updatedAt: number;
  /** The time budget, seconds. */
  budgetSeconds: number;
  /** Share done while training, 0..1. */
  progress?: number;
  /** Wall seconds the training took. */
  seconds?: number;
  /** Whether the budget cut the LSTM's training short. */
  stoppedByBudget?: boolean;
  /** Validation MASE of the LSTM alone. */
  lstmMase?: number;
  /** Validation MASE of every candidate it was compared with (Holt-Winters, seasonal naive, combinations). */
  scores?: Record<string, number>;
  /** The champion chosen among them ("hw", "lstm", "hw*0.25+lstm*0.75"). */
  champion?: string;
  /** Model store version saved for it (when the champion involves the LSTM). */
  version?: number;
}

/** What a new status keeps of the previous one: the last LSTM's scores stay visible until a new training replaces them. */
export function carriedScores(previous: DeepTrainingStatus | undefined): Pick<DeepTrainingStatus, 'lstmMase' | 'scores'> {
  if (!previous) return {};
  return { ...(previous.lstmMase !== undefined ? { lstmMase: previous.lstmMase } : {}), ...(previous.scores ? { scores: previous.scores } : {}) };
}

/** Weights of the first member tried for a pair with the LSTM in the deep job's choice: the combination's weights are chosen on validation. */
export const DEEP_ENSEMBLE_WEIGHTS: readonly number[] = [0.25, 0.5, 0.75];

/**
 * The deep job's ensemble weights: the grid for pairs with the LSTM; the others keep the champion's default
 * (equal weights), so that when the LSTM helps nowhere the choice is the one the Holt-Winters job made.
 */
export function deepEnsembleWeights(a: string, b: string): readonly number[] | undefined {
  return a === 'lstm' || b === 'lstm' ? DEEP_ENSEMBLE_WEIGHTS : undefined;
}

export type DeepDecision = { train: true } | { train: false; reason: string };

/**
 * Whether to queue the subject's LSTM training after a Holt-Winters training on `points` points of history:
 * off never; auto for `model: auto` only (`model: lstm` is already trained by the main job, hw and snaive are
 * the operator's choice); always also for hw and snaive. Either way the history must be long enough for the
 * LSTM to train on the part before the champion's validation origins.
 */
export function deepTrainingDecision(
  forecasting: ForecastingConfig,
  subject: Pick<ForecastSubject, 'model'>,
  points: number,
  stepMs: number,
  horizonSteps: number,
  lstm: Readonly<LstmConfig> = DEFAULT_LSTM_CONFIG,
): DeepDecision {
  if (forecasting.deep === 'off') return { train: false, reason: 'forecasting.deep is off' };
  if (subject.model === 'lstm') return { train: false, reason: 'model: lstm: the main training job trains the LSTM itself' };
  if (subject.model !== 'auto' && forecasting.deep !== 'always') {
    return { train: false, reason: `model: ${subject.model} (forecasting.deep: always trains an LSTM for it too)` };
  }
  const needed = minimumHistoryPoints(stepMs, horizonSteps, lstm);
  if (points < needed) {
    const days = (n: number) => ((n * stepMs) / 86_400_000).toFixed(1);
    return { train: false, reason: `not enough history for the LSTM: ${days(points)} of ${days(needed)} days` };
  }
  return { train: true };
}

/** Fewest points of history for which the champion's validation split leaves the LSTM enough to train on. */
export function minimumHistoryPoints(stepMs: number, horizonSteps: number, lstm: Readonly<LstmConfig> = DEFAULT_LSTM_CONFIG): number {
  const required = minimumLength(deriveLayout(stepMs, lstm));
  const season = daySeason(stepMs);
  // The validation split grows with n: search upwards from the LSTM's own minimum (a few steps at most).
  for (let n = required; n < required + 30 * season; n += Math.max(1, Math.floor(season / 24))) {
    const plan = validationPlan(n, season, horizonSteps);
    if (plan && plan.fitEnd >= required) return n;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Candidates of the deep job's champion choice: the members of the current champion (Holt-Winters, seasonal
 * naive, ...), Holt-Winters and the LSTM. `currentKind` is a champion name: "hw", "hw+snaive", "hw*0.25+lstm*0.75".
 */
export function deepCandidates(currentKind: string): string[] {
  const members = currentKind
    .split('+')
    .map((part) => part.split('*')[0]!)
    .filter((kind) => kind !== '' && kind !== 'none' && kind !== 'lstm');
  // Holt-Winters always: when seasonal naive won alone, Holt-Winters may still pair well with the LSTM.
  return [...new Set([...members, 'hw', 'lstm'])];
}
