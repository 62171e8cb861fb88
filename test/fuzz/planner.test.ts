/**
 * Fuzzing the planner (scaling/planner.ts planTick) with random ticks: live load that is missing, NaN,
 * infinite, negative, huge or stale; forecasts of any length with NaN, negative or exploding values;
 * calendar effects of every kind; carried state with random recent changes; both loops. Properties:
 *   - desired replicas are an integer within [minReplicas, maxReplicas];
 *   - never below what live load needs now (ceil(load x 1.05 / capacity), computed here) unless max caps it,
 *     also when the scale-up step limit (HPA semantics, counting Prescale's recent scale-ups in the state)
 *     allows less: e.g. after the workload was scaled down outside Prescale (current below a recent change's
 *     `to`), where the limit comes out at the current replicas;
 *   - with live load unknown, and in the reactive loop, never below the current replicas (unless above max);
 *   - the same input gives the same output, the input is not changed, and the carried state survives a
 *     JSON round trip (it is kept in Redis as JSON): no NaN or infinite number in it.
 * Left out: planner options other than the defaults (the service runs the defaults).
 */
import { afterAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { targetSchema } from '../../src/config/schema.js';
import type { Forecast } from '../../src/forecasting/forecaster.js';
import type { CalendarEffect } from '../../src/scaling/calendar-types.js';
import type { TargetScalingState, TickInput } from '../../src/scaling/engine.js';
import { DEFAULT_PLANNER, planTick } from '../../src/scaling/planner.js';
import { scaleUpLimit } from '../../src/scaling/policy.js';
import { fuzzCounter, fuzzParams } from './fuzz-settings.js';

const NOW = Date.UTC(2026, 2, 29, 1, 30);

/** A metric value as a broken exporter might send it. */
const metric = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 0, max, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, -0, 1e300, Number.MIN_VALUE) },
    { weight: 1, arbitrary: fc.double({ min: -max, max: 0, noNaN: true }) },
  );

const targetArb = fc
  .record({
    capacityPerReplica: fc.oneof(fc.double({ min: 0.01, max: 10_000, noNaN: true }), fc.constantFrom(1, 100, 1e-6, 1e9)),
    minReplicas: fc.integer({ min: 0, max: 30 }),
    extra: fc.integer({ min: 0, max: 300 }),
    quantile: fc.integer({ min: 50, max: 99 }),
    targetUtilization: fc.double({ min: 0.05, max: 1, noNaN: true }),
    forecastOnly: fc.boolean(),
  })
  .map(({ extra, ...t }) =>
    targetSchema.parse({ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, ...t, maxReplicas: Math.max(1, t.minReplicas + extra) }),
  );

const forecastArb: fc.Arbitrary<Forecast | null> = fc.option(
  fc
    .record({
      stepMs: fc.constantFrom(15_000, 60_000, 300_000, 3_600_000),
      offsetSteps: fc.integer({ min: -5, max: 40 }),
      values: fc.array(metric(50_000), { minLength: 0, maxLength: 60 }),
      spread: fc.double({ min: 0, max: 2, noNaN: true }),
      broken: fc.boolean(),
    })
    .map(({ stepMs, offsetSteps, values, spread, broken }) => ({
      startMs: NOW - offsetSteps * stepMs,
      stepMs,
      mean: values,
      intervals: [80, 95].map((level) => ({
        level,
        lower: values.map((v) => (broken ? Number.NaN : v * (1 - spread * (level / 200)))),
        upper: values.map((v) => (broken ? -v : v * (1 + spread * (level / 100)))),
      })),
      model: 'fuzz',
      notes: [],
    })),
  { freq: 5 },
);

const effectArb: fc.Arbitrary<CalendarEffect> = fc
  .record({
    entryId: fc.constantFrom('a', 'b', 'c', 'sale', 'freeze'),
    kind: fc.constantFrom('floor', 'ceiling', 'absolute', 'relative'),
    replicas: fc.option(fc.integer({ min: -50, max: 1_000 }), { nil: undefined }),
    percent: fc.option(fc.double({ min: -100, max: 1_000, noNaN: true }), { nil: undefined }),
    priority: fc.integer({ min: -3, max: 3 }),
  })
  .map((e) => {
    const effect: CalendarEffect = { entryId: e.entryId, kind: e.kind, priority: e.priority };
    if (e.kind === 'relative') {
      if (e.replicas !== undefined) effect.replicas = e.replicas;
      if (e.percent !== undefined || e.replicas === undefined) effect.percent = e.percent ?? 10;
    } else effect.replicas = Math.max(0, e.replicas ?? 5);
    return effect;
  });

