/**
 * Which mode a target is in and why. Pure. Modes are shown to people (dashboard, decision log):
 * - predictive: the forecast sizes replicas ahead of load;
 * - reactive: no model, a stale one, one worse than seasonal naive (equal is the baseline itself: fine),
 *   an unusable forecast, or a recent
 *   threshold breach; replicas follow live metrics with the HPA formula;
 * - learning: not enough history yet ("3 of 14 days of history"); behaves reactively;
 * - forecast-only: the target is configured to plan and record but never apply; it plans as it would;
 * - conflict: not assessed here but by the plan job (src/scaling/actuation.ts): in direct actuation another
 *   autoscaler (HPA, KEDA ScaledObject) scales the workload, so Prescale plans as it would and does not patch.
 */
import type { ModelHealth, ScalingMode } from './engine.js';

export interface ModeOptions {
  /** A model trained longer ago than this is stale, ms (default 2 days: training runs every few hours). */
  staleModelMs: number;
}

export const DEFAULT_MODE: ModeOptions = { staleModelMs: 2 * 86_400_000 };

export interface ModeInput {
  now: number;
  forecastOnly: boolean;
  model: ModelHealth;
  /** Whether a forecast was given at all. */
  hasForecast: boolean;
  /** Whether the forecast covers the whole sizing window. */
  forecastCovers: boolean;
  /** Whether the forecast holds non-finite values in the sizing window. */
  forecastInvalid: boolean;
  /** Reactive mode holds until this epoch ms after a breach; null when not held. */
  reactiveUntil: number | null;
}

export interface ModeAssessment {
  /** The mode shown. */
  mode: ScalingMode;
  /** How replicas are sized: from the forecast, or from live metrics. */
  sizing: 'forecast' | 'live';
  /** Why, in words: "model ets(A,Ad,A)[288] trained 3.1 d ago is stale (> 2 d)". */
  reason: string;
}

const days = (ms: number) => `${Math.round((ms / 86_400_000) * 10) / 10} d`;

/** True when the model is the seasonal-naive baseline itself, possibly wrapped ("conformal(snaive[288])"). */
function isBaseline(model: string): boolean {
  return /(^|\()s?naive\b/i.test(model);
}

export function assessMode(input: ModeInput, options: ModeOptions = DEFAULT_MODE): ModeAssessment {
  const base = assessSizing(input, options);
  if (input.forecastOnly) return { ...base, mode: 'forecast-only', reason: `forecast-only (plans, never applies); ${base.reason}` };
  return base;
}

function assessSizing(input: ModeInput, options: ModeOptions): ModeAssessment {
  const { model } = input;
  const historyDays = Number.isFinite(model.historyDays) ? model.historyDays : 0;
  if (historyDays < model.requiredHistoryDays) {
    const shown = Math.floor(historyDays * 10) / 10;
    return { mode: 'learning', sizing: 'live', reason: `learning: ${shown} of ${model.requiredHistoryDays} days of history` };
  }
  if (model.model === null || model.trainedAt === null) return { mode: 'reactive', sizing: 'live', reason: 'no model' };
  const age = input.now - model.trainedAt;
  if (age > options.staleModelMs) {
    return { mode: 'reactive', sizing: 'live', reason: `model ${model.model} trained ${days(age)} ago is stale (> ${days(options.staleModelMs)})` };
  }
  if (
    !isBaseline(model.model) &&
    model.backtestMase !== undefined &&
    model.naiveMase !== undefined &&
    model.backtestMase > model.naiveMase
  ) {
    return { mode: 'reactive', sizing: 'live', reason: `model ${model.model} MASE ${model.backtestMase.toFixed(3)} does not beat seasonal naive ${model.naiveMase.toFixed(3)}` };
  }
  if (!input.hasForecast) return { mode: 'reactive', sizing: 'live', reason: 'no forecast' };
  if (input.forecastInvalid) return { mode: 'reactive', sizing: 'live', reason: 'forecast holds non-finite values' };
  if (!input.forecastCovers) return { mode: 'reactive', sizing: 'live', reason: 'forecast ends before the lead window' };
  if (input.reactiveUntil !== null && input.now < input.reactiveUntil) {
    return { mode: 'reactive', sizing: 'live', reason: `reactive after a breach for ${Math.ceil((input.reactiveUntil - input.now) / 1000)} s more` };
  }
  return { mode: 'predictive', sizing: 'forecast', reason: `model ${model.model}` };
}
