/**
 * The HPA model against scenarios computed by hand from the upstream algorithm (kubernetes/kubernetes
 * pkg/controller/podautoscaler: replica_calculator.go calcPlainMetricReplicas, horizontal.go
 * normalizeDesiredReplicasWithBehaviors). Target AverageValue T = 8 (capacity 10 x utilisation 0.8).
 */
import { describe, expect, it } from 'vitest';
import { calcPlainMetricReplicas, HpaController, type HpaObservation } from '../../src/simulator/hpa.js';

const T = 8;
const t0 = Date.UTC(2026, 0, 5, 12);
const SYNC = 15_000;

/** `ready` pods each reporting `perPod`, nothing missing or unready. */
const obs = (now: number, current: number, perPod: number, ready = current, extra: Partial<HpaObservation> = {}): HpaObservation => ({
  now,
  currentReplicas: current,
  podMetrics: new Array<number>(ready).fill(perPod),
  missingPods: 0,
  unreadyPods: 0,
  ...extra,
});

describe('HPA replica calculation (calcPlainMetricReplicas)', () => {
  it('keeps the replicas within the 0.1 tolerance and scales by ceil(ratio x ready) outside it', () => {
    // 10 pods at 8.72 / 8 = 1.09: within tolerance.
    expect(calcPlainMetricReplicas({ currentReplicas: 10, podMetrics: new Array(10).fill(8.72), missingPods: 0, unreadyPods: 0 }, T)!.replicas).toBe(10);
    // 10 pods at 8.88 / 8 = 1.11: ceil(1.11 x 10) = 12.
    expect(calcPlainMetricReplicas({ currentReplicas: 10, podMetrics: new Array(10).fill(8.88), missingPods: 0, unreadyPods: 0 }, T)!.replicas).toBe(12);
    // 10 pods at 4 / 8 = 0.5: ceil(0.5 x 10) = 5.
    expect(calcPlainMetricReplicas({ currentReplicas: 10, podMetrics: new Array(10).fill(4), missingPods: 0, unreadyPods: 0 }, T)!.replicas).toBe(5);
  });

  it('counts missing pods at 0 on a scale-up: 4 pods at 2T and 4 missing average exactly T, so it holds 8', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 8, podMetrics: new Array(4).fill(2 * T), missingPods: 4, unreadyPods: 0 }, T)!.replicas).toBe(8);
  });

  it('counts missing pods at the target on a scale-down: (4 x 0.5T + 2T) / 6 = 0.667T -> ceil(0.667 x 6) = 4', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 6, podMetrics: new Array(4).fill(0.5 * T), missingPods: 2, unreadyPods: 0 }, T)!.replicas).toBe(4);
  });

  it('holds when unready pods counted at 0 turn a scale-up into a scale-down (4 x 1.5T over 8 pods = 0.75)', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 8, podMetrics: new Array(4).fill(1.5 * T), missingPods: 0, unreadyPods: 4 }, T)!.replicas).toBe(8);
  });

  it('counts unready pods at 0 on a scale-up: 4 x 3T over 6 pods = 2T -> ceil(2 x 6) = 12', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 6, podMetrics: new Array(4).fill(3 * T), missingPods: 0, unreadyPods: 2 }, T)!.replicas).toBe(12);
  });

  it('ignores unready pods on a scale-down: 4 x 0.5T with 2 unready -> ceil(0.5 x 4) = 2', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 6, podMetrics: new Array(4).fill(0.5 * T), missingPods: 0, unreadyPods: 2 }, T)!.replicas).toBe(2);
  });

  it('gives no proposal without any metric', () => {
    expect(calcPlainMetricReplicas({ currentReplicas: 3, podMetrics: [], missingPods: 3, unreadyPods: 0 }, T)).toBeNull();
  });
});

describe('HPA controller (behaviours, stabilisation)', () => {
  it('scales up by at most max(100%, 4 pods) per 15 s: 2 -> 6 -> 12 -> 24', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    let current = 2;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      // The load asks for 100 replicas: 100 x T spread over the current pods.
      const decision = hpa.sync(obs(t0 + i * SYNC, current, (100 * T) / current));
      current = decision.desiredReplicas;
      seen.push(current);
    }
    // 2: max(2 x 2, 2 + 4) = 6; 6: max(12, 10) = 12; 12: max(24, 16) = 24.
    expect(seen).toEqual([6, 12, 24]);
  });

  it('counts scale-ups within the period: two syncs 5 s apart add 4 pods in total from 2 (Pods policy wins)', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    const first = hpa.sync(obs(t0, 2, 50 * T));
    expect(first.desiredReplicas).toBe(6);
    // 5 s later the period still holds the +4 event: period start is 2 again, limit max(4, 6) = 6.
    const second = hpa.sync(obs(t0 + 5_000, 6, (100 * T) / 6));
    expect(second.desiredReplicas).toBe(6);
    expect(second.reason).toBe('ScaleUpLimit');
  });

  it('caps at maxReplicas and raises to minReplicas', () => {
    const hpa = new HpaController({ minReplicas: 3, maxReplicas: 10, targetAverageValue: T });
    expect(hpa.sync(obs(t0, 8, 4 * T)).desiredReplicas).toBe(10);
    const other = new HpaController({ minReplicas: 3, maxReplicas: 10, targetAverageValue: T });
    expect(other.sync(obs(t0, 2, T)).desiredReplicas).toBe(3);
  });

  it('holds a scale-down for the 300 s stabilisation window (highest recommendation wins)', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    // Load falls to half at t0: the proposal is 5, the initial recommendation (10 at t0) holds it.
    let current = 10;
    const history: { at: number; replicas: number }[] = [];
    for (let s = 0; s <= 315; s += 15) {
      current = hpa.sync(obs(t0 + s * 1000, current, (5 * T) / current)).desiredReplicas;
      history.push({ at: s, replicas: current });
    }
    expect(history.find((h) => h.at === 285)!.replicas).toBe(10);
    // A recommendation exactly 300 s old no longer counts (time.After is strict): down at 300 s.
    expect(history.find((h) => h.at === 300)!.replicas).toBe(5);
  });

  it('a short dip inside the window does not scale down: the window remembers the peak', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    let current = 10;
    current = hpa.sync(obs(t0, current, T)).desiredReplicas; // steady at 10
    current = hpa.sync(obs(t0 + 15_000, current, 0.3 * T)).desiredReplicas; // dip: proposal 3
    expect(current).toBe(10);
    current = hpa.sync(obs(t0 + 30_000, current, T)).desiredReplicas; // back
    expect(current).toBe(10);
  });

  it('does not scale without metrics', () => {
    const hpa = new HpaController({ minReplicas: 1, maxReplicas: 100, targetAverageValue: T });
    const decision = hpa.sync(obs(t0, 4, 0, 0, { missingPods: 4 }));
    expect(decision).toMatchObject({ desiredReplicas: 4, rescale: false, proposal: null });
  });
});
