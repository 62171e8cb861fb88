/**
 * What Prescale publishes for a target after each planning or reactive tick: the planned replica count and
 * the predicted load, now and one pod lead ahead. Written by the plan job (the Lease holder), read by every
 * API replica's cache (external metrics, the KEDA endpoint, /metrics). Pure: built from a tick's result.
 */
import type { Forecast } from '../forecasting/forecaster.js';
import type { AutoscalerConflict } from '../scaling/actuation.js';
import { forecastQuantileAt } from '../scaling/capacity.js';
import type { DecisionBudget } from '../metrics/metrics-store.js';

export type Actuation = 'direct' | 'hpa' | 'keda';

/** Predicted load at one instant: the forecast's median (mean) and the planning quantile, in load units. */
export interface PredictedLoad {
  /** Epoch ms of the forecast step this was read from. */
  at: number;
  median: number;
  quantile: number;
}

export interface PublishedPlan {
  /** "namespace/name". */
  target: string;
  /** Epoch ms of the tick that produced it. */
  at: number;
  loop: 'plan' | 'reactive';
  actuation: Actuation;
  /** The scaling mode shown to people, or "conflict" when another autoscaler owns the workload (direct mode). */
  mode: string;
  /** Replicas the plan wants now (what direct mode applies and hpa/keda modes publish). */
  plannedReplicas: number;
  /** spec.replicas and Ready replicas as the tick saw them. */
  desiredReplicas: number;
  readyReplicas: number;
  /** Replicas the plan expects within the node lead window (node-pool planning). */
  replicasAhead?: number;
  /** Planning quantile in percent (targets[].quantile). */
  quantile: number;
  /**
   * The error budget as the tick left it and the multiplier it sized with (src/scaling/budget-observation.ts);
   * absent where targets[].quantile overrides the budget, and in plans published before error budgets.
   */
  budget?: DecisionBudget & { multiplier: number };
  /** Pod start-up lead used by the tick, ms. */
  podLeadMs: number;
  /** Predicted load at the tick and one pod lead later; null when there was no forecast covering it. */
  predictedNow: PredictedLoad | null;
  predictedAhead: PredictedLoad | null;
  /** When the forecast used was issued (epoch ms); null without one. */
  forecastIssuedAt: number | null;
  /** The rule that decided, as in the decision log. */
  rule: string;
  /** Direct mode only: another autoscaler scales the workload, so Prescale did not patch it (mode "conflict"). */
  conflict?: AutoscalerConflict;
  /** What to fix about how the plan reaches the workload: no HPA reads it, an autoscaler check that failed. */
  actuationWarnings?: string[];
}

/** The forecast's median and quantile `q` at instant `at` (the step containing it), or null when outside. */
export function predictedLoadAt(forecast: Forecast | null, at: number, q: number): PredictedLoad | null {
  if (!forecast || forecast.mean.length === 0) return null;
  const i = Math.floor((at - forecast.startMs) / forecast.stepMs);
  if (i < 0 || i >= forecast.mean.length) return null;
  const point = forecastQuantileAt(forecast, i, q);
  if (!Number.isFinite(point.mean) || !Number.isFinite(point.quantile)) return null;
  return { at: point.time, median: point.mean, quantile: point.quantile };
}
