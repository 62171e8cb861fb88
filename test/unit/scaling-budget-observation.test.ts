/**
 * The plan job's miss measurement for the error budget (src/scaling/budget-observation.ts) and the state it
 * keeps through the controller: a tick short of capacity spends, a replayed tick spends nothing again, and on a
 * real trace the minutes spent are the minutes the load ran above the Ready capacity.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/schema.js';
import { REPO_ROOT } from '../../src/core/paths.js';
import { budgetStatus, decisionBudget, observeTick, targetBudgetConfig, type TickEvidence } from '../../src/scaling/budget-observation.js';
import { budgetReport, headroomFor, initialBudgetState, observe } from '../../src/scaling/error-budget.js';
import { loadTrace } from '../../src/simulator/trace.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const TICK = 15_000;

const evidence = (over: Partial<TickEvidence>): TickEvidence => ({
  at: T0,
  load: 400,
  loadAt: T0 - 30_000,
  readyReplicas: 5,
  capacityPerReplica: 100,
  maxLiveAgeMs: 600_000,
  planIntervalMs: TICK,
  lastObservedAt: T0 - TICK,
  ...over,
});

const target = (over: Record<string, unknown> = {}) => targetSchema.parse({ name: 'web', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 50, ...over });

describe('error budget: what a planning tick observes', () => {
  it('is short when live load is above the capacity of the Ready replicas, not at or below it', () => {
    expect(observeTick(evidence({ load: 501 }))).toEqual({ at: T0, minutes: 0.25, shortMinutes: 0.25 });
    expect(observeTick(evidence({ load: 500 }))).toEqual({ at: T0, minutes: 0.25, shortMinutes: 0 });
    // Desired replicas do not count: only Ready ones serve.
    expect(observeTick(evidence({ load: 150, readyReplicas: 1 }))?.shortMinutes).toBe(0.25);
    expect(observeTick(evidence({ load: 1, readyReplicas: 0 }))?.shortMinutes).toBe(0.25);
  });

  it('says nothing without evidence: unknown, negative or stale live load, or a tick not after the last observation', () => {
    expect(observeTick(evidence({ load: null }))).toBeNull();
    expect(observeTick(evidence({ load: -3 }))).toBeNull();
    expect(observeTick(evidence({ load: Number.NaN }))).toBeNull();
    expect(observeTick(evidence({ load: 900, loadAt: T0 - 600_001 }))).toBeNull();
    expect(observeTick(evidence({ load: 900, lastObservedAt: T0 }))).toBeNull();
    expect(observeTick(evidence({ load: 900, lastObservedAt: T0 + TICK }))).toBeNull();
  });

  it('speaks for the time since the last observation, at most one planning interval (missed ticks are not guessed)', () => {
    expect(observeTick(evidence({ lastObservedAt: T0 - 5_000 }))?.minutes).toBeCloseTo(5 / 60, 12);
    expect(observeTick(evidence({ load: 900, lastObservedAt: T0 - 3_600_000 }))).toEqual({ at: T0, minutes: 0.25, shortMinutes: 0.25 });
  });

  it('short ticks tighten the sizing, and a replayed tick counts once', () => {
    const config = targetBudgetConfig(target({ underProvisionedBudget: 0.001 }));
    let state = initialBudgetState(config, T0 - TICK);
    const multipliers: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = T0 + i * TICK;
      const observation = observeTick(evidence({ at, load: 900, loadAt: at, lastObservedAt: state.lastAt }))!;
      state = observe(state, config, observation);
      // The same tick again (a retried job): no observation, and the controller ignores it even if fed.
      expect(observeTick(evidence({ at, load: 900, loadAt: at, lastObservedAt: state.lastAt }))).toBeNull();
      expect(observe(state, config, observation)).toBe(state);
      multipliers.push(headroomFor(state, config, { at }).multiplier);
    }
    for (let i = 1; i < multipliers.length; i++) expect(multipliers[i]).toBeGreaterThan(multipliers[i - 1]!);
    expect(multipliers[0]).toBeGreaterThan(1);
    const report = budgetReport(state, config, T0 + 8 * TICK);
    expect(report.spentMinutes).toBe(2);
    expect(report.observedMinutes).toBe(2);
    expect(decisionBudget(report)).toEqual({ budget: 0.001, windowMs: 7 * 86_400_000, spent: 1, left: -0.999 });
  });

  it('on the NASA trace with 5 Ready replicas, spends exactly the minutes the load ran above their capacity', () => {
    const trace = loadTrace(join(REPO_ROOT, 'data', 'traces', 'nasa_http_jul1995_5min.csv'));
    const capacityPerReplica = 40;
    const ready = 5;
    const cfg = targetBudgetConfig(target({ capacityPerReplica, underProvisionedBudget: 0.01, budgetWindow: '2d' }));
    const from = trace.times[0]!;
    const to = from + 2 * 86_400_000;
    let state = initialBudgetState(cfg, from);
    let expectedShort = 0;
    for (let at = from + TICK; at < to; at += TICK) {
      // The live load a tick reads: the trace step holding it (the collect job writes it at the step's start).
      const i = Math.min(trace.values.length - 1, Math.floor((at - from) / trace.stepMs));
      const load = trace.values[i]!;
      if (load > ready * capacityPerReplica) expectedShort += 0.25;
      const o = observeTick({ at, load, loadAt: trace.times[i]!, readyReplicas: ready, capacityPerReplica, maxLiveAgeMs: 600_000, planIntervalMs: TICK, lastObservedAt: state.lastAt });
      state = observe(state, cfg, o!);
    }
    const report = budgetReport(state, cfg, to);
    // The trace has busy hours above 200 per 5 minutes and quiet nights below: some short, most not.
    expect(expectedShort).toBeGreaterThan(60);
    expect(expectedShort).toBeLessThan(0.9 * report.observedMinutes);
    expect(report.spentMinutes).toBeCloseTo(expectedShort, 6);
    expect(report.spentShare).toBeCloseTo(expectedShort / report.observedMinutes, 5);
    // Far over a 1% budget: the controller sits at its upper bound.
    expect(headroomFor(state, cfg, { at: to }).multiplier).toBeGreaterThan(1.5);
  });

  it('status: the budget and what it spent, or the quantile that overrides it', () => {
    const budgeted = target({ underProvisionedBudget: 0.002, budgetWindow: '1d' });
    expect(budgetStatus(budgeted, null, T0)).toMatchObject({ control: 'budget', budget: 0.002, windowMs: 86_400_000, spent: 0, left: 0.002, multiplier: 1, quantile: 98, lastObservedAt: null });
    const config = targetBudgetConfig(budgeted);
    const state = observe(initialBudgetState(config, T0), config, { at: T0 + 60_000, short: true });
    const after = budgetStatus(budgeted, state, T0 + 3_600_000);
    expect(after).toMatchObject({ control: 'budget', spent: 1, spentMinutes: 1, observedMinutes: 1, lastObservedAt: T0 + 60_000 });
    expect(after.control === 'budget' && after.multiplier).toBeGreaterThan(1);
    expect(budgetStatus(target({ quantile: 90 }), state, T0)).toEqual({ control: 'quantile', quantile: 90, reason: expect.stringContaining('targets[].quantile is set') });
  });
});
