/**
 * The scaling engine's port: one pure function per tick and target. Everything it needs comes in
 * `TickInput` (no I/O, no clock reads), everything it decides comes out in `TickResult`, including the
 * state to carry to the next tick. The planner job, the reactive loop and the simulator all call it.
 */
import type { TargetConfig, NodePoolConfig } from '../config/schema.js';
import type { Forecast } from '../forecasting/forecaster.js';
import type { ScalingDecision } from '../metrics/metrics-store.js';
import type { WorkloadState } from '../cluster/cluster.js';
import type { CalendarEffect } from './calendar-types.js';

export type ScalingMode = ScalingDecision['mode'];

/** Latest live metrics of a target; null when missing or stale (the engine then trusts nothing it lacks). */
export interface LiveMetrics {
  /** Load now, in the target's load units. */
  load: number | null;
  /** CPU utilisation of the workload's pods vs requests, 0..1+ . */
  cpuUtilization?: number | null;
  memoryUtilization?: number | null;
  /** An SLO breach signal from outside (error rate, latency), true = breached. */
  sloBreached?: boolean;
  /** Epoch ms of the newest sample. */
  at: number;
}

/** What the engine knows about the forecast model in use. */
export interface ModelHealth {
  /** Description of the model in use, e.g. "ets(A,Ad,A)[288]"; null when there is none. */
  model: string | null;
  /** Epoch ms of the last successful training. */
  trainedAt: number | null;
  /** Its latest backtest MASE and seasonal naive's on the same split (model must beat naive). */
  backtestMase?: number;
  naiveMase?: number;
  /** Days of history available and needed for a seasonal model. */
  historyDays: number;
  requiredHistoryDays: number;
}

export interface TickInput {
  now: number;
  target: TargetConfig;
  nodePool?: NodePoolConfig;
  /** Current state of the workload in the cluster. */
  workload: WorkloadState;
  /** The latest forecast covering at least [now, now + lead time]; null when none. */
  forecast: Forecast | null;
  live: LiveMetrics;
  /** Calendar effects active over the lead window (see calendar.ts). */
  calendar: CalendarEffect[];
  model: ModelHealth;
  /** Pod start-up lead time in ms (configured or measured). */
  podLeadMs: number;
  /** Carried state from the previous tick (null on the first). */
  state: TargetScalingState | null;
  /** Whether this is the reactive fast loop (it may only scale up) or the planning tick. */
  loop: 'plan' | 'reactive';
  /** Time between planning ticks in ms (the sizing window is now .. now + podLeadMs + this). Default 60 s. */
  planIntervalMs?: number;
  /** Node provisioning lead time in ms (configured or measured); sizes `replicasAhead` for node pools. */
  nodeLeadMs?: number;
  /** Highest load seen recently (e.g. the last 7 days), load units: caps a forecast that explodes. */
  recentPeakLoad?: number | null;
  /**
   * The error-budget controller's sizing for this tick (error-budget.ts `headroomFor`): the forecast load the
   * planner sizes for is multiplied by `multiplier`. Absent: sized as configured (the quantile override).
   */
  budget?: { multiplier: number } | null;
}

/** What the engine remembers between ticks; serialisable to JSON (kept in Redis). */
export interface TargetScalingState {
  mode: ScalingMode;
  /** Recent desired replica recommendations for the scale-down stabilisation window. */
  recommendations: { time: number; replicas: number }[];
  /** Recent scaling events for step limits. */
  changes: { time: number; from: number; to: number }[];
  /** Until when reactive mode holds (epoch ms), after a breach. */
  reactiveUntil: number | null;
  /**
   * Recent ratios of observed load to the load the plan sized for that moment one pod lead time earlier
   * (newest last): the planner's online calibration of its headroom. Optional so older states still load.
   */
  calibration?: number[];
  /** Load each recent planning tick sized for (before headroom), kept for one pod lead time and a little more. */
  planned?: { time: number; load: number }[];
  /** The planner's level correction: smoothed live load / forecast mean, and when it was last updated (epoch ms). */
  level?: { ratio: number; at: number };
}

export interface TickResult {
  desiredReplicas: number;
  /**
   * Replicas the plan expects to need within the node lead window (now .. now + node lead + pod lead +
   * interval), never below `desiredReplicas`: node-pool planning packs these (see node-pool.ts).
   */
  replicasAhead?: number;
  decision: ScalingDecision;
  state: TargetScalingState;
}
