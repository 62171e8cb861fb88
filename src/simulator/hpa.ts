/**
 * A faithful model of the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) for one Pods metric with an
 * AverageValue target: the baseline Prescale has to beat. It follows the controller on kubernetes/kubernetes
 * main, pkg/controller/podautoscaler:
 *
 * - replica_calculator.go `groupPods`: pods being deleted or Failed are ignored (their samples dropped); only
 *   *Pending* pods are unready; a pod without a sample is missing, Ready or not; for a Pods metric a Running pod
 *   that reports a sample counts, whatever its readiness (only the CPU resource path looks at readiness, with
 *   the 2 min initialisation period and the 10 s initial-readiness delay);
 * - `calcPlainMetricReplicas` / `GetResourceReplicas`: samples are integer milli-units, summed as integers and
 *   averaged with truncation (`metrics.GetMetricUsageRatio`, `GetResourceUtilizationRatio`); missing pods count
 *   at 0 on a scale-up and at the target on a scale-down (at neither at exactly 1), unready pods at 0 on a
 *   scale-up only; a change of direction caused by them means "keep current replicas";
 * - `Tolerances.isWithin`: separate scale-up and scale-down tolerances (`behavior.scaleUp/scaleDown.tolerance`,
 *   KEP-4951; default the --horizontal-pod-autoscaler-tolerance flag, 0.1), tested as
 *   `1 - down <= ratio <= 1 + up`. Comparing the ratio with the bounds (rather than |1 - ratio| with the
 *   tolerance, as before) keeps both edges inclusive: 1 + 0.1 is the same double as 1.1, so a ratio of exactly
 *   1.1 (11000m / 10000m) is within, while |1 - 1.1| = 0.10000000000000009 > 0.1 was not; the integer
 *   milli-unit sums keep the ratio one correctly rounded division of two integers, so no summing error moves it;
 * - horizontal.go `reconcileAutoscaler`: currentReplicas is spec.replicas; out of [min, max] it is clamped
 *   first; a sync without any metric does not scale; `recordInitialRecommendation`;
 * - horizontal.go `normalizeDesiredReplicasWithBehaviors` -> `stabilizeRecommendationWithBehaviors` (the
 *   upper/lower stabilisation limits of the current version: the lowest recommendation in the scale-up window,
 *   the highest in the scale-down window, the current replicas brought within them) ->
 *   `convertDesiredReplicasWithBehaviorRate` with `calculateScaleUpLimitWithScalingRules` /
 *   `calculateScaleDownLimitWithBehaviors` (period start replicas = current -/+ changes within the policy's
 *   period, Percent rounded up on the way up, select Max = the larger change);
 * - `storeScaleEvent`: only real rescales are remembered for the rate limits.
 *
 * Defaults are the documented HPA defaults for the fields the simulator uses: sync period 15 s, tolerance 0.1,
 * scale up 100% or 4 pods per 15 s (the larger), no scale-up stabilisation, scale-down stabilisation 300 s,
 * scale down 100% per 15 s. Left out: Object and External metrics, several metrics per HPA, container
 * resource metrics, samples for pods the lister does not know (superfluous metrics), the adapter's float to
 * quantity conversion (a sample is rounded to the nearest milli-unit here). The metric pipeline's lag (about
 * 30 s) is the caller's business: it passes the samples the controller would see now.
 */

export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: HpaScalingPolicy[];
  /** behavior.scaleUp/scaleDown.tolerance (KEP-4951). Default: the controller's tolerance flag. */
  tolerance?: number;
}

export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  /** AverageValue target of the Pods metric, per pod (e.g. target utilisation x capacity per replica). */
  targetAverageValue: number;
  /** --horizontal-pod-autoscaler-tolerance: both directions' tolerance unless the behavior sets one. Default 0.1. */
  tolerance?: number;
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** One pod of the pod lister's view, with its sample from the metrics API if it returned one. */
export interface HpaPod {
  phase: PodPhase;
  /** The PodReady condition's status; undefined when the pod has no such condition. */
  ready?: boolean;
  /** metadata.deletionTimestamp is set: the pod is being deleted. */
  deleting?: boolean;
  /** The pod's sample: the Pods metric in its unit, or for the resource path the usage in milli-units. */
  metric?: number;
}

