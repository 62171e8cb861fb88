/**
 * The planner's promise that nothing is scaled below what live load needs now (up to maxReplicas) also holds
 * against its own scale-up step limits and scale-up stabilisation (src/scaling/policy.ts): they pace growth
 * beyond live need, never the live need itself. The case that broke it: Prescale scaled 20 -> 40, someone
 * scaled the Deployment down to 1 outside Prescale, and the step limit, counting Prescale's own recent +20
 * against the 1 replica running, held 1 -> 1 while the load needed 38.
 * Left out: scale-down limits (they only ever hold more replicas) and the calendar (scaling-planner.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { TargetScalingState } from '../../src/scaling/engine.js';
import { createPlanner, planTick } from '../../src/scaling/planner.js';
import { DEFAULT_POLICY, scaleUpLimit } from '../../src/scaling/policy.js';
import { baseInput, makeTarget, syntheticForecast } from '../support/scaling-fixtures.js';

const NOW = baseInput().now;
const MIN = 60_000;

/** Prescale's own scale-up 10 s ago (20 -> 40), as the state carries it. */
const afterOwnScaleUp: TargetScalingState = {
  mode: 'predictive',
  recommendations: [{ time: NOW - 10_000, replicas: 40 }],
  changes: [{ time: NOW - 10_000, from: 20, to: 40 }],
  reactiveUntil: null,
};

const workload = (replicas: number) => ({ desiredReplicas: replicas, readyReplicas: replicas, rolloutInProgress: false });

describe('planner: live need wins over the scale-up step limits', () => {
  it('after an external scale-down to 1, scales straight back to what live load needs (38), not 1', () => {
    // The mechanism: the period's start is "current minus what Prescale added in the period" = 1 - 20 < 0.
    expect(scaleUpLimit(1, afterOwnScaleUp.changes, NOW, DEFAULT_POLICY.scaleUp)).toBe(1);
    const r = planTick(
      baseInput({
        state: afterOwnScaleUp,
        workload: workload(1),
        live: { load: 3600, at: NOW },
        forecast: syntheticForecast(NOW - MIN, MIN, 30, 3600, 0),
        planIntervalMs: 15_000,
      }),
    );
    expect(r.decision.inputs.liveNeed).toBe(38);
    expect(r.desiredReplicas).toBe(38);
    expect(r.decision.rule).toMatch(/^live load 3600 needs 38 \(\+5%\), above step limit: no more scale-up this period; wanted \d+ by /);
    // The jump is recorded, so growth beyond live need is paced from here.
    expect(r.state.changes.at(-1)).toEqual({ time: NOW, from: 1, to: 38 });
  });

  it('the same in the reactive fast loop and with live load only (no forecast)', () => {
    for (const loop of ['plan', 'reactive'] as const) {
      const r = planTick(baseInput({ loop, state: afterOwnScaleUp, workload: workload(1), live: { load: 3600, at: NOW }, forecast: null, planIntervalMs: 15_000 }));
      expect(r.desiredReplicas, loop).toBe(38);
    }
  });

  it('a sudden rise from 5 is not paced to +100% per period when live load needs more', () => {
    const r = planTick(baseInput({ workload: workload(5), live: { load: 3600, at: NOW }, forecast: syntheticForecast(NOW - MIN, MIN, 30, 3600, 0) }));
    expect(scaleUpLimit(5, [], NOW, DEFAULT_POLICY.scaleUp)).toBe(10);
    expect(r.desiredReplicas).toBe(38);
  });

  it('only up to maxReplicas', () => {
    const r = planTick(baseInput({ target: makeTarget({ maxReplicas: 30 }), state: afterOwnScaleUp, workload: workload(1), live: { load: 3600, at: NOW }, forecast: null }));
    expect(r.desiredReplicas).toBe(30);
  });

  it('growth beyond live need that the forecast asks for stays step-limited', () => {
    // Live 1100 needs 12; the forecast (P90 4400 within the lead) wants 45; from 10 the limit allows 20.
    const rising = syntheticForecast(NOW - MIN, MIN, 30, (i) => (i >= 2 ? 4400 : 1100), 0);
    const r = planTick(baseInput({ workload: workload(10), live: { load: 1100, at: NOW }, forecast: rising, recentPeakLoad: 5000 }));
    expect(r.decision.inputs.liveNeed).toBe(12);
    expect(r.decision.inputs.recommendedReplicas).toBeGreaterThanOrEqual(45);
    expect(r.desiredReplicas).toBe(20);
    expect(r.decision.rule).toMatch(/^step limit \+10; wanted \d+ by forecast P90 4400/);
    // After the external scale-down, the forecast's extra beyond the live need waits for the next period.
    const after = planTick(baseInput({ state: afterOwnScaleUp, workload: workload(1), live: { load: 3600, at: NOW }, forecast: rising, recentPeakLoad: 5000 }));
    expect(after.desiredReplicas).toBe(38);
  });

  it('scale-up stabilisation does not hold below live need either', () => {
    const slowUp = createPlanner({ policy: { scaleUp: { ...DEFAULT_POLICY.scaleUp, stabilizationMs: 300_000 } } });
    const state: TargetScalingState = { ...afterOwnScaleUp, changes: [], recommendations: [{ time: NOW - MIN, replicas: 2 }] };
    const r = slowUp(baseInput({ state, workload: workload(2), live: { load: 3600, at: NOW }, forecast: null }));
    expect(r.desiredReplicas).toBe(38);
    expect(r.decision.rule).toMatch(/^live load 3600 needs 38 \(\+5%\), above scale-up stabilisation 300s holds 2; wanted \d+ by reactive: load/);
  });
});
