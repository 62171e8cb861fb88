/**
 * The HPA model against kubernetes/kubernetes main, pkg/controller/podautoscaler: cases ported from
 * replica_calculator_test.go (titles carry the Go test names; inputs and expected values are the Go tests'),
 * scenarios computed by hand from calcPlainMetricReplicas and horizontal.go
 * normalizeDesiredReplicasWithBehaviors, and the simulator's split of starting pods into Pending and
 * Running-not-Ready. Target AverageValue T = 8 (capacity 10 x utilisation 0.8) where not a Go port.
 *
 * Go's fixtures in these ports: Pods-metric levels are milli-units (20000 -> 20 here); resource pods have two
 * containers each requesting the listed CPU, each using the listed level, so a pod's sample and request are
 * twice the per-container values; start and Ready-transition times are Go's zero time (long before now).
 */
import { describe, expect, it } from 'vitest';
import { ReplayClock } from '../../src/core/clock.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import type { SimEnv } from '../../src/simulator/environment.js';
import {
  calcPlainMetricReplicas,
  calcResourceReplicas,
  groupPods,
  HpaController,
  isWithinTolerance,
  type HpaObservation,
  type HpaPod,
  type PodPhase,
  type ResourcePod,
  type Tolerances,
} from '../../src/simulator/hpa.js';
import { DEFAULT_CONTAINER_START_MS, hpaObservation } from '../../src/simulator/hpa-policy.js';

const T = 8;
const t0 = Date.UTC(2026, 0, 5, 12);
const SYNC = 15_000;
const DEFAULT: Tolerances = { scaleDown: 0.1, scaleUp: 0.1 };

const sampled = (metric: number, n = 1): HpaPod[] => Array.from({ length: n }, () => ({ phase: 'Running', ready: true, metric }));
const missing = (n: number, ready = true): HpaPod[] => Array.from({ length: n }, () => ({ phase: 'Running', ready }));
const pending = (n: number): HpaPod[] => Array.from({ length: n }, () => ({ phase: 'Pending', ready: false }));

/** `ready` pods each reporting `perPod`, nothing missing or unready. */
const obs = (now: number, current: number, perPod: number, ready = current, extra: HpaPod[] = []): HpaObservation => ({
  now,
  currentReplicas: current,
  pods: [...sampled(perPod, ready), ...extra],
});

/** A Go Pods-metric fixture: levels in milli-units per pod, readiness and phase per pod (default Running, Ready). */
function cmPods(levels: number[], count: number, opts: { readiness?: boolean[]; phase?: PodPhase[]; deleting?: boolean[] } = {}): HpaPod[] {
  return Array.from({ length: count }, (_, i) => ({
    phase: opts.phase?.[i] ?? 'Running',
    ready: opts.readiness?.[i] ?? true,
    deleting: opts.deleting?.[i] ?? false,
    ...(i < levels.length ? { metric: levels[i]! / 1000 } : {}),
  }));
}

/** A Go resource fixture: per-container CPU request (cores) and usage level (millicores), two containers a pod. */
function cpuPods(
  requests: number[],
  levels: number[],
  opts: { readiness?: boolean[]; phase?: PodPhase[]; deleting?: boolean[]; count?: number } = {},
): ResourcePod[] {
  return Array.from({ length: opts.count ?? requests.length }, (_, i) => ({
    phase: opts.phase?.[i] ?? 'Running',
    ready: opts.readiness?.[i] ?? true,
    deleting: opts.deleting?.[i] ?? false,
    requestMilli: 2 * Math.round(requests[i]! * 1000),
    startTime: 0,
    readyTransitionTime: 0,
    ...(i < levels.length ? { metric: 2 * levels[i]!, metricTimestamp: 0, metricWindowMs: 60_000 } : {}),
  }));
}
const NOW = Date.UTC(2026, 0, 5);
const ones = (n: number) => new Array<number>(n).fill(1);

