/**
 * Scaling policy: the limits every recommendation passes before it becomes desired replicas. Pure.
 *
 * Step limits and stabilisation follow Kubernetes HPA v2 `behavior` semantics (autoscaling/v2
 * HPAScalingRules): per-period policies in pods or percent combined by `select`, and a stabilisation window
 * that keeps the highest (scale-down) or lowest (scale-up) recommendation of the window. Prescale adds a
 * policy for forecasts above maxReplicas and the asymmetric safety rules that live in planner.ts.
 */
import { ceilReplicas } from './capacity.js';
import type { TargetScalingState } from './engine.js';

/** One step limit: at most `value` pods, or `value` percent of the replicas at the period's start, per period. */
export interface StepPolicy {
  type: 'pods' | 'percent';
  /** Pods, or percent (100 = double on scale-up, remove all on scale-down). */
  value: number;
  /** Length of the period the limit applies to, ms. */
  periodMs: number;
}

export interface DirectionBehavior {
  policies: StepPolicy[];
  /** max: the policy allowing the largest change wins; min: the smallest; disabled: no change this way. */
  select: 'max' | 'min' | 'disabled';
  /** Stabilisation window, ms: scale-down keeps the highest recommendation in it, scale-up the lowest. */
  stabilizationMs: number;
}

export interface OverMaxPolicy {
  /**
   * honour-max: never above maxReplicas. buffer: a forecast above max may raise replicas above it by at most
   * `bufferReplicas` or `bufferPercent` of max (the larger). Both record an alert in the decision.
   */
  mode: 'honour-max' | 'buffer';
  /** Extra replicas allowed above max in buffer mode. */
  bufferReplicas: number;
  /** Extra replicas allowed above max in buffer mode, percent of maxReplicas. */
  bufferPercent: number;
}

export interface PolicyOptions {
  scaleUp: DirectionBehavior;
  scaleDown: DirectionBehavior;
  overMax: OverMaxPolicy;
}

/**
 * Defaults: scale-up as fast as the HPA's default (100% or 4 pods per 15 s, the larger) and no up
 * stabilisation, because the planner is already ahead of the load; scale-down at most 50% per minute with
 * a 30-second window (far shorter than the HPA's 5 minutes: the sizing window already looks a pod lead time
 * ahead, and scale-in needs forecast and live load to agree).
 */
export const DEFAULT_POLICY: PolicyOptions = {
  scaleUp: {
    policies: [
      { type: 'percent', value: 100, periodMs: 15_000 },
      { type: 'pods', value: 4, periodMs: 15_000 },
    ],
    select: 'max',
    stabilizationMs: 0,
  },
  scaleDown: { policies: [{ type: 'percent', value: 50, periodMs: 60_000 }], select: 'max', stabilizationMs: 30_000 },
  overMax: { mode: 'honour-max', bufferReplicas: 0, bufferPercent: 0 },
};

/** The outcome of one policy stage: the replicas after it and, when it changed them, the rule in words. */
export interface PolicyStep {
  replicas: number;
  rule: string | null;
}

type Change = TargetScalingState['changes'][number];
type Recommendation = TargetScalingState['recommendations'][number];

/**
 * Stabilisation (HPA semantics): a scale-down goes only as low as the highest recommendation within the
 * scale-down window; a scale-up only as high as the lowest recommendation within the scale-up window.
 * `recommendations` are the earlier ones; `recommended` is this tick's.
 */
export function stabilize(current: number, recommended: number, recommendations: readonly Recommendation[], now: number, options: PolicyOptions): PolicyStep {
  if (recommended < current && options.scaleDown.stabilizationMs > 0) {
    const since = now - options.scaleDown.stabilizationMs;
    let highest = recommended;
    for (const r of recommendations) if (r.time > since && r.time <= now) highest = Math.max(highest, r.replicas);
    const replicas = Math.min(current, highest);
    if (replicas > recommended) return { replicas, rule: `scale-down stabilisation ${options.scaleDown.stabilizationMs / 1000}s holds ${replicas}` };
  }
  if (recommended > current && options.scaleUp.stabilizationMs > 0) {
    const since = now - options.scaleUp.stabilizationMs;
    let lowest = recommended;
    for (const r of recommendations) if (r.time > since && r.time <= now) lowest = Math.min(lowest, r.replicas);
    const replicas = Math.max(current, lowest);
    if (replicas < recommended) return { replicas, rule: `scale-up stabilisation ${options.scaleUp.stabilizationMs / 1000}s holds ${replicas}` };
  }
  return { replicas: recommended, rule: null };
}