/** What the CPU resource path of groupPods reads besides the phase, readiness and sample. */
export interface ResourcePod extends HpaPod {
  /** The pod's request of the resource, in milli-units (millicores). */
  requestMilli: number;
  /** status.startTime, epoch ms; undefined when not set. */
  startTime?: number;
  /** The PodReady condition's lastTransitionTime, epoch ms. */
  readyTransitionTime?: number;
  /** The sample's timestamp (epoch ms) and window (ms). */
  metricTimestamp?: number;
  metricWindowMs?: number;
}

/** What the controller sees at one sync. */
export interface HpaObservation {
  /** Epoch ms of this sync. */
  now: number;
  /** The scale subresource's spec.replicas. */
  currentReplicas: number;
  /** The pods the HPA's selector matches, each with its sample of the Pods metric, if any. */
  pods: readonly HpaPod[];
}

export interface HpaDecision {
  desiredReplicas: number;
  /** Whether the controller would write a new spec.replicas. */
  rescale: boolean;
  /** The controller's reason or condition, e.g. "ScaleUpLimit", "ScaleDownStabilized", "within tolerance". */
  reason: string;
  /** Replica count proposed by the metric before stabilisation and rate limits (null without metrics). */
  proposal: number | null;
}

export const DEFAULT_HPA_TOLERANCE = 0.1;
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;
/** --horizontal-pod-autoscaler-cpu-initialization-period and --horizontal-pod-autoscaler-initial-readiness-delay. */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 120_000;
export const DEFAULT_DELAY_OF_INITIAL_READINESS_STATUS_MS = 10_000;

/** replica_calculator.go Tolerances. */
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { scaleDown: DEFAULT_HPA_TOLERANCE, scaleUp: DEFAULT_HPA_TOLERANCE };

/** Tolerances.isWithin: the bounds, not |1 - ratio|, so that both edges are inclusive in floating point. */
export function isWithinTolerance(t: Tolerances, usageRatio: number): boolean {
  return 1.0 - t.scaleDown <= usageRatio && usageRatio <= 1.0 + t.scaleUp;
}

/** Kubernetes' default scale-up behaviour: 100% or 4 pods per 15 s, the larger; no stabilisation. */
export const DEFAULT_SCALE_UP: HpaScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};

/** Kubernetes' default scale-down behaviour: 300 s stabilisation, then up to 100% per 15 s. */
export const DEFAULT_SCALE_DOWN: HpaScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

interface TimedRecommendation {
  replicas: number;
  time: number;
}

interface ScaleEvent {
  change: number;
  time: number;
}

export class HpaController {
  private readonly tolerances: Tolerances;
  private readonly scaleUp: HpaScalingRules;
  private readonly scaleDown: HpaScalingRules;
  private recommendations: TimedRecommendation[] | null = null;
  private scaleUpEvents: ScaleEvent[] = [];
  private scaleDownEvents: ScaleEvent[] = [];

  constructor(private readonly spec: HpaSpec) {
    if (!(spec.targetAverageValue > 0)) throw new RangeError(`HPA targetAverageValue must be > 0, got ${spec.targetAverageValue}`);
    this.scaleUp = spec.scaleUp ?? DEFAULT_SCALE_UP;
    this.scaleDown = spec.scaleDown ?? DEFAULT_SCALE_DOWN;
    // horizontal.go: the flag's value for both directions, each overridden by its behavior's tolerance.
    const flag = spec.tolerance ?? DEFAULT_HPA_TOLERANCE;
    this.tolerances = { scaleDown: this.scaleDown.tolerance ?? flag, scaleUp: this.scaleUp.tolerance ?? flag };
  }

  /** One controller sync (reconcileAutoscaler). Remembers what the controller remembers. */
  sync(obs: HpaObservation): HpaDecision {
    const { minReplicas, maxReplicas } = this.spec;
    const current = obs.currentReplicas;
    // recordInitialRecommendation: the first sync seeds the window with the current size.
    if (this.recommendations === null) this.recommendations = [{ replicas: current, time: obs.now }];

    let desired: number;
    let reason: string;
    let proposal: number | null = null;
    if (current === 0 && minReplicas !== 0) {
      return { desiredReplicas: 0, rescale: false, reason: 'ScalingDisabled', proposal };
    } else if (current > maxReplicas) {
      desired = maxReplicas;
      reason = 'Current number of replicas above Spec.MaxReplicas';
    } else if (current < minReplicas) {
      desired = minReplicas;
      reason = 'Current number of replicas below Spec.MinReplicas';
    } else {
      const calc = calcPlainMetricReplicas(current, obs.pods, this.spec.targetAverageValue, this.tolerances);
      if ('error' in calc) return { desiredReplicas: current, rescale: false, reason: `FailedGetPodsMetric: ${calc.error}`, proposal };
      proposal = calc.replicas;
      const stabilized = this.stabilize(obs.now, current, calc.replicas);
      const limited = this.applyRateLimits(obs.now, current, stabilized.replicas);
      desired = limited.replicas;
      reason = limited.replicas !== stabilized.replicas ? limited.reason : stabilized.replicas !== calc.replicas ? stabilized.reason : calc.reason;
    }
    const rescale = desired !== current;
    if (rescale) this.storeScaleEvent(obs.now, current, desired);
    return { desiredReplicas: rescale ? desired : current, rescale, reason, proposal };
  }