describe('replica_calculator_test.go: Pods metric (GetMetricReplicas)', () => {
  it('TestReplicaCalcScaleUpCM: 20000/10000/30000 against 15000 -> 4', () => {
    expect(calcPlainMetricReplicas(3, cmPods([20000, 10000, 30000], 3), 15, DEFAULT)).toEqual(expect.objectContaining({ replicas: 4, usageMilli: 20000 }));
  });

  it('TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: a Running pod that is not Ready but reports counts -> 6', () => {
    const pods = cmPods([50000, 10000, 30000], 3, { readiness: [true, true, false] });
    expect(calcPlainMetricReplicas(3, pods, 15, DEFAULT)).toEqual(expect.objectContaining({ replicas: 6, usageMilli: 30000 }));
  });

  it('TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown: two not-Ready reporting pods still count -> 7', () => {
    const pods = cmPods([50000, 15000, 30000], 3, { readiness: [false, true, false] });
    expect(calcPlainMetricReplicas(3, pods, 15, DEFAULT)).toEqual(expect.objectContaining({ replicas: 7, usageMilli: 31666 }));
  });

  it('TestReplicaCalcScaleDownCM: five pods at 12000 against 20000 -> 3', () => {
    expect(calcPlainMetricReplicas(5, cmPods(new Array(5).fill(12000), 5), 20, DEFAULT)).toEqual(expect.objectContaining({ replicas: 3, usageMilli: 12000 }));
  });

  it('TestReplicaCalcToleranceCM: average 20666 against 20000 is within 10% -> 3', () => {
    expect(calcPlainMetricReplicas(3, cmPods([20000, 21000, 21000], 3), 20, DEFAULT)).toEqual(expect.objectContaining({ replicas: 3, usageMilli: 20666 }));
  });

  it('TestReplicaCalcConfigurableToleranceCM: the same load outside a 1% scale-up tolerance -> 4', () => {
    expect(calcPlainMetricReplicas(3, cmPods([20000, 21000, 21000], 3), 20, { scaleDown: 0.1, scaleUp: 0.01 })).toEqual(
      expect.objectContaining({ replicas: 4, usageMilli: 20666 }),
    );
  });

  it('TestPlainMetricReplicaCalcMissingMetricsNoChangeEq: usage exactly at target with 2 missing pods -> 5', () => {
    expect(calcPlainMetricReplicas(5, cmPods([20000, 19000, 21000], 5), 20, DEFAULT)).toEqual(expect.objectContaining({ replicas: 5, usageMilli: 20000 }));
  });

  it('TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM: a surge pod without a sample keeps 2', () => {
    expect(calcPlainMetricReplicas(2, cmPods([10000, 10000], 3), 17, DEFAULT)).toEqual(expect.objectContaining({ replicas: 2, usageMilli: 10000 }));
  });
});