/** Replicas added (direction up) or removed (down) by the recorded changes within the last `periodMs`. */
function changedInPeriod(changes: readonly Change[], now: number, periodMs: number, direction: 'up' | 'down'): number {
  let sum = 0;
  for (const c of changes) {
    if (c.time <= now - periodMs || c.time > now) continue;
    const delta = c.to - c.from;
    if (direction === 'up' && delta > 0) sum += delta;
    if (direction === 'down' && delta < 0) sum -= delta;
  }
  return sum;
}

/** Highest replicas the scale-up policies allow now (HPA calculateScaleUpLimitWithScalingRules). */
export function scaleUpLimit(current: number, changes: readonly Change[], now: number, behavior: DirectionBehavior): number {
  if (behavior.select === 'disabled') return current;
  if (behavior.policies.length === 0) return Infinity;
  let limit = behavior.select === 'max' ? -Infinity : Infinity;
  for (const p of behavior.policies) {
    const periodStart = current - changedInPeriod(changes, now, p.periodMs, 'up');
    const proposed = p.type === 'pods' ? periodStart + p.value : ceilReplicas(periodStart * (1 + p.value / 100));
    limit = behavior.select === 'max' ? Math.max(limit, proposed) : Math.min(limit, proposed);
  }
  // From zero replicas a percent policy allows nothing; one pod is always allowed so a target can start.
  return Math.max(limit, current === 0 ? 1 : current);
}

/** Lowest replicas the scale-down policies allow now (HPA calculateScaleDownLimitWithBehaviors). */
export function scaleDownLimit(current: number, changes: readonly Change[], now: number, behavior: DirectionBehavior): number {
  if (behavior.select === 'disabled') return current;
  if (behavior.policies.length === 0) return 0;
  let limit = behavior.select === 'max' ? Infinity : -Infinity;
  for (const p of behavior.policies) {
    const periodStart = current + changedInPeriod(changes, now, p.periodMs, 'down');
    const proposed = p.type === 'pods' ? periodStart - p.value : Math.floor(periodStart * (1 - p.value / 100));
    limit = behavior.select === 'max' ? Math.min(limit, proposed) : Math.max(limit, proposed);
  }
  return Math.min(current, Math.max(0, limit));
}

/** Applies the step limits of the direction of change. */
export function applyStepLimits(current: number, desired: number, changes: readonly Change[], now: number, options: PolicyOptions): PolicyStep {
  if (desired > current) {
    const limit = scaleUpLimit(current, changes, now, options.scaleUp);
    if (desired > limit) return { replicas: limit, rule: limit > current ? `step limit +${limit - current}` : 'step limit: no more scale-up this period' };
  } else if (desired < current) {
    const limit = scaleDownLimit(current, changes, now, options.scaleDown);
    if (desired < limit) return { replicas: limit, rule: limit < current ? `step limit -${current - limit}` : 'step limit: no more scale-down this period' };
  }
  return { replicas: desired, rule: null };
}

/** Result of the over-max policy; `alert` is set when the recommendation exceeded maxReplicas. */
export interface OverMaxStep extends PolicyStep {
  alert: boolean;
  /** Replicas the recommendation wanted beyond max (0 when none). */
  excess: number;
}

/** What a recommendation above maxReplicas becomes under the over-max policy. */
export function applyOverMax(recommended: number, maxReplicas: number, policy: OverMaxPolicy): OverMaxStep {
  if (recommended <= maxReplicas) return { replicas: recommended, rule: null, alert: false, excess: 0 };
  const excess = recommended - maxReplicas;
  if (policy.mode === 'buffer') {
    const buffer = Math.max(policy.bufferReplicas, Math.floor((maxReplicas * policy.bufferPercent) / 100));
    const replicas = Math.min(recommended, maxReplicas + buffer);
    return { replicas, rule: `over max: ${recommended} wanted, max ${maxReplicas} + buffer ${buffer}`, alert: true, excess };
  }
  return { replicas: maxReplicas, rule: `max ${maxReplicas} (wanted ${recommended})`, alert: true, excess };
}

/** Drops state entries older than anything the policies still look at, so state stays small. */
export function pruneState(state: TargetScalingState, now: number, options: PolicyOptions): TargetScalingState {
  const periods = [...options.scaleUp.policies, ...options.scaleDown.policies].map((p) => p.periodMs);
  const keepChanges = Math.max(0, ...periods);
  const keepRecommendations = Math.max(options.scaleUp.stabilizationMs, options.scaleDown.stabilizationMs);
  return {
    ...state,
    recommendations: state.recommendations.filter((r) => r.time > now - keepRecommendations),
    changes: state.changes.filter((c) => c.time > now - keepChanges),
  };
}
