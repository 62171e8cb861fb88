/**
 * A faithful model of the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) for one Pods metric with an
 * AverageValue target: the baseline Prescale has to beat. It follows the controller in kubernetes/kubernetes,
 * pkg/controller/podautoscaler:
 *
 * - replica_calculator.go `calcPlainMetricReplicas` and `groupPods`: pods without a metric yet are "missing"
 *   (counted at 0 on a scale-up, at the target on a scale-down); Pending / not-Ready pods are "unready" and
 *   only count, at 0, on a scale-up; the tolerance (0.1) is checked on the usage ratio, before and after those
 *   pods are added back, and a change of direction caused by them means "keep current replicas";
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
 * scale down 100% per 15 s. The metric pipeline's lag (about 30 s) is the caller's business: it passes
 * the metric values the controller would see now.
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
}

export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  /** AverageValue target of the Pods metric, per pod (e.g. target utilisation x capacity per replica). */
  targetAverageValue: number;
  /** --horizontal-pod-autoscaler-tolerance. Default 0.1. */
  tolerance?: number;
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
}

/** What the controller sees at one sync. */
export interface HpaObservation {
  /** Epoch ms of this sync. */
  now: number;
  /** The scale subresource's spec.replicas. */
  currentReplicas: number;
  /** Metric values of the pods that report one (Ready long enough to have a sample in the pipeline). */
  podMetrics: number[];
  /** Running, Ready pods without a sample yet. */
  missingPods: number;
  /** Pods that are Pending or not Ready (no traffic, no metric). */
  unreadyPods: number;
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
  private readonly tolerance: number;
  private readonly scaleUp: HpaScalingRules;
  private readonly scaleDown: HpaScalingRules;
  private recommendations: TimedRecommendation[] | null = null;
  private scaleUpEvents: ScaleEvent[] = [];
  private scaleDownEvents: ScaleEvent[] = [];

  constructor(private readonly spec: HpaSpec) {
    if (!(spec.targetAverageValue > 0)) throw new RangeError(`HPA targetAverageValue must be > 0, got ${spec.targetAverageValue}`);
    this.tolerance = spec.tolerance ?? DEFAULT_HPA_TOLERANCE;
    this.scaleUp = spec.scaleUp ?? DEFAULT_SCALE_UP;
    this.scaleDown = spec.scaleDown ?? DEFAULT_SCALE_DOWN;
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
      const calc = calcPlainMetricReplicas(obs, this.spec.targetAverageValue, this.tolerance);
      if (calc === null) return { desiredReplicas: current, rescale: false, reason: 'FailedGetPodsMetric: no metrics for any ready pod', proposal };
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

/**
 * calcPlainMetricReplicas for a Pods metric with an AverageValue target. Returns null when no pod has a
 * metric (upstream: "did not receive metrics for any ready pods", the sync fails and nothing scales).
 */
export function calcPlainMetricReplicas(
  obs: Pick<HpaObservation, 'currentReplicas' | 'podMetrics' | 'missingPods' | 'unreadyPods'>,
  target: number,
  tolerance: number = DEFAULT_HPA_TOLERANCE,
): { replicas: number; reason: string } | null {
  const current = obs.currentReplicas;
  const ready = obs.podMetrics.length;
  if (ready === 0) return null;
  const sum = obs.podMetrics.reduce((a, b) => a + b, 0);
  // GetMetricUsageRatio: average over the pods that reported, divided by the target.
  const usageRatio = sum / ready / target;
  const scaleUpWithUnready = obs.unreadyPods > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && obs.missingPods === 0) {
    if (Math.abs(1 - usageRatio) <= tolerance) return { replicas: current, reason: 'within tolerance' };
    return { replicas: Math.ceil(usageRatio * ready), reason: usageRatio > 1 ? 'metric above target' : 'All metrics below target' };
  }
  let newSum = sum;
  let count = ready;
  if (obs.missingPods > 0) {
    // On a scale-down, missing pods count as using the target; on a scale-up, as using nothing; at exactly 1
    // upstream adds them to neither side.
    if (usageRatio < 1) {
      newSum += obs.missingPods * target;
      count += obs.missingPods;
    } else if (usageRatio > 1) {
      count += obs.missingPods;
    }
  }
  if (scaleUpWithUnready) count += obs.unreadyPods; // at 0
  const newUsageRatio = newSum / count / target;
  if (Math.abs(1 - newUsageRatio) <= tolerance || (usageRatio < 1 && newUsageRatio > 1) || (usageRatio > 1 && newUsageRatio < 1)) {
    return { replicas: current, reason: 'within tolerance after counting unready and missing pods' };
  }
  const replicas = Math.ceil(newUsageRatio * count);
  // The same guard as the Resource-metric path (GetResourceReplicas) upstream.
  if ((newUsageRatio < 1 && replicas > current) || (newUsageRatio > 1 && replicas < current)) {
    return { replicas: current, reason: 'direction changed by unready and missing pods' };
  }
  return { replicas, reason: newUsageRatio > 1 ? 'metric above target' : 'All metrics below target' };
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