describe('replica_calculator_test.go: CPU utilisation (GetResourceReplicas)', () => {
  const cases: { name: string; current: number; pods: ResourcePod[]; target: number; tolerances?: Tolerances; replicas: number; utilization: number; raw: number }[] = [
    { name: 'TestReplicaCalcResourceScale/scale up: unready pod scales less', current: 3, pods: cpuPods(ones(3), [300, 500, 700], { readiness: [false, true, true] }), target: 30, replicas: 4, utilization: 60, raw: 1200 },
    { name: 'TestReplicaCalcResourceScale/no scale: unready pods ignored', current: 3, pods: cpuPods(ones(3), [400, 500, 700], { readiness: [true, false, false] }), target: 30, replicas: 3, utilization: 40, raw: 800 },
    {
      name: 'TestReplicaCalcResourceScale/scale up: failed pods ignored',
      current: 2,
      pods: cpuPods(ones(4), [500, 700], { readiness: [true, true, false, false], phase: ['Running', 'Running', 'Failed', 'Failed'] }),
      target: 30,
      replicas: 4,
      utilization: 60,
      raw: 1200,
    },
    {
      name: 'TestReplicaCalcResourceScale/scale up: pods being deleted are ignored',
      current: 2,
      pods: cpuPods(ones(4), [500, 700], { readiness: [true, true, false, false], deleting: [false, false, true, true] }),
      target: 30,
      replicas: 4,
      utilization: 60,
      raw: 1200,
    },
    { name: 'TestReplicaCalcResourceScale/scale down: exclude unready pods', current: 5, pods: cpuPods(ones(5), [100, 300, 500, 250, 250], { readiness: [true, true, true, false, false] }), target: 50, replicas: 2, utilization: 30, raw: 600 },
    {
      name: 'TestReplicaCalcResourceScale/scale down: exclude unscheduled pods',
      current: 5,
      pods: cpuPods(ones(5), [100], { readiness: [true, false, false, false, false], phase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'] }),
      target: 50,
      replicas: 1,
      utilization: 10,
      raw: 200,
    },
    {
      name: 'TestReplicaCalcResourceScale/scale down: failed pods ignored',
      current: 5,
      pods: cpuPods(ones(7), [100, 300, 500, 250, 250], { readiness: [true, true, true, true, true, false, false], phase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'] }),
      target: 50,
      replicas: 3,
      utilization: 28,
      raw: 560,
    },
    {
      name: 'TestReplicaCalcResourceScale/scale down: pods being deleted are ignored',
      current: 5,
      pods: cpuPods(ones(7), [100, 300, 500, 250, 250], { readiness: [true, true, true, true, true, false, false], deleting: [false, false, false, false, false, true, true] }),
      target: 50,
      replicas: 3,
      utilization: 28,
      raw: 560,
    },
    { name: 'TestReplicaCalcTolerance', current: 3, pods: cpuPods([0.9, 1.0, 1.1], [1010, 1030, 1020]), target: 100, replicas: 3, utilization: 102, raw: 2040 },
    { name: 'TestReplicaCalcConfigurableTolerance/Outside of a 0% tolerance', current: 3, pods: cpuPods([0.9, 1.0, 1.1], [909, 1010, 1111]), target: 100, tolerances: { scaleDown: 0, scaleUp: 0 }, replicas: 4, utilization: 101, raw: 2020 },
    { name: 'TestReplicaCalcConfigurableTolerance/Within a 200% scale-up tolerance', current: 3, pods: cpuPods([0.9, 1.0, 1.1], [1890, 1910, 1900]), target: 100, tolerances: { scaleDown: 0.1, scaleUp: 2 }, replicas: 3, utilization: 190, raw: 3800 },
    {
      name: 'TestReplicaCalcConfigurableTolerance/Outside 8% scale-up tolerance (and superfuous scale-down tolerance)',
      current: 3,
      pods: cpuPods([0.9, 1.0, 1.1], [1100, 1080, 1090]),
      target: 100,
      tolerances: { scaleDown: 2, scaleUp: 0.08 },
      replicas: 4,
      utilization: 109,
      raw: 2180,
    },
    { name: 'TestReplicaCalcConfigurableTolerance/Within a 36% scale-down tolerance', current: 3, pods: cpuPods([0.9, 1.0, 1.1], [660, 640, 650]), target: 100, tolerances: { scaleDown: 0.36, scaleUp: 0.1 }, replicas: 3, utilization: 65, raw: 1300 },
    { name: 'TestReplicaCalcConfigurableTolerance/Outside a 34% scale-down tolerance', current: 3, pods: cpuPods([0.9, 1.0, 1.1], [660, 640, 650]), target: 100, tolerances: { scaleDown: 0.34, scaleUp: 0.1 }, replicas: 2, utilization: 65, raw: 1300 },
    { name: 'TestReplicaCalcMissingMetricsNoChangeEq', current: 2, pods: cpuPods(ones(2), [1000]), target: 100, replicas: 2, utilization: 100, raw: 2000 },
    { name: 'TestReplicaCalcMissingMetricsNoChangeGt', current: 2, pods: cpuPods(ones(2), [1900]), target: 100, replicas: 2, utilization: 190, raw: 3800 },
    { name: 'TestReplicaCalcMissingMetricsNoChangeLt', current: 2, pods: cpuPods(ones(2), [600]), target: 100, replicas: 2, utilization: 60, raw: 1200 },
    { name: 'TestReplicaCalcMissingMetricsUnreadyChange', current: 3, pods: cpuPods(ones(3), [100, 450], { readiness: [false, true, true] }), target: 50, replicas: 3, utilization: 45, raw: 900 },
    { name: 'TestReplicaCalcMissingMetricsUnreadyScaleUp', current: 3, pods: cpuPods(ones(3), [100, 2000], { readiness: [false, true, true] }), target: 50, replicas: 4, utilization: 200, raw: 4000 },
    { name: 'TestReplicaCalcMissingMetricsUnreadyScaleDown', current: 4, pods: cpuPods(ones(4), [100, 100, 100], { readiness: [false, true, true, true] }), target: 50, replicas: 3, utilization: 10, raw: 200 },
    { name: 'TestReplicaCalcMissingMetricsScaleDownTargetOver100', current: 4, pods: cpuPods([1, 1, 2, 2], [200, 100, 100], { readiness: [false, true, true, true] }), target: 300, replicas: 2, utilization: 6, raw: 200 },
    { name: 'TestReplicaCalcDuringRollingUpdateWithMaxSurge', current: 2, pods: cpuPods(ones(3), [100, 100]), target: 50, replicas: 2, utilization: 10, raw: 200 },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.replicas}`, () => {
      expect(calcResourceReplicas(c.current, c.pods, c.target, NOW, c.tolerances ?? DEFAULT)).toEqual({ replicas: c.replicas, utilization: c.utilization, rawUtilization: c.raw });
    });
  }

  it('TestReplicaCalcComputedToleranceAlgImplementation: just outside the tolerance scales to 9, just inside keeps 10', () => {
    // The Go test's arithmetic: 10 pods using 150m a container, requests twice that with jitter.
    const startPods = 10;
    const totalUsed = startPods * 150;
    const totalRequested = 2 * totalUsed;
    const requestedToUsed = Math.trunc(totalRequested / totalUsed);
    const perPodRequested = totalRequested / startPods;
    const jitter = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0];
    const pods = cpuPods(jitter.map((j) => (perPodRequested + j) / 1000), new Array(startPods).fill(totalUsed / 10));
    let target = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.01;
    const finalPods = Math.ceil((totalUsed / (totalRequested * target)) * startPods);
    expect(finalPods).toBe(9);
    expect(calcResourceReplicas(startPods, pods, Math.trunc(target * 100), NOW, DEFAULT)).toMatchObject({ replicas: finalPods, utilization: 50 });
    target = Math.abs(1 / (requestedToUsed * (1 - 0.1))) + 0.004;
    expect(calcResourceReplicas(startPods, pods, Math.trunc(target * 100), NOW, DEFAULT)).toMatchObject({ replicas: startPods });
  });
});

describe('replica_calculator_test.go: TestGroupPods', () => {
  it('count in a ready pod - memory (a non-CPU sample counts whatever the phase short of Pending/Failed)', () => {
    expect(groupPods([{ phase: 'Succeeded', metric: 1 }], null)).toEqual({ readyPodCount: 1, unready: [], missing: [], ignored: [] });
  });
  it('pending pods are unreadied', () => {
    expect(groupPods([{ phase: 'Pending' }], 'cpu', NOW)).toEqual({ readyPodCount: 0, unready: [0], missing: [], ignored: [] });
  });
  it('ignore pods with deletion timestamps (even Pending, even with a sample)', () => {
    expect(groupPods([{ phase: 'Pending', deleting: true, metric: 1 }], 'cpu', NOW)).toEqual({ readyPodCount: 0, unready: [], missing: [], ignored: [0] });
  });
  it('ignore pods in a failed state', () => {
    expect(groupPods([{ phase: 'Failed', metric: 1 }], 'cpu', NOW)).toEqual({ readyPodCount: 0, unready: [], missing: [], ignored: [0] });
  });
  it('a missing pod', () => {
    expect(groupPods([{ phase: 'Succeeded', startTime: NOW - 180_000 }], 'cpu', NOW)).toEqual({ readyPodCount: 0, unready: [], missing: [0], ignored: [] });
  });
  it('unready a ready pod without fresh metrics during initialization period - CPU', () => {
    const pod: ResourcePod = { phase: 'Succeeded', ready: true, requestMilli: 0, startTime: NOW - 60_000, readyTransitionTime: NOW - 30_000, metric: 1, metricTimestamp: NOW, metricWindowMs: 60_000 };
    expect(groupPods([pod], 'cpu', NOW).unready).toEqual([0]);
    // A 30 s window since the transition is fresh enough: "count in a ready pod with fresh metrics during initialization period".
    expect(groupPods([{ ...pod, metricWindowMs: 30_000 }], 'cpu', NOW).readyPodCount).toBe(1);
  });
});

describe('tolerances: 1 - down <= ratio <= 1 + up, both edges inclusive', () => {
  it('holds at exactly 1.1 and 0.9 (10 pods at 8.8 and 7.2 against 8), scales just beyond', () => {
    expect(isWithinTolerance(DEFAULT, 8800 / 8000)).toBe(true);
    expect(isWithinTolerance(DEFAULT, 7200 / 8000)).toBe(true);
    // The old test |1 - ratio| <= 0.1 put exactly 1.1 outside in floating point.
    expect(Math.abs(1 - 8800 / 8000) <= 0.1).toBe(false);
    expect(calcPlainMetricReplicas(10, sampled(8.8, 10), T, DEFAULT)).toMatchObject({ replicas: 10, reason: 'within tolerance' });
    expect(calcPlainMetricReplicas(10, sampled(7.2, 10), T, DEFAULT)).toMatchObject({ replicas: 10 });
    // 8.808 / 8 = 1.101: ceil(1.101 x 10) = 12 (the float product is just above 11.01).
    expect(calcPlainMetricReplicas(10, sampled(8.808, 10), T, DEFAULT)).toMatchObject({ replicas: 12 });
    expect(calcPlainMetricReplicas(10, sampled(7.192, 10), T, DEFAULT)).toMatchObject({ replicas: 9 });
  });

  it('a sum of float samples does not move the ratio off the edge: 3 x 8.8 is 26400 milli-units exactly', () => {
    // 8.8 + 8.8 + 8.8 = 26.400000000000002 in floating point; the milli-unit sum is an exact integer.
    expect(8.8 + 8.8 + 8.8).not.toBe(26.4);
    expect(calcPlainMetricReplicas(3, sampled(8.8, 3), T, DEFAULT)).toMatchObject({ replicas: 3, usageMilli: 8800 });
  });

  it('the controller uses behavior.scaleUp.tolerance and behavior.scaleDown.tolerance, the flag otherwise', () => {
    const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max' as const, policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }] };
    const asymmetric = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T, scaleUp: { ...rules, tolerance: 0.01 }, scaleDown: { ...rules, tolerance: 0.5 } });
    // 1.05 is outside the 1% scale-up tolerance: ceil(1.05 x 10) = 11.
    expect(asymmetric.sync(obs(t0, 10, 1.05 * T)).desiredReplicas).toBe(11);
    // 0.6 is inside the 50% scale-down tolerance: keep 11.
    expect(asymmetric.sync(obs(t0 + SYNC, 11, 0.6 * T)).desiredReplicas).toBe(11);
    const flag = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T, tolerance: 0.2 });
    expect(flag.sync(obs(t0, 10, 1.15 * T)).desiredReplicas).toBe(10);
  });
});

describe('HPA replica calculation (calcPlainMetricReplicas), hand-computed', () => {
  it('scales by ceil(ratio x ready) outside the tolerance', () => {
    expect(calcPlainMetricReplicas(10, sampled(8.72, 10), T)).toMatchObject({ replicas: 10 });
    expect(calcPlainMetricReplicas(10, sampled(8.88, 10), T)).toMatchObject({ replicas: 12 });
    expect(calcPlainMetricReplicas(10, sampled(4, 10), T)).toMatchObject({ replicas: 5 });
  });

  it('counts missing pods at 0 on a scale-up: 4 pods at 2T and 4 missing average exactly T, so it holds 8', () => {
    expect(calcPlainMetricReplicas(8, [...sampled(2 * T, 4), ...missing(4)], T)).toMatchObject({ replicas: 8 });
  });

  it('counts missing pods at the target on a scale-down: (4 x 0.5T + 2T) / 6 = 0.667T -> ceil(0.667 x 6) = 4', () => {
    expect(calcPlainMetricReplicas(6, [...sampled(0.5 * T, 4), ...missing(2)], T)).toMatchObject({ replicas: 4 });
  });

  it('a Running pod that is not Ready and has no sample is missing, not unready: it holds a scale-down back', () => {
    // 4 pods at 0.5T and 4 Running-not-Ready: (4 x 0.5T + 4T) / 8 = 0.75 -> ceil(6) = 6. Unready pods would
    // have been left out on a scale-down: ceil(0.5 x 4) = 2.
    expect(calcPlainMetricReplicas(8, [...sampled(0.5 * T, 4), ...missing(4, false)], T)).toMatchObject({ replicas: 6 });
    expect(calcPlainMetricReplicas(8, [...sampled(0.5 * T, 4), ...pending(4)], T)).toMatchObject({ replicas: 2 });
  });

  it('holds when Pending pods counted at 0 turn a scale-up into a scale-down (4 x 1.5T over 8 pods = 0.75)', () => {
    expect(calcPlainMetricReplicas(8, [...sampled(1.5 * T, 4), ...pending(4)], T)).toMatchObject({ replicas: 8 });
  });

  it('counts Pending pods at 0 on a scale-up: 4 x 3T over 6 pods = 2T -> ceil(2 x 6) = 12', () => {
    expect(calcPlainMetricReplicas(6, [...sampled(3 * T, 4), ...pending(2)], T)).toMatchObject({ replicas: 12 });
  });

  it('ignores pods being deleted or Failed, samples included', () => {
    const leaving: HpaPod[] = [
      { phase: 'Running', ready: true, deleting: true, metric: 10 * T },
      { phase: 'Failed', ready: false, metric: 10 * T },
    ];
    expect(calcPlainMetricReplicas(4, [...sampled(0.5 * T, 4), ...leaving], T)).toMatchObject({ replicas: 2 });
  });

  it('gives no proposal without any sample or without pods', () => {
    expect(calcPlainMetricReplicas(3, missing(3), T)).toEqual({ error: 'did not receive metrics for targeted pods (pods might be unready)' });
    expect(calcPlainMetricReplicas(3, [], T)).toEqual({ error: 'no pods returned by selector while calculating replica count' });
  });
});

describe('HPA controller (behaviours, stabilisation)', () => {
  it('scales up by at most max(100%, 4 pods) per 15 s: 2 -> 6 -> 12 -> 24', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    let current = 2;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = hpa.sync(obs(t0 + i * SYNC, current, (100 * T) / current));
      current = decision.desiredReplicas;
      seen.push(current);
    }
    expect(seen).toEqual([6, 12, 24]);
  });

  it('counts scale-ups within the period: two syncs 5 s apart add 4 pods in total from 2 (Pods policy wins)', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    expect(hpa.sync(obs(t0, 2, 50 * T)).desiredReplicas).toBe(6);
    const second = hpa.sync(obs(t0 + 5_000, 6, (100 * T) / 6));
    expect(second.desiredReplicas).toBe(6);
    expect(second.reason).toBe('ScaleUpLimit');
  });

  it('caps at maxReplicas and raises to minReplicas', () => {
    expect(new HpaController({ minReplicas: 3, maxReplicas: 10, targetAverageValue: T }).sync(obs(t0, 8, 4 * T)).desiredReplicas).toBe(10);
    expect(new HpaController({ minReplicas: 3, maxReplicas: 10, targetAverageValue: T }).sync(obs(t0, 2, T)).desiredReplicas).toBe(3);
  });

  it('holds a scale-down for the 300 s stabilisation window (highest recommendation wins)', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    let current = 10;
    const history: { at: number; replicas: number }[] = [];
    for (let s = 0; s <= 315; s += 15) {
      current = hpa.sync(obs(t0 + s * 1000, current, (5 * T) / current)).desiredReplicas;
      history.push({ at: s, replicas: current });
    }
    expect(history.find((h) => h.at === 285)!.replicas).toBe(10);
    expect(history.find((h) => h.at === 300)!.replicas).toBe(5);
  });

  it('a short dip inside the window does not scale down: the window remembers the peak', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    let current = 10;
    current = hpa.sync(obs(t0, current, T)).desiredReplicas;
    current = hpa.sync(obs(t0 + 15_000, current, 0.3 * T)).desiredReplicas;
    expect(current).toBe(10);
    current = hpa.sync(obs(t0 + 30_000, current, T)).desiredReplicas;
    expect(current).toBe(10);
  });

  it('does not scale without metrics', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    expect(hpa.sync(obs(t0, 4, 0, 0, missing(4)))).toMatchObject({ desiredReplicas: 4, rescale: false, proposal: null });
  });
});

describe('the simulator splits starting pods into Pending and Running-not-Ready', () => {
  it(`a scheduled pod is Pending for ${DEFAULT_CONTAINER_START_MS / 1000} s, then Running without a sample until Ready`, () => {
    const clock = new ReplayClock(t0);
    const ref = { namespace: 'default', name: 'w', kind: 'Deployment' as const };
    const cluster = new SimulatedCluster(clock, { workloads: [{ ref, podStartupMs: 90_000, initialReplicas: 2 }] });
    const env = { cluster, ref, settings: { podStartupMs: 90_000 }, observed: (now: number) => ({ time: now, demand: 4 * T, readyReplicas: 2 }) } as unknown as SimEnv;
    cluster.setReplicas(ref, 5);
    const kinds = (now: number) => {
      clock.advanceTo(now);
      const o = hpaObservation(env, now);
      return {
        sampled: o.pods.filter((p) => p.metric !== undefined).length,
        runningNotReady: o.pods.filter((p) => p.phase === 'Running' && p.ready === false && p.metric === undefined).length,
        pending: o.pods.filter((p) => p.phase === 'Pending').length,
      };
    };
    expect(kinds(t0 + 10_000)).toEqual({ sampled: 2, runningNotReady: 0, pending: 3 });
    expect(kinds(t0 + 15_000)).toEqual({ sampled: 2, runningNotReady: 3, pending: 0 });
    expect(kinds(t0 + 89_000)).toEqual({ sampled: 2, runningNotReady: 3, pending: 0 });
    expect(kinds(t0 + 90_000)).toEqual({ sampled: 2, runningNotReady: 0, pending: 0 });
    // At 2T per pod with three Running-not-Ready pods counted at 0: (2 x 2T) / 5 = 0.8 -> direction flips, hold 5.
    expect(new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T }).sync(hpaObservation(env, t0 + 30_000)).desiredReplicas).toBe(5);
  });
});
