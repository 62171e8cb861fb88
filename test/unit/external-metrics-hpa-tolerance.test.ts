import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeForTolerance, hpaExternalAverageValueReplicas } from '../../src/external-metrics/hpa-tolerance.js';

// Reference: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go,
// GetExternalPerPodMetricReplicas and Tolerances.isWithin ((1-down) <= ratio <= (1+up), inclusive).
describe('the HPA external AverageValue calculation', () => {
  it('swallows a step from 10 to 11 under the default 10% tolerance (ratio exactly 1.1 is inside)', () => {
    const r = hpaExternalAverageValueReplicas({ values: [11], targetAverageValue: 1, currentReplicas: 10 });
    expect(r.usageRatio).toBe(1.1);
    expect(r.withinTolerance).toBe(true);
    expect(r.desiredReplicas).toBe(10);
  });

  it('reaches exactly the planned count when the step is outside the tolerance', () => {
    expect(hpaExternalAverageValueReplicas({ values: [12], targetAverageValue: 1, currentReplicas: 10 }).desiredReplicas).toBe(12);
    expect(hpaExternalAverageValueReplicas({ values: [8], targetAverageValue: 1, currentReplicas: 10 }).desiredReplicas).toBe(8);
  });

  it('with behavior tolerance 0 (HPAConfigurableTolerance) takes 10 -> 11 and 10 -> 9', () => {
    expect(hpaExternalAverageValueReplicas({ values: [11], targetAverageValue: 1, currentReplicas: 10, tolerance: 0 }).desiredReplicas).toBe(11);
    expect(hpaExternalAverageValueReplicas({ values: [9], targetAverageValue: 1, currentReplicas: 10, tolerance: { scaleUp: 0, scaleDown: 0 } }).desiredReplicas).toBe(9);
  });

  it('sums the items and rounds up in milli-units (Quantity.MilliValue)', () => {
    expect(hpaExternalAverageValueReplicas({ values: [5, 6.0005], targetAverageValue: 1, currentReplicas: 4 }).desiredReplicas).toBe(12);
    expect(hpaExternalAverageValueReplicas({ values: [8.001], targetAverageValue: 1, currentReplicas: 10 }).desiredReplicas).toBe(9);
  });

  it('takes separate up and down tolerances', () => {
    const tolerance = { scaleUp: 0.05, scaleDown: 0.2 };
    expect(hpaExternalAverageValueReplicas({ values: [11], targetAverageValue: 1, currentReplicas: 10, tolerance }).desiredReplicas).toBe(11);
    expect(hpaExternalAverageValueReplicas({ values: [9], targetAverageValue: 1, currentReplicas: 10, tolerance }).desiredReplicas).toBe(10);
  });
});

describe('encodeForTolerance (what Prescale publishes for an HPA with AverageValue 1)', () => {
  it('10 -> 11 at 10%: overshoots to 12, the least the HPA acts on', () => {
    expect(encodeForTolerance(11, 10, 0.1)).toEqual({ value: 12, reaches: 12, how: 'overshoot' });
  });

  it('10 -> 9 at 10%: publishes 8.001 so the HPA ceil lands on 9', () => {
    expect(encodeForTolerance(9, 10, 0.1)).toEqual({ value: 8.001, reaches: 9, how: 'ceil' });
  });

  it('after an overshoot to 12 with the plan at 11, brings the HPA back to 11', () => {
    expect(encodeForTolerance(11, 12, 0.1)).toEqual({ value: 10.001, reaches: 11, how: 'ceil' });
  });

  it('holds a step down the HPA cannot see (100 -> 99) rather than going below the plan', () => {
    expect(encodeForTolerance(99, 100, 0.1)).toEqual({ value: 99, reaches: 100, how: 'held' });
  });

  it('publishes the plan as is when the step is large, nothing changes, or the tolerance is 0', () => {
    expect(encodeForTolerance(15, 10, 0.1)).toEqual({ value: 15, reaches: 15, how: 'exact' });
    expect(encodeForTolerance(10, 10, 0.1)).toEqual({ value: 10, reaches: 10, how: 'exact' });
    expect(encodeForTolerance(11, 10, 0)).toEqual({ value: 11, reaches: 11, how: 'exact' });
  });

  test.prop([fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), fc.constantFrom(0.05, 0.1, 0.15, 0.2)], { numRuns: 300, seed: 7 })(
    'the HPA never ends below the plan on the way up, never below it on the way down, and the value is stable once reached',
    (planned, current, tolerance) => {
      const encoded = encodeForTolerance(planned, current, tolerance);
      const hpa = (replicas: number) => hpaExternalAverageValueReplicas({ values: [encoded.value], targetAverageValue: 1, currentReplicas: replicas, tolerance }).desiredReplicas;
      expect(hpa(current)).toBe(encoded.reaches);
      expect(encoded.reaches).toBeGreaterThanOrEqual(planned);
      // Only an overshoot may end above the plan, and then by at most what the tolerance hides (+1).
      expect(encoded.reaches - planned).toBeLessThanOrEqual(encoded.how === 'overshoot' ? Math.ceil(current * tolerance) + 1 : encoded.how === 'held' ? current - planned : 0);
      // Read again at the count it reached, the same value keeps it there.
      expect(hpa(encoded.reaches)).toBe(encoded.reaches);
    },
  );
});