const stateArb: fc.Arbitrary<TargetScalingState | null> = fc.option(
  fc.record({
    mode: fc.constantFrom('learning', 'predictive', 'reactive', 'forecast-only'),
    recommendations: fc.array(fc.record({ time: fc.integer({ min: NOW - 600_000, max: NOW }), replicas: fc.integer({ min: 0, max: 400 }) }), { maxLength: 8 }),
    changes: fc.array(fc.record({ time: fc.integer({ min: NOW - 600_000, max: NOW }), from: fc.integer({ min: 0, max: 400 }), to: fc.integer({ min: 0, max: 400 }) }), { maxLength: 8 }),
    reactiveUntil: fc.option(fc.integer({ min: NOW - 600_000, max: NOW + 600_000 })),
    calibration: fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 20 }),
    planned: fc.array(fc.record({ time: fc.integer({ min: NOW - 900_000, max: NOW }), load: fc.double({ min: 0, max: 50_000, noNaN: true }) }), { maxLength: 6 }).map((p) => p.sort((a, b) => a.time - b.time)),
    level: fc.option(fc.record({ ratio: fc.double({ min: 0.5, max: 2, noNaN: true }), at: fc.integer({ min: NOW - 7_200_000, max: NOW + 60_000 }) }), { nil: undefined }),
  }).map((s) => {
    const { level, ...rest } = s;
    return (level ? { ...rest, level } : rest) as TargetScalingState;
  }),
);

const tickArb: fc.Arbitrary<TickInput> = fc
  .record({
    target: targetArb,
    desiredReplicas: fc.integer({ min: -2, max: 400 }),
    readyDelta: fc.integer({ min: -400, max: 5 }),
    forecast: forecastArb,
    // Load in replicas' worth (times the capacity below), so the live need falls inside [min, max] often.
    load: fc.option(metric(400), { freq: 6 }),
    cpu: fc.option(metric(3), { nil: undefined }),
    memory: fc.option(metric(3), { nil: undefined }),
    sloBreached: fc.option(fc.boolean(), { nil: undefined }),
    liveAgeMs: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: -3_600_000, max: 7_200_000 })),
    calendar: fc.array(effectArb, { maxLength: 4 }),
    model: fc.record({
      model: fc.option(fc.constantFrom('ets(A,Ad,A)[288]', 'lstm', 'snaive[288]')),
      trainedAt: fc.option(fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 3_600_000 })),
      historyDays: fc.double({ min: 0, max: 60, noNaN: true }),
      requiredHistoryDays: fc.integer({ min: 1, max: 14 }),
      backtestMase: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }),
      naiveMase: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }),
    }),
    podLeadMs: fc.integer({ min: 0, max: 900_000 }),
    planIntervalMs: fc.option(fc.integer({ min: 1_000, max: 300_000 }), { nil: undefined }),
    nodeLeadMs: fc.option(fc.integer({ min: 0, max: 900_000 }), { nil: undefined }),
    recentPeakLoad: fc.option(metric(100_000), { nil: undefined }),
    state: stateArb,
    // Prescale scaled up within the last period, then someone scaled the workload down outside it: the state's
    // last change ends above the replicas running now.
    scaledDownOutside: fc.option(fc.record({ agoMs: fc.integer({ min: 0, max: 14_999 }), above: fc.integer({ min: 1, max: 200 }), added: fc.integer({ min: 1, max: 200 }) }), { freq: 3 }),
    loop: fc.constantFrom('plan', 'reactive'),
  })
  .map((r) => {
    if (r.scaledDownOutside) {
      const { agoMs, above, added } = r.scaledDownOutside;
      const to = Math.max(0, r.desiredReplicas) + above;
      const state = r.state ?? { mode: 'predictive', recommendations: [], changes: [], reactiveUntil: null };
      r.state = { ...state, changes: [...state.changes, { time: NOW - agoMs, from: Math.max(0, to - added), to }] };
    }
    const model = Object.fromEntries(Object.entries(r.model).filter(([, v]) => v !== undefined)) as unknown as TickInput['model'];
    const input: TickInput = {
      now: NOW,
      target: r.target,
      workload: { desiredReplicas: r.desiredReplicas, readyReplicas: Math.max(0, r.desiredReplicas + r.readyDelta), rolloutInProgress: false },
      forecast: r.forecast,
      live: {
        load: r.load === null || !Number.isFinite(r.load) || r.load === 0 ? r.load : r.load * r.target.capacityPerReplica,
        at: NOW - r.liveAgeMs,
        ...(r.cpu !== undefined ? { cpuUtilization: r.cpu } : {}),
        ...(r.memory !== undefined ? { memoryUtilization: r.memory } : {}),
        ...(r.sloBreached !== undefined ? { sloBreached: r.sloBreached } : {}),
      },
      calendar: r.calendar,
      model,
      podLeadMs: r.podLeadMs,
      state: r.state,
      loop: r.loop,
      ...(r.planIntervalMs !== undefined ? { planIntervalMs: r.planIntervalMs } : {}),
      ...(r.nodeLeadMs !== undefined ? { nodeLeadMs: r.nodeLeadMs } : {}),
      ...(r.recentPeakLoad !== undefined ? { recentPeakLoad: r.recentPeakLoad } : {}),
    };
    return input;
  });

