/**
 * How an HPA turns an external metric with an `AverageValue` target into replicas, and what Prescale
 * publishes so that the HPA lands on the planned count despite its tolerance.
 *
 * The model is Kubernetes' ReplicaCalculator.GetExternalPerPodMetricReplicas
 * (pkg/controller/podautoscaler/replica_calculator.go): usage = the sum of the items' milli-values;
 * ratio = usage / (targetMilli x status.replicas); when (1 - scaleDownTolerance) <= ratio <= (1 +
 * scaleUpTolerance) the HPA keeps the current count, else it wants ceil(usage / targetMilli). Tolerance is
 * 0.1 both ways unless kube-controller-manager's --horizontal-pod-autoscaler-tolerance says otherwise or the
 * HPA sets behavior.scaleUp/scaleDown.tolerance (feature gate HPAConfigurableTolerance: alpha in 1.33-1.34,
 * beta and on by default from 1.35; KEP-4951).
 *
 * With target 1 and the plan as value, a step from 10 to 11 is a ratio of exactly 1.1: inside the tolerance,
 * so the HPA stays at 10. No value can make it want exactly 11 (ceil(x) = 11 needs x <= 11, so the ratio
 * stays <= 1.1). `encodeForTolerance` therefore publishes the smallest count above the plan that the HPA
 * does act on (12: one replica more, the safe side), and on a step down it publishes just above plan - 1
 * (10 -> 9 as 8.001: ceil gives 9, ratio 0.8 is outside), so later the HPA comes back down to the plan.
 *
 * Left out: min/max clamping, behavior policies, stabilization windows and unready pods, which act after.
 */

export interface HpaTolerances {
  scaleUp: number;
  scaleDown: number;
}

/** Kubernetes' default (--horizontal-pod-autoscaler-tolerance). */
export const DEFAULT_HPA_TOLERANCE = 0.1;

export interface HpaExternalInput {
  /** The items' values as the API returns them, in base units. */
  values: readonly number[];
  /** The HPA's target.averageValue, in base units (1 for a replica count). */
  targetAverageValue: number;
  /** The scale target's status.replicas. */
  currentReplicas: number;
  /** One number for both directions, or each; default 0.1. */
  tolerance?: number | HpaTolerances;
}

export interface HpaExternalResult {
  desiredReplicas: number;
  usageRatio: number;
  withinTolerance: boolean;
}

// Quantity.MilliValue() rounds up; the epsilon absorbs float noise in values that are exact thousandths.
const milli = (value: number) => Math.ceil(value * 1000 - 1e-6);

/** The replica count the HPA computes from one external AverageValue metric (before clamping and behavior). */
export function hpaExternalAverageValueReplicas(input: HpaExternalInput): HpaExternalResult {
  const tolerance = input.tolerance ?? DEFAULT_HPA_TOLERANCE;
  const { scaleUp, scaleDown } = typeof tolerance === 'number' ? { scaleUp: tolerance, scaleDown: tolerance } : tolerance;
  const usage = input.values.reduce((sum, v) => sum + milli(v), 0);
  const target = milli(input.targetAverageValue);
  // Same float expressions as the Go code, so a ratio of exactly 1.1 compares the same way.
  const usageRatio = usage / (target * input.currentReplicas);
  const withinTolerance = 1.0 - scaleDown <= usageRatio && usageRatio <= 1.0 + scaleUp;
  const desiredReplicas = withinTolerance ? input.currentReplicas : Math.ceil(usage / target);
  return { desiredReplicas, usageRatio, withinTolerance };
}

export interface EncodedReplicas {
  /** What to publish as prescale-planned-replicas (for an AverageValue target of 1). */
  value: number;
  /** What the HPA will then want: the plan, one step beyond it (up-steps), or the current count (held). */
  reaches: number;
  how: 'exact' | 'overshoot' | 'ceil' | 'held';
}

/**
 * The value that makes an HPA with AverageValue 1 and the given tolerance move from `current` to `planned`,
 * or as close as it can on the safe side: up-steps inside the tolerance overshoot by the least the HPA acts
 * on; down-steps use the HPA's ceil (publish planned - 1 + 0.001); a down-step it cannot see is held.
 */
export function encodeForTolerance(planned: number, current: number, tolerance: number): EncodedReplicas {
  const reach = (value: number) => hpaExternalAverageValueReplicas({ values: [value], targetAverageValue: 1, currentReplicas: current, tolerance }).desiredReplicas;
  if (tolerance <= 0 || current <= 0 || planned === current || reach(planned) === planned) return { value: planned, reaches: current <= 0 ? planned : reach(planned), how: 'exact' };
  if (planned > current) {
    let value = planned + 1;
    while (reach(value) !== value) value += 1; // terminates: past current x (1 + tolerance) the HPA always acts
    return { value, reaches: value, how: 'overshoot' };
  }
  const justAbove = Math.max(0, planned - 1) + 0.001;
  if (reach(justAbove) === planned) return { value: justAbove, reaches: planned, how: 'ceil' };
  return { value: planned, reaches: current, how: 'held' };
}
