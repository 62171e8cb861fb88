import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import { budgetReport, errorBudgetConfig, headroomFor, initialBudgetState, observe, type ErrorBudgetState } from '../../src/scaling/error-budget.js';
import { planTick } from '../../src/scaling/planner.js';
import { loadTrace } from '../../src/simulator/trace.js';
import { baseInput } from '../support/scaling-fixtures.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2);

describe('error budget controller', () => {
  it('tightens under a stream of misses, up to its bound and never past it', () => {
    const config = errorBudgetConfig({ budget: 0.001 });
    let state = initialBudgetState(config, T0);
    const logs: number[] = [];
    const seen: number[] = [];
    for (let i = 1; i <= 240; i++) {
      state = observe(state, config, { at: T0 + i * MIN, short: true });
      logs.push(state.log);
      seen.push(headroomFor(state, config, { at: T0 + i * MIN }).multiplier);
    }
    expect(seen[0]).toBeGreaterThan(1);
    for (let i = 1; i < logs.length; i++) expect(logs[i]).toBeGreaterThanOrEqual(logs[i - 1]!);
    // The global term sits at the bound; the time-of-day term may lower the hour it is in, never raise it past.
    expect(logs.at(-1)).toBeCloseTo(Math.log(config.maxMultiplier), 9);
    expect(Math.max(...seen)).toBe(config.maxMultiplier);
  });

  it('steps steadily at a tiny budget: a 2-minute miss raises the multiplier by a few percent, not a fifth', () => {
    // Azure at 0.02% (bench:frontier): a step of 0.099 per short minute (+22% after each 2-minute miss) cost
    // 16,421 replica-hours for 8 short minutes; the default step of 0.02 (+4%) 16,031 for the same 8.
    const config = errorBudgetConfig({ budget: 0.0002 });
    expect(config.gain).toBeCloseTo(0.02, 9);
    let state = initialBudgetState(config, T0);
    for (let i = 1; i <= 2; i++) state = observe(state, config, { at: T0 + i * MIN, short: true });
    const after = headroomFor(state, config, { at: T0 + 2 * MIN }).multiplier;
    expect(after).toBeGreaterThan(1.03);
    expect(after).toBeLessThan(1.05);
    // Tiny budgets still step harder than the floor: 0.001% relaxes 0.03 per window of clean minutes.
    expect(errorBudgetConfig({ budget: 0.00001 }).gain).toBeCloseTo(0.03 / (0.00001 * 7 * 24 * 60), 9);
  });

  it('relaxes when no minute is short, down to its bound and never past it', () => {
    const config = errorBudgetConfig({ budget: 0.001, relaxPerWindow: 0.5 });
    let state = initialBudgetState(config, T0);
    const logs: number[] = [];
    const seen: number[] = [];
    for (let i = 1; i <= 14 * 24 * 60; i++) {
      state = observe(state, config, { at: T0 + i * MIN, short: false });
      if (i % 60 === 0) {
        logs.push(state.log);
        seen.push(headroomFor(state, config, { at: T0 + i * MIN }).multiplier);
      }
    }
    expect(seen[0]).toBeLessThan(1);
    for (let i = 1; i < logs.length; i++) expect(logs[i]).toBeLessThanOrEqual(logs[i - 1]!);
    // One window of clean minutes relaxes ln(m) by relaxPerWindow (0.5): two windows pass 0.5, where it stops.
    expect(seen.at(-1)).toBe(config.minMultiplier);
    expect(Math.min(...seen)).toBe(config.minMultiplier);
  });

  it('spends the budget on a real trace: short share near the budget where a fixed multiplier is far off', () => {
    // Plant: capacity = multiplier x the mean demand of the hour before the last step (a persistence
    // forecast one step late), NASA HTTP, 5-minute steps.
    const trace = loadTrace(join(REPO_ROOT, 'data', 'traces', 'nasa_http_jul1995_5min.csv'));
    const perDay = DAY / trace.stepMs;
    const forecast = (i: number) => trace.values.slice(i - 13, i - 1).reduce((a, b) => a + b, 0) / 12;
    const stepMinutes = trace.stepMs / MIN;
    const run = (budget: number, adapt: boolean) => {
      const config = errorBudgetConfig({ budget, minMultiplier: 0.5, maxMultiplier: 4 });
      let state: ErrorBudgetState = initialBudgetState(config, trace.times[perDay]!);
      let short = 0;
      let minutes = 0;
      for (let i = perDay + 1; i < trace.values.length; i++) {
        const multiplier = adapt ? headroomFor(state, config, { at: trace.times[i]! }).multiplier : 1;
        const miss = trace.values[i]! > multiplier * forecast(i);
        if (i > 3 * perDay) {
          minutes += stepMinutes;
          if (miss) short += stepMinutes;
        }
        state = observe(state, config, { at: trace.times[i]! + trace.stepMs, minutes: stepMinutes, shortMinutes: miss ? stepMinutes : 0 });
      }
      return short / minutes;
    };
    const fixed = run(0.01, false);
    expect(fixed).toBeGreaterThan(0.1);
    for (const budget of [0.001, 0.01]) {
      const share = run(budget, true);
      expect(share).toBeGreaterThan(budget * 0.6);
      expect(share).toBeLessThan(budget * 1.5);
    }
  });

  it('learns the time of day misses cluster at (when asked to)', () => {
    const config = errorBudgetConfig({ budget: 0.001, patternGain: 0.5 });
    let state = initialBudgetState(config, T0);
    for (let i = 1; i <= 7 * 24 * 60; i++) {
      const at = T0 + i * MIN;
      const hour = new Date(at - 1).getUTCHours();
      state = observe(state, config, { at, short: hour === 9 && i % 60 === 30 });
    }
    const at9 = headroomFor(state, config, { at: T0 + 8 * DAY + 9.5 * 3_600_000 });
    const at15 = headroomFor(state, config, { at: T0 + 8 * DAY + 15.5 * 3_600_000 });
    expect(at9.patternLog).toBeGreaterThan(0);
    expect(at9.multiplier).toBeGreaterThan(at15.multiplier * 1.02);
    const off = errorBudgetConfig({ budget: 0.001, patternGain: 0 });
    expect(headroomFor(state, off, { at: T0 + 8 * DAY + 9.5 * 3_600_000 }).multiplier).toBe(headroomFor(state, off, { at: T0 + 8 * DAY + 15.5 * 3_600_000 }).multiplier);
  });

  it('reports spent and left over the window, and its state survives JSON', () => {
    const config = errorBudgetConfig({ budget: 0.001 });
    let state = initialBudgetState(config, T0);
    for (let i = 1; i <= 2 * 24 * 60; i++) state = observe(state, config, { at: T0 + i * MIN, short: i % 600 === 0 });
    const report = budgetReport(state, config, T0 + 2 * DAY);
    expect(report).toMatchObject({ budget: 0.001, windowMs: 7 * DAY, observedMinutes: 2880, spentMinutes: 4, allowedMinutes: 10.08, leftMinutes: 6.08 });
    expect(report.spentFraction).toBeCloseTo(4 / 10.08, 5);
    expect(report.paceRatio).toBeCloseTo(4 / 2.88, 5);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    // A replayed (not newer) observation counts once.
    expect(observe(state, config, { at: T0 + MIN, short: true })).toBe(state);
    // Eight days on, the first two days have left the window.
    expect(budgetReport(state, config, T0 + 10 * DAY).spentMinutes).toBe(0);
  });

  it('names the field of a bad value', () => {
    expect(() => errorBudgetConfig({ budget: 0 })).toThrow(/underProvisionedBudget: expected a share/);
    expect(() => errorBudgetConfig({ budget: 0.001, minMultiplier: 2, maxMultiplier: 1 })).toThrow(/underProvisionedBudget\.maxMultiplier/);
    const config = errorBudgetConfig({ budget: 0.001 });
    expect(() => observe(initialBudgetState(config, T0), config, { at: T0 + MIN, minutes: 1, shortMinutes: 2 })).toThrow(/observation\.shortMinutes/);
  });

  it('scales the load the planner sizes for by its multiplier', () => {
    const plain = planTick(baseInput());
    const tighter = planTick(baseInput({ budget: { multiplier: 1.5 } }));
    const looser = planTick(baseInput({ budget: { multiplier: 0.7 } }));
    // P90 440 + 2% headroom: 4.49 -> 5 replicas; x1.5: 6.73 -> 7; x0.7: 3.14 -> 4, and the live floor's 5% margin
    // (400 x 1.05 = 4.2 -> 5) shrinks with it to none (400 -> 4).
    expect(plain.desiredReplicas).toBe(5);
    expect(tighter.desiredReplicas).toBe(7);
    expect(tighter.decision.inputs.budgetMultiplier).toBe(1.5);
    expect(tighter.decision.rule).toContain('x1.50 error budget');
    expect(looser.decision.inputs.forecastReplicas).toBe(4);
    expect(looser.decision.inputs.liveNeed).toBe(4);
    expect(looser.desiredReplicas).toBe(4);
    // Saturated (load 900 on 5 ready): the reactive formula's 80% target is headroom too, x2 sizes at 40%.
    const saturated = { live: { load: 900, at: baseInput().now } };
    expect(planTick(baseInput(saturated)).decision.inputs.breachReplicas).toBe(12);
    expect(planTick(baseInput({ ...saturated, budget: { multiplier: 2 } })).decision.inputs.breachReplicas).toBe(23);
  });
});
