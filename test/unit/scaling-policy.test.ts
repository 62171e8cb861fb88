import { describe, expect, it } from 'vitest';
import { applyOverMax, applyStepLimits, DEFAULT_POLICY, pruneState, scaleDownLimit, scaleUpLimit, stabilize, type PolicyOptions } from '../../src/scaling/policy.js';

/** The Kubernetes HPA defaults (autoscaling/v2 behavior), to check the semantics match. */
const HPA: PolicyOptions = {
  scaleUp: {
    policies: [
      { type: 'percent', value: 100, periodMs: 15_000 },
      { type: 'pods', value: 4, periodMs: 15_000 },
    ],
    select: 'max',
    stabilizationMs: 0,
  },
  scaleDown: { policies: [{ type: 'percent', value: 100, periodMs: 15_000 }], select: 'max', stabilizationMs: 300_000 },
  overMax: { mode: 'honour-max', bufferReplicas: 0, bufferPercent: 0 },
};

describe('step limits (HPA behavior semantics)', () => {
  it('scale-up: the larger of 100% and 4 pods per period, counting changes within the period', () => {
    expect(scaleUpLimit(1, [], 0, HPA.scaleUp)).toBe(5);
    expect(scaleUpLimit(10, [], 0, HPA.scaleUp)).toBe(20);
    // 6 pods were added 10 s ago: the period started at 4 replicas -> max(8, 8), so no more for now.
    expect(scaleUpLimit(10, [{ time: -10_000, from: 4, to: 10 }], 0, HPA.scaleUp)).toBe(10);
    expect(scaleUpLimit(10, [{ time: -10_000, from: 8, to: 10 }], 0, HPA.scaleUp)).toBe(16);
    // Outside the period, the change no longer counts.
    expect(scaleUpLimit(10, [{ time: -20_000, from: 4, to: 10 }], 0, HPA.scaleUp)).toBe(20);
    expect(scaleUpLimit(10, [], 0, { ...HPA.scaleUp, select: 'min' })).toBe(14);
    expect(scaleUpLimit(10, [], 0, { ...HPA.scaleUp, select: 'disabled' })).toBe(10);
    expect(scaleUpLimit(0, [], 0, { policies: [{ type: 'percent', value: 100, periodMs: 15_000 }], select: 'max', stabilizationMs: 0 })).toBe(1);
  });

  it('scale-down: select max allows the largest removal; percent rounds down', () => {
    const down = { policies: [{ type: 'percent' as const, value: 50, periodMs: 60_000 }, { type: 'pods' as const, value: 2, periodMs: 60_000 }], select: 'max' as const, stabilizationMs: 0 };
    expect(scaleDownLimit(9, [], 0, down)).toBe(4);
    expect(scaleDownLimit(9, [], 0, { ...down, select: 'min' })).toBe(7);
    // 3 already removed within the period: the period started at 12.
    expect(scaleDownLimit(9, [{ time: -30_000, from: 12, to: 9 }], 0, down)).toBe(6);
  });

  it('names the rule when it limits', () => {
    expect(applyStepLimits(10, 30, [], 0, HPA)).toEqual({ replicas: 20, rule: 'step limit +10' });
    expect(applyStepLimits(10, 15, [], 0, HPA)).toEqual({ replicas: 15, rule: null });
    expect(applyStepLimits(10, 2, [], 0, DEFAULT_POLICY)).toEqual({ replicas: 5, rule: 'step limit -5' });
    expect(applyStepLimits(5, 2, [{ time: -30_000, from: 11, to: 5 }], 0, DEFAULT_POLICY)).toEqual({ replicas: 5, rule: 'step limit: no more scale-down this period' });
  });
});

describe('stabilisation', () => {
  it('scale-down goes only as low as the highest recommendation in the window', () => {
    const recs = [
      { time: -400_000, replicas: 20 },
      { time: -200_000, replicas: 12 },
      { time: -100_000, replicas: 8 },
    ];
    expect(stabilize(15, 6, recs, 0, HPA)).toEqual({ replicas: 12, rule: 'scale-down stabilisation 300s holds 12' });
    // Never above current.
    expect(stabilize(10, 6, recs, 0, HPA).replicas).toBe(10);
    // Scale-up passes through when there is no up window.
    expect(stabilize(10, 14, recs, 0, HPA)).toEqual({ replicas: 14, rule: null });
  });

  it('scale-up keeps the lowest recommendation of its window when one is set', () => {
    const opts = { ...HPA, scaleUp: { ...HPA.scaleUp, stabilizationMs: 60_000 } };
    expect(stabilize(5, 10, [{ time: -30_000, replicas: 7 }], 0, opts).replicas).toBe(7);
  });

  it('prunes state to what the policies still look at', () => {
    const state = {
      mode: 'predictive' as const,
      reactiveUntil: null,
      recommendations: [{ time: -1_000_000, replicas: 1 }, { time: -10_000, replicas: 2 }],
      changes: [{ time: -1_000_000, from: 1, to: 2 }, { time: -10_000, from: 2, to: 3 }],
    };
    const pruned = pruneState(state, 0, HPA);
    expect(pruned.recommendations).toEqual([{ time: -10_000, replicas: 2 }]);
    expect(pruned.changes).toEqual([{ time: -10_000, from: 2, to: 3 }]);
    expect(JSON.parse(JSON.stringify(pruned))).toEqual(pruned);
  });
});

describe('forecast above max', () => {
  it('honour-max clamps and raises an alert', () => {
    expect(applyOverMax(60, 50, { mode: 'honour-max', bufferReplicas: 0, bufferPercent: 0 })).toEqual({ replicas: 50, rule: 'max 50 (wanted 60)', alert: true, excess: 10 });
    expect(applyOverMax(40, 50, DEFAULT_POLICY.overMax)).toEqual({ replicas: 40, rule: null, alert: false, excess: 0 });
  });

  it('buffer allows a bounded excess, also with an alert', () => {
    const r = applyOverMax(60, 50, { mode: 'buffer', bufferReplicas: 2, bufferPercent: 10 });
    expect(r.replicas).toBe(55);
    expect(r.alert).toBe(true);
    expect(applyOverMax(52, 50, { mode: 'buffer', bufferReplicas: 2, bufferPercent: 10 }).replicas).toBe(52);
  });
});
