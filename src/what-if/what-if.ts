/**
 * What-if: a target's own stored load replayed through the simulator (src/simulator/replay.ts) under the
 * prescale, HPA and oracle policies, with the target's sizing (capacity per replica, utilisation, min/max,
 * quantile) and lead times, and the service's schedule (planning interval, forecast period, retraining). The
 * history before the replayed days is given to the prescale policy's forecasts as training data, as the
 * service would have had it; with less than a day of it the policy starts in "learning" (reactive) mode.
 *
 * Pure apart from the injected signal: the job processor (jobs/processors/what-if.ts) reads the store and
 * caches the result. Left out: calendar entries and node-pool shapes (the simulator packs 1-CPU pods on
 * 8-CPU nodes), so nodes are indicative only.
 */
import type { RegularSeries } from '../forecasting/forecaster.js';
import { DEFAULT_METRIC_LAG_MS, POLICY_NAMES, simulate, type PolicyName, type SimulationOptions, type SimulationResult } from '../simulator/replay.js';
import { summarize, type PolicySummary } from '../simulator/summary.js';
import type { DemandTrace } from '../simulator/trace.js';
import { capacityLines, type CapacityLines } from './capacity-lines.js';

/** Replayed days: default and allowed range. */
export const WHAT_IF_DAYS = { default: 3, min: 1, max: 14 } as const;

export interface WhatIfSettings {
  /** Load one Ready replica serves. */
  capacityPerReplica: number;
  targetUtilization: number;
  minReplicas: number;
  maxReplicas: number;
  /** Planning quantile, percent (with an error budget, the base its multiplier applies to). */
  quantile: number;
  /**
   * The target's error budget (targets[].underProvisionedBudget) the prescale policy's controller spends, as the
   * service does; absent where targets[].quantile overrides it (sized at the fixed quantile).
   */
  underProvisionedBudget?: number;
  /** Pod created -> Ready, ms (the measured lead when there is one). */
  podStartupMs: number;
  /** Node asked for -> Ready, ms. */
  nodeStartupMs: number;
  /** The service's planning interval, forecast period and retraining interval, ms; history a training reads, ms. */
  planEveryMs: number;
  forecastEveryMs: number;
  retrainEveryMs: number;
  historyMs: number;
}

export interface WhatIfInput {
  target: string;
  days: number;
  /** The stored load on its grid, gap-free, from the training history before `fromMs` up to `toMs`. */
  series: RegularSeries;
  /** The replayed span [fromMs, toMs), epoch ms. */
  fromMs: number;
  toMs: number;
  settings: WhatIfSettings;
}

export interface WhatIfResult {
  id: string;
  target: string;
  days: number;
  fromMs: number;
  toMs: number;
  /** Grid step of the stored load, ms. */
  dataStepMs: number;
  settings: WhatIfSettings;
  /** Under-provisioned minutes, replica-hours, slack and node-hours per policy, in POLICY_NAMES order. */
  policies: PolicySummary[];
  lines: CapacityLines & { capacityPerReplica: number };
  /** Epoch ms (wall clock) the replay finished, and how long it took, ms. */
  computedAt: number;
  wallMs: number;
}

export interface WhatIfRunOptions {
  /** Aborts the replay (a time budget): runWhatIf rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Fraction done, 0..1, over all three policies. */
  onProgress?: (fraction: number) => void;
  /** Wall clock for computedAt and wallMs (default Date.now). */
  now?: () => number;
}

/** A regular series as the simulator's demand trace (a step function of the grid's values). */
export function seriesToTrace(series: RegularSeries, source: string): DemandTrace {
  const times = series.values.map((_, i) => series.startMs + i * series.stepMs);
  return { source, times, values: [...series.values], stepMs: series.stepMs, endMs: series.startMs + series.values.length * series.stepMs };
}

/** The simulate() options a what-if uses for every policy (exported so a test can replay the same directly). */
export function whatIfSimulationOptions(trace: DemandTrace, input: Pick<WhatIfInput, 'fromMs' | 'toMs' | 'settings'>): SimulationOptions {
  const s = input.settings;
  return {
    trace,
    fromMs: input.fromMs,
    toMs: input.toMs,
    capacityPerReplica: s.capacityPerReplica,
    targetUtilization: s.targetUtilization,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    // The replay sizes as the service does: by the error budget, or at the quantile that overrides it.
    ...(s.underProvisionedBudget !== undefined ? { underProvisionedBudget: s.underProvisionedBudget } : { quantile: s.quantile }),
    podStartupMs: s.podStartupMs,
    nodeStartupMs: s.nodeStartupMs,
    planEveryMs: s.planEveryMs,
    // A step counts as seen a metric lag plus a forecast period after it starts, as in the service.
    feed: { retrainEveryMs: s.retrainEveryMs, historyMs: s.historyMs, knownAfterMs: DEFAULT_METRIC_LAG_MS + s.forecastEveryMs },
  };
}

export async function runWhatIf(id: string, input: WhatIfInput, options: WhatIfRunOptions = {}): Promise<WhatIfResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const trace = seriesToTrace(input.series, `stored load of ${input.target}`);
  const base = whatIfSimulationOptions(trace, input);
  const results: SimulationResult[] = [];
  for (const [i, policy] of POLICY_NAMES.entries()) {
    const report = (f: number) => options.onProgress?.((i + f) / POLICY_NAMES.length);
    report(0);
    results.push(await simulate(policy as PolicyName, { ...base, onProgress: report, ...(options.signal ? { signal: options.signal } : {}) }));
  }
  options.onProgress?.(1);
  return {
    id,
    target: input.target,
    days: input.days,
    fromMs: input.fromMs,
    toMs: input.toMs,
    dataStepMs: input.series.stepMs,
    settings: input.settings,
    policies: results.map((r) => summarize(r.policy, r.rows)),
    lines: { ...capacityLines(results), capacityPerReplica: input.settings.capacityPerReplica },
    computedAt: now(),
    wallMs: now() - started,
  };
}