/** What live load needs now, from the planner's documented rule (not its code): null when load is unknown. */
function liveNeedOf(input: TickInput): number | null {
  const load = input.live.load;
  if (load === null || !Number.isFinite(load) || input.now - input.live.at > DEFAULT_PLANNER.maxLiveAgeMs) return null;
  if (load <= 0) return 0;
  return Math.max(0, Math.ceil((load * (1 + DEFAULT_PLANNER.liveMargin)) / input.target.capacityPerReplica - 1e-9));
}

/** Paths of numbers in a JSON-like value that are NaN or infinite (JSON.stringify writes them as null). */
function nonFiniteNumbers(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path}: ${value}`];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, `${path}.${k}`));
  return [];
}

describe('fuzz: planner', () => {
  const counter = fuzzCounter('plannerTicks');
  // The generator must reach the cases the properties are about, or they would hold vacuously.
  const reached = { liveNeedDecides: 0, needAboveStepLimit: 0, externalScaleDown: 0, unknownLoad: 0 };
  afterAll(() => {
    console.log('fuzz plannerTicks cases reached:', reached);
    expect(reached.liveNeedDecides).toBeGreaterThan(20);
    expect(reached.needAboveStepLimit).toBeGreaterThan(20);
    expect(reached.externalScaleDown).toBeGreaterThan(20);
    expect(reached.unknownLoad).toBeGreaterThan(100);
  });

  test.prop([tickArb], fuzzParams('plannerTicks'))('bounded, never below live need or current when it must not, deterministic', (input) => {
    const before = structuredClone(input);
    const result = planTick(input);
    const again = planTick(structuredClone(before));
    expect(input).toEqual(before);
    expect(again).toEqual(result);

    const { minReplicas, maxReplicas } = input.target;
    const desired = result.desiredReplicas;
    expect(Number.isInteger(desired)).toBe(true);
    expect(desired).toBeGreaterThanOrEqual(minReplicas);
    expect(desired).toBeLessThanOrEqual(maxReplicas);
    expect(result.decision.desiredReplicas).toBe(desired);

    const current = Math.max(0, Math.round(input.workload.desiredReplicas));
    const need = liveNeedOf(input);
    // Never below the live need (up to max), whatever the scale-up step limit allows.
    expect(desired, `desired below live need ${need}: ${result.decision.rule}`).toBeGreaterThanOrEqual(Math.min(need ?? 0, maxReplicas));
    const changes = input.state?.changes ?? [];
    const limit = scaleUpLimit(current, changes, input.now, DEFAULT_PLANNER.policy.scaleUp);
    if (need !== null && need > 0 && desired === Math.min(need, maxReplicas)) reached.liveNeedDecides++;
    if (need !== null && limit < Math.min(need, maxReplicas)) {
      reached.needAboveStepLimit++;
      // Scaled down outside Prescale after its own recent scale-up: the step limit holds the current replicas.
      const recentUp = changes.some((c) => c.time > input.now - 15_000 && c.to > c.from && c.to > current);
      if (recentUp && limit === Math.max(current, 1)) reached.externalScaleDown++;
    }
    if (need === null) reached.unknownLoad++;
    // Unknown live load, or the reactive loop: no scale-in.
    const noScaleIn = need === null || input.loop === 'reactive' ? Math.min(current, maxReplicas) : 0;
    expect(desired, result.decision.rule).toBeGreaterThanOrEqual(noScaleIn);

    expect(nonFiniteNumbers(result.state), 'state numbers that JSON would turn into null').toEqual([]);
    expect(Number.isInteger(result.replicasAhead) && result.replicasAhead! >= desired).toBe(true);
    counter.hit();
  });
});
