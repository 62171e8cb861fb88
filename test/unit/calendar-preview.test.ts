/**
 * The calendar preview core against a known forecast: numbers worked out by hand from the capacity rules, and
 * each point checked against the planner's own planTick with the live-load stages neutralised (no live load,
 * current replicas 0, step limits wide open), so the preview and the planner cannot drift apart silently.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Forecast } from '../../src/forecasting/forecaster.js';
import { calendarEffectsForTick, parseCalendarEntry } from '../../src/scaling/calendar.js';
import { previewCalendarEntry } from '../../src/scaling/calendar-preview.js';
import { planTick, plannerOptions } from '../../src/scaling/planner.js';
import { errorBudgetConfig, headroomFor, initialBudgetState, observe } from '../../src/scaling/error-budget.js';

const T0 = Date.UTC(2026, 10, 27, 12);
const STEP = 300_000;
const config = parseConfig(
  { targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 10, quantile: 90, podStartup: '60s' }] },
  {},
);
const target = config.targets[0]!;
const mean = [200, 300, 400, 500, 400, 300];
// hi80 = mean x 1.2: the planning quantile P90 is exactly the 80% interval's upper bound.
const forecast: Forecast = {
  startMs: T0,
  stepMs: STEP,
  mean,
  intervals: [
    { level: 80, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.2) },
    { level: 95, lower: mean.map((m) => m * 0.7), upper: mean.map((m) => m * 1.3) },
  ],
  model: 'ets(A,N,N)',
  notes: [],
};
const floor = parseCalendarEntry({ id: 'sale', targets: ['shop/web'], effect: { kind: 'floor', replicas: 6 }, start: '2026-11-27T12:10', end: '2026-11-27T12:20' });
const base = { target, forecast, entries: [], entry: floor, from: T0, to: T0 + 7 * 86_400_000, podLeadMs: 60_000, planIntervalMs: 15_000, calibration: [], recentPeakLoad: null };

describe('calendar preview', () => {
  it('sizes each step like the planner and applies the entry only to "with"', () => {
    const result = previewCalendarEntry(base);
    // Without calibration the headroom is max(2%, 0.1 x the 80% half-width 0.2) = 2%:
    // ceil(hi80 x 1.02 / 100) = ceil([244.8, 367.2, 489.6, 612, 489.6, 367.2] / 100).
    expect(result.points.map((p) => p.without)).toEqual([3, 4, 5, 7, 5, 4]);
    // The floor of 6 holds 12:10-12:20; the tick at 12:05 does not see it yet (its window ends at 12:06:15).
    expect(result.points.map((p) => p.with)).toEqual([3, 4, 6, 7, 5, 4]);
    expect(result.points.map((p) => p.time)).toEqual(mean.map((_, i) => T0 + i * STEP));
    // The forecast ends at 12:30: the last tick whose 75 s window fits starts at 12:25.
    expect(result.coveredUntil).toBe(T0 + 6 * STEP);
  });

  it('agrees with planTick at every point when live load plays no part', () => {
    const wideOpen = plannerOptions({ policy: { scaleUp: { policies: [{ type: 'pods', value: 1_000, periodMs: 15_000 }], select: 'max', stabilizationMs: 0 } } });
    const entries = [parseCalendarEntry({ id: 'cap', targets: ['*'], effect: { kind: 'ceiling', replicas: 4 }, start: '2026-11-27T12:15', end: '2026-11-27T12:25' })];
    const result = previewCalendarEntry({ ...base, entries });
    expect(result.points).toHaveLength(6);
    for (const point of result.points) {
      const tick = (withEntry: boolean) =>
        planTick(
          {
            now: point.time,
            target,
            workload: { desiredReplicas: 0, readyReplicas: 0, rolloutInProgress: false },
            forecast,
            live: { load: null, at: point.time },
            calendar: calendarEffectsForTick(withEntry ? [...entries, floor] : entries, 'shop/web', point.time, 75_000),
            model: { model: 'ets(A,N,N)', trainedAt: T0 - 3_600_000, historyDays: 30, requiredHistoryDays: 14 },
            podLeadMs: 60_000,
            planIntervalMs: 15_000,
            state: null,
            loop: 'plan',
          },
          wideOpen,
        ).desiredReplicas;
      expect([point.without, point.with], `at ${new Date(point.time).toISOString()}`).toEqual([tick(false), tick(true)]);
    }
    // The ceiling of 4 (priority 0, id "cap") and the floor of 6 ("sale") meet at 12:15: the floor is
    // overridden by the higher-precedence bound ("cap" < "sale" by id), so 12:15 stays at the ceiling's 4.
    expect(result.points.map((p) => p.with)).toEqual([3, 4, 6, 4, 4, 4]);
  });

  it('sizes each step with the error budget\'s multiplier for its time, as planTick does with it', () => {
    const budgeted = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 10, podStartup: '60s', underProvisionedBudget: 0.01, budgetWindow: '1d' }] }, {}).targets[0]!;
    const budgetConfig = errorBudgetConfig({ budget: 0.01, windowMs: 86_400_000 });
    // Two hours short of capacity: the controller sits at its upper bound (x2).
    let state = initialBudgetState(budgetConfig, T0 - 3 * 3_600_000);
    for (let i = 1; i <= 120; i++) state = observe(state, budgetConfig, { at: T0 - 3 * 3_600_000 + i * 60_000, short: true });
    const result = previewCalendarEntry({ ...base, target: budgeted, budget: { state, config: budgetConfig } });
    const plain = previewCalendarEntry({ ...base, target: budgeted });
    expect(result.points).toHaveLength(6);
    for (const [i, point] of result.points.entries()) {
      const multiplier = headroomFor(state, budgetConfig, { at: point.time }).multiplier;
      expect(multiplier).toBeGreaterThan(1.5);
      const tick = planTick({
        now: point.time,
        target: budgeted,
        workload: { desiredReplicas: 0, readyReplicas: 0, rolloutInProgress: false },
        forecast,
        live: { load: null, at: point.time },
        calendar: [],
        model: { model: 'ets(A,N,N)', trainedAt: T0 - 3_600_000, historyDays: 30, requiredHistoryDays: 14 },
        podLeadMs: 60_000,
        planIntervalMs: 15_000,
        state: null,
        loop: 'plan',
        budget: { multiplier },
      }, plannerOptions({ policy: { scaleUp: { policies: [{ type: 'pods', value: 1_000, periodMs: 15_000 }], select: 'max', stabilizationMs: 0 } } }));
      expect(point.without).toBe(tick.desiredReplicas);
      expect(point.without).toBeGreaterThan(plain.points[i]!.without);
    }
  });

  it('leaves out a stored entry with the previewed id on both sides (previewing an edit)', () => {
    const stored = parseCalendarEntry({ ...floor, effect: { kind: 'floor', replicas: 9 } });
    const result = previewCalendarEntry({ ...base, entries: [stored] });
    expect(result.points.map((p) => p.without)).toEqual([3, 4, 5, 7, 5, 4]);
    expect(result.points.map((p) => p.with)).toEqual([3, 4, 6, 7, 5, 4]);
  });

  it('caps an exploding forecast at 3 x the recent peak, bounds by max, and says when there is no forecast', () => {
    const capped = previewCalendarEntry({ ...base, recentPeakLoad: 100 });
    // 3 x 100 = 300 load units: ceil(300 x 1.02 / 100) = 4 wherever hi80 is above 300.
    expect(capped.points.map((p) => p.without)).toEqual([3, 4, 4, 4, 4, 4]);
    const huge = previewCalendarEntry({ ...base, entry: parseCalendarEntry({ ...floor, effect: { kind: 'floor', replicas: 50 } }) });
    expect(huge.points.map((p) => p.with)).toEqual([3, 4, 10, 10, 5, 4]);
    expect(previewCalendarEntry({ ...base, forecast: null })).toEqual({ coveredUntil: null, points: [] });
    // A forecast that ended before `from` covers nothing: coveredUntil is `from`.
    expect(previewCalendarEntry({ ...base, from: T0 + 86_400_000, to: T0 + 2 * 86_400_000 })).toEqual({ coveredUntil: T0 + 86_400_000, points: [] });
  });
});