  /** stabilizeRecommendationWithBehaviors (current upstream version, upper and lower limits). */
  private stabilize(now: number, current: number, desired: number): { replicas: number; reason: string } {
    const upCutoff = now - this.scaleUp.stabilizationWindowSeconds * 1000;
    const downCutoff = now - this.scaleDown.stabilizationWindowSeconds * 1000;
    let up = desired;
    let down = desired;
    const recs = this.recommendations!;
    let oldIndex = -1;
    for (let i = 0; i < recs.length; i++) {
      const rec = recs[i]!;
      // time.After(cutoff) is strict: a recommendation exactly one window old no longer counts.
      if (rec.time > upCutoff) up = Math.min(rec.replicas, up);
      if (rec.time > downCutoff) down = Math.max(rec.replicas, down);
      if (rec.time < upCutoff && rec.time < downCutoff) oldIndex = i;
    }
    let recommendation = current;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    if (oldIndex >= 0) recs[oldIndex] = { replicas: desired, time: now };
    else recs.push({ replicas: desired, time: now });
    return { replicas: recommendation, reason: desired >= current ? 'ScaleUpStabilized' : 'ScaleDownStabilized' };
  }

  /** convertDesiredReplicasWithBehaviorRate. */
  private applyRateLimits(now: number, current: number, desired: number): { replicas: number; reason: string } {
    const { minReplicas, maxReplicas } = this.spec;
    if (desired > current) {
      let limit = scaleUpLimit(now, current, this.scaleUpEvents, this.scaleUp);
      if (limit < current) limit = current;
      const allowed = Math.min(maxReplicas, limit);
      const reason = maxReplicas > limit ? 'ScaleUpLimit' : 'TooManyReplicas';
      if (desired > allowed) return { replicas: allowed, reason };
    } else if (desired < current) {
      let limit = scaleDownLimit(now, current, this.scaleDownEvents, this.scaleDown);
      if (limit > current) limit = current;
      const allowed = Math.max(minReplicas, limit);
      const reason = minReplicas < limit ? 'ScaleDownLimit' : 'TooFewReplicas';
      if (desired < allowed) return { replicas: allowed, reason };
    }
    return { replicas: desired, reason: 'DesiredWithinRange' };
  }

  /** storeScaleEvent: events older than the longest policy period are dropped (upstream reuses their slots). */
  private storeScaleEvent(now: number, previous: number, next: number): void {
    if (next > previous) {
      const keep = now - longestPeriodMs(this.scaleUp);
      this.scaleUpEvents = this.scaleUpEvents.filter((e) => e.time >= keep);
      this.scaleUpEvents.push({ change: next - previous, time: now });
    } else {
      const keep = now - longestPeriodMs(this.scaleDown);
      this.scaleDownEvents = this.scaleDownEvents.filter((e) => e.time >= keep);
      this.scaleDownEvents.push({ change: previous - next, time: now });
    }
  }
}

export interface PodGroups {
  readyPodCount: number;
  /** Indices into the pod list. */
  unready: number[];
  missing: number[];
  ignored: number[];
}

/**
 * groupPods. `resource` is 'cpu' for the CPU resource path (the only one that reads readiness), null for a
 * Pods metric. `now` (epoch ms) is only read on the CPU path.
 */
export function groupPods(
  pods: readonly (HpaPod & Partial<ResourcePod>)[],
  resource: 'cpu' | null,
  now = 0,
  cpuInitializationPeriodMs = DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
  delayOfInitialReadinessStatusMs = DEFAULT_DELAY_OF_INITIAL_READINESS_STATUS_MS,
): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unready: [], missing: [], ignored: [] };
  pods.forEach((pod, i) => {
    if (pod.deleting === true || pod.phase === 'Failed') return void groups.ignored.push(i);
    if (pod.phase === 'Pending') return void groups.unready.push(i);
    if (pod.metric === undefined) return void groups.missing.push(i);
    if (resource === 'cpu') {
      let unready: boolean;
      if (pod.ready === undefined || pod.startTime === undefined) unready = true;
      else {
        const transition = pod.readyTransitionTime ?? Number.NEGATIVE_INFINITY;
        if (pod.startTime + cpuInitializationPeriodMs > now) {
          // Within the initialisation period: not Ready, or no full metric window since it became Ready.
          unready = !pod.ready || (pod.metricTimestamp ?? Number.NEGATIVE_INFINITY) < transition + (pod.metricWindowMs ?? 0);
        } else {
          // After it: unready only if not Ready and never Ready since start.
          unready = !pod.ready && pod.startTime + delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) return void groups.unready.push(i);
    }
    groups.readyPodCount++;
  });
  return groups;
}

/** A metric sample as the metrics API's Quantity.MilliValue() would give it (rounded to the nearest milli-unit here). */
export function toMilli(value: number): number {
  return Math.round(value * 1000);
}

/** metrics.GetMetricUsageRatio: integer sum, truncated integer average, one division. */
function metricUsageRatio(values: readonly number[], targetMilli: number): { ratio: number; usage: number } {
  let total = 0;
  for (const v of values) total += v;
  const usage = Math.trunc(total / values.length);
  return { ratio: usage / targetMilli, usage };
}

export interface ReplicaCalculation {
  replicas: number;
  /** The average sample of the pods that count, milli-units (the HPA status' current value). */
  usageMilli: number;
  reason: string;
}

/** Go's calculator error, e.g. "did not receive metrics for targeted pods (pods might be unready)". */
export interface ReplicaCalculationError {
  error: string;
}

/**
 * calcPlainMetricReplicas (GetMetricReplicas) for a Pods metric with an AverageValue target `target`, in the
 * metric's unit.
 */
export function calcPlainMetricReplicas(
  currentReplicas: number,
  pods: readonly HpaPod[],
  target: number,
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ReplicaCalculation | ReplicaCalculationError {
  if (pods.length === 0) return { error: 'no pods returned by selector while calculating replica count' };
  const groups = groupPods(pods, null);
  const skip = new Set([...groups.unready, ...groups.missing, ...groups.ignored]);
  const values: number[] = [];
  pods.forEach((pod, i) => {
    if (!skip.has(i)) values.push(toMilli(pod.metric!));
  });
  if (values.length === 0) return { error: 'did not receive metrics for targeted pods (pods might be unready)' };
  const targetMilli = toMilli(target);
  const { ratio: usageRatio, usage } = metricUsageRatio(values, targetMilli);
  const scaleUpWithUnready = groups.unready.length > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missing.length === 0) {
    if (isWithinTolerance(tolerances, usageRatio)) return { replicas: currentReplicas, usageMilli: usage, reason: 'within tolerance' };
    return { replicas: Math.ceil(usageRatio * groups.readyPodCount), usageMilli: usage, reason: usageRatio > 1 ? 'metric above target' : 'All metrics below target' };
  }
  if (groups.missing.length > 0) {
    // Scale-down: missing pods use exactly the target; scale-up: nothing; at exactly 1, neither side.
    if (usageRatio < 1.0) for (let k = 0; k < groups.missing.length; k++) values.push(targetMilli);
    else if (usageRatio > 1.0) for (let k = 0; k < groups.missing.length; k++) values.push(0);
  }
  if (scaleUpWithUnready) for (let k = 0; k < groups.unready.length; k++) values.push(0);
  const { ratio: newUsageRatio } = metricUsageRatio(values, targetMilli);
  if (isWithinTolerance(tolerances, newUsageRatio) || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    return { replicas: currentReplicas, usageMilli: usage, reason: 'within tolerance after counting unready and missing pods' };
  }
  const newReplicas = Math.ceil(newUsageRatio * values.length);
  if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) {
    return { replicas: currentReplicas, usageMilli: usage, reason: 'direction changed by unready and missing pods' };
  }
  return { replicas: newReplicas, usageMilli: usage, reason: newUsageRatio > 1 ? 'metric above target' : 'All metrics below target' };
}

export interface ResourceCalculation {
  replicas: number;
  /** Average utilisation, percent of the requests, truncated. */
  utilization: number;
  /** Average raw usage, milli-units, truncated. */
  rawUtilization: number;
}

/** metrics.GetResourceUtilizationRatio over the pods that count. */
function resourceUtilizationRatio(usage: readonly number[], requests: readonly number[], targetUtilization: number): { ratio: number; utilization: number; raw: number } | null {
  let metricsTotal = 0;
  let requestsTotal = 0;
  for (let i = 0; i < usage.length; i++) {
    metricsTotal += usage[i]!;
    requestsTotal += requests[i]!;
  }
  if (requestsTotal === 0) return null;
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, raw: Math.trunc(metricsTotal / usage.length) };
}

/**
 * GetResourceReplicas for the CPU resource with a target utilisation (percent of requests). Samples
 * (`metric`) and requests are integer millicores. Kept beside the Pods path so that the readiness rules the
 * Pods path leaves out are modelled (and tested) too.
 */
export function calcResourceReplicas(
  currentReplicas: number,
  pods: readonly ResourcePod[],
  targetUtilization: number,
  now: number,
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ResourceCalculation | ReplicaCalculationError {
  if (pods.length === 0) return { error: 'no pods returned by selector while calculating replica count' };
  const groups = groupPods(pods, 'cpu', now);
  const skip = new Set([...groups.unready, ...groups.missing, ...groups.ignored]);
  const usage: number[] = [];
  const requests: number[] = [];
  pods.forEach((pod, i) => {
    if (skip.has(i)) return;
    usage.push(pod.metric!);
    requests.push(pod.requestMilli);
  });
  if (usage.length === 0) return { error: 'did not receive metrics for targeted pods (pods might be unready)' };
  const first = resourceUtilizationRatio(usage, requests, targetUtilization);
  if (first === null) return { error: 'no metrics returned matched known pods' };
  const { ratio: usageRatio, utilization, raw } = first;
  const result = (replicas: number): ResourceCalculation => ({ replicas, utilization, rawUtilization: raw });
  const scaleUpWithUnready = groups.unready.length > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && groups.missing.length === 0) {
    if (isWithinTolerance(tolerances, usageRatio)) return result(currentReplicas);
    return result(Math.ceil(usageRatio * groups.readyPodCount));
  }
  if (groups.missing.length > 0 && usageRatio !== 1.0) {
    // Scale-down: missing pods use 100% of their request (the target when it is above 100%); scale-up: nothing.
    const fallback = Math.max(100, targetUtilization);
    for (const i of groups.missing) {
      usage.push(usageRatio < 1.0 ? Math.trunc((pods[i]!.requestMilli * fallback) / 100) : 0);
      requests.push(pods[i]!.requestMilli);
    }
  }
  if (scaleUpWithUnready) {
    for (const i of groups.unready) {
      usage.push(0);
      requests.push(pods[i]!.requestMilli);
    }
  }
  const second = resourceUtilizationRatio(usage, requests, targetUtilization)!;
  const newUsageRatio = second.ratio;
  if (isWithinTolerance(tolerances, newUsageRatio) || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) {
    return result(currentReplicas);
  }
  const newReplicas = Math.ceil(newUsageRatio * usage.length);
  if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) return result(currentReplicas);
  return result(newReplicas);
}

function changeInPeriod(now: number, periodSeconds: number, events: ScaleEvent[]): number {
  const cutoff = now - periodSeconds * 1000;
  let total = 0;
  // time.After(cutoff) is strict, as in getReplicasChangePerPeriod.
  for (const e of events) if (e.time > cutoff) total += e.change;
  return total;
}

/** calculateScaleUpLimitWithScalingRules. */
function scaleUpLimit(now: number, current: number, events: ScaleEvent[], rules: HpaScalingRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const select = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result: number | null = null;
  for (const policy of rules.policies) {
    const periodStart = current - changeInPeriod(now, policy.periodSeconds, events);
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = result === null ? proposed : select(result, proposed);
  }
  return result ?? current;
}

/** calculateScaleDownLimitWithBehaviors. */
function scaleDownLimit(now: number, current: number, events: ScaleEvent[], rules: HpaScalingRules): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const select = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result: number | null = null;
  for (const policy of rules.policies) {
    const periodStart = current + changeInPeriod(now, policy.periodSeconds, events);
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = result === null ? proposed : select(result, proposed);
  }
  return result ?? current;
}

function longestPeriodMs(rules: HpaScalingRules): number {
  return Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
}
