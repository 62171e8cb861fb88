import { describe, expect, it } from 'vitest';
import type { TickInput, TickResult } from '../../src/scaling/engine.js';
import { createPlanner, planTick } from '../../src/scaling/planner.js';
import { DEFAULT_POLICY } from '../../src/scaling/policy.js';
import { baseInput, makeTarget, syntheticForecast } from '../support/scaling-fixtures.js';

const MIN = 60_000;

/** Runs ticks one minute apart, carrying state and treating desired replicas as Ready at once. */
function run(inputs: ((i: number, previous: TickResult | null) => Partial<TickInput>)[], plan = planTick): TickResult[] {
  const results: TickResult[] = [];
  let previous: TickResult | null = null;
  let replicas = 5;
  const t0 = baseInput().now;
  inputs.forEach((change, i) => {
    const input = baseInput({
      now: t0 + i * MIN,
      workload: { desiredReplicas: replicas, readyReplicas: replicas, rolloutInProgress: false },
      state: previous?.state ?? null,
      ...change(i, previous),
    });
    previous = plan(input);
    replicas = previous.desiredReplicas;
    results.push(previous);
  });
  return results;
}

describe('planTick, synthetic cases', () => {
  it('sizes for the forecast quantile over the lead window with headroom from the interval width', () => {
    const r = planTick(baseInput());
    // P90 = 400 + 40 (the 80% bound); headroom = max(2%, 0.1 x 10%) = 2%; 448.8 / 100 -> 5.
    expect(r.desiredReplicas).toBe(5);
    expect(r.decision.mode).toBe('predictive');
    expect(r.decision.rule).toBe('forecast P90 440 over 150s lead / 100 per replica + 2% headroom (interval width)');
    expect(r.decision.inputs).toMatchObject({ forecastPeakQuantile: 440, forecastPeakMean: 400, headroom: 0.02, liveLoad: 400, podLeadS: 90, windowS: 150, quantile: 90 });
    expect(Object.values(r.decision.inputs).every(Number.isFinite)).toBe(true);
    expect(r.decision.target).toBe('default/web');
  });

  it('scales up before a rise that starts within the lead window, not for one beyond it', () => {
    const now = baseInput().now;
    const rising = syntheticForecast(now - MIN, MIN, 30, (i) => (i >= 3 ? 1000 : 400), 40);
    const r = planTick(baseInput({ forecast: rising, workload: { desiredReplicas: 10, readyReplicas: 10, rolloutInProgress: false } }));
    expect(r.desiredReplicas).toBe(11);
    expect(r.decision.rule).toMatch(/^forecast P90 1040 over 150s lead/);
    const later = syntheticForecast(now - MIN, MIN, 30, (i) => (i >= 5 ? 1000 : 400), 40);
    expect(planTick(baseInput({ forecast: later })).desiredReplicas).toBe(5);
  });

  it('sizes the step live metrics already show by live load, and the next step by its forecast once within the lead', () => {
    const STEP = 5 * MIN;
    const now = baseInput().now; // 12:00, a step boundary
    // The model guessed 1000 for the step that began at 12:00, 300 for 12:05, 900 for 12:10.
    const forecast = syntheticForecast(now, STEP, 12, (i) => [1000, 300, 900][i] ?? 300, 0);
    const at = (offsetMs: number, live: number) =>
      planTick(baseInput({ now: now + offsetMs, forecast, live: { load: live, at: now + offsetMs - 30_000 }, planIntervalMs: 15_000, target: makeTarget({ quantile: 98 }) }));
    // 12:01: live (sampled 12:00:30) shows the current step at 400; the 12:05 step is 4 min away, beyond
    // the lead (90 s + 15 s): live load sizes, the guess of 1000 for this step does not.
    const early = at(MIN, 400);
    expect(early.desiredReplicas).toBe(5);
    expect(early.decision.mode).toBe('predictive');
    expect(early.decision.inputs.sizingFromS).toBe(105); // the whole 105 s window lies in the observed step
    // 12:08:30: the 12:10 step (900) is within the lead: asked for now, before it begins.
    const ahead = at(8.5 * MIN, 300);
    expect(ahead.desiredReplicas).toBe(10);
    expect(ahead.decision.rule).toMatch(/^forecast P98 900/);
    // Before the first live sample of a step arrives (12:00:15, sample from 11:59:45), its forecast counts.
    const blind = at(15_000, 400);
    expect(blind.desiredReplicas).toBeGreaterThanOrEqual(10);
  });

  it('never sizes below what live load needs now', () => {
    const noIntervals = { ...syntheticForecast(baseInput().now - MIN, MIN, 30, 400), intervals: [] };
    const r = planTick(baseInput({ forecast: noIntervals, live: { load: 900, at: baseInput().now }, workload: { desiredReplicas: 15, readyReplicas: 15, rolloutInProgress: false } }));
    expect(r.desiredReplicas).toBe(10);
    expect(r.decision.rule).toBe('live load 900 needs 10 (+5%)');
    expect(r.decision.inputs.liveNeed).toBe(10);
  });

  it('a CPU breach scales up at once by the HPA formula and holds reactive mode until it calms down', () => {
    const results = run([
      () => ({ live: { load: 400, cpuUtilization: 0.93, at: baseInput().now } }),
      (i) => ({ live: { load: 400, cpuUtilization: 0.5, at: baseInput().now + i * MIN } }),
    ]);
    expect(results[0]!.desiredReplicas).toBe(6);
    expect(results[0]!.decision.rule).toBe('reactive: cpu 93% > 90%');
    expect(results[0]!.decision.mode).toBe('reactive');
    expect(results[0]!.state.reactiveUntil).toBe(baseInput().now + 300_000);
    expect(results[1]!.decision.mode).toBe('reactive');
    expect(results[1]!.decision.notes).toContain('reactive after a breach');
    // After the hold, the forecast is trusted again.
    const after = planTick(baseInput({ now: baseInput().now + 11 * MIN, state: results[1]!.state, forecast: syntheticForecast(baseInput().now + 10 * MIN, MIN, 30, 400, 40) }));
    expect(after.decision.mode).toBe('predictive');
  });

  it('load above the forecast 95% bound is a breach', () => {
    const r = planTick(baseInput({ live: { load: 700, at: baseInput().now }, workload: { desiredReplicas: 10, readyReplicas: 10, rolloutInProgress: false } }));
    expect(r.decision.rule).toBe('reactive: load 700 > forecast 95% bound 461');
    expect(r.desiredReplicas).toBe(10);
    expect(r.decision.mode).toBe('reactive');
  });

  it('synthetic: missing or NaN live load never scales in', () => {
    const low = syntheticForecast(baseInput().now - MIN, MIN, 30, 100, 10);
    for (const load of [null, NaN]) {
      const r = planTick(baseInput({ forecast: low, live: { load, at: baseInput().now } }));
      expect(r.desiredReplicas).toBe(5);
      expect(r.decision.rule).toBe('live load unknown: no scale-in below 5');
      expect(r.decision.notes).toMatch(load === null ? /live load unknown/ : /live load NaN treated as unknown/);
      expect(r.decision.inputs.liveLoad).toBeUndefined();
    }
    // It may still scale up on the forecast.
    const high = syntheticForecast(baseInput().now - MIN, MIN, 30, 800, 10);
    expect(planTick(baseInput({ forecast: high, live: { load: null, at: baseInput().now } })).desiredReplicas).toBe(9);
  });

  it('synthetic: stale live metrics count as unknown', () => {
    const low = syntheticForecast(baseInput().now - MIN, MIN, 30, 100, 10);
    const r = planTick(baseInput({ forecast: low, live: { load: 100, cpuUtilization: 2, at: baseInput().now - 11 * MIN } }));
    expect(r.desiredReplicas).toBe(5);
    expect(r.decision.notes).toContain('live metrics 660 s old treated as unknown');
    expect(r.decision.rule).toBe('live load unknown: no scale-in below 5');
  });

  it('synthetic: a negative live load is clamped to 0 and noted', () => {
    const r = planTick(baseInput({ live: { load: -50, at: baseInput().now } }));
    expect(r.decision.notes).toContain('negative live load -50 clamped to 0');
    expect(r.decision.inputs.liveLoad).toBe(0);
    expect(r.desiredReplicas).toBe(5);
  });

  it('synthetic: a forecast that explodes is capped at a multiple of the recent peak', () => {
    const exploding = syntheticForecast(baseInput().now - MIN, MIN, 30, 1e9, 1e8);
    const r = planTick(baseInput({ forecast: exploding, recentPeakLoad: 500, workload: { desiredReplicas: 20, readyReplicas: 20, rolloutInProgress: false } }));
    expect(r.decision.inputs.forecastPeakQuantile).toBe(1500);
    expect(r.decision.inputs.forecastCapped).toBe(1);
    expect(r.decision.notes).toContain('capped at 3 x recent peak 500');
    expect(r.desiredReplicas).toBeLessThanOrEqual(17);
    // Without a recent peak, live load is the reference.
    expect(planTick(baseInput({ forecast: exploding })).decision.inputs.forecastPeakQuantile).toBe(1200);
  });

  it('synthetic: a calendar floor above max: max wins, with an alert and a note', () => {
    const r = planTick(baseInput({ calendar: [{ entryId: 'sale', kind: 'floor', replicas: 80, priority: 0 }], workload: { desiredReplicas: 45, readyReplicas: 45, rolloutInProgress: false } }));
    expect(r.desiredReplicas).toBe(50);
    expect(r.decision.rule).toBe('max 50 (wanted 80)');
    expect(r.decision.notes).toContain('calendar floor 80 is above maxReplicas 50: max wins');
    expect(r.decision.inputs.alertAboveMax).toBe(1);
  });

  it('synthetic: a calendar ceiling below min: min wins, noted', () => {
    const zero = syntheticForecast(baseInput().now - MIN, MIN, 30, 0, 0);
    const r = planTick(baseInput({ forecast: zero, live: { load: 0, at: baseInput().now }, target: makeTarget({ minReplicas: 3 }), calendar: [{ entryId: 'night', kind: 'absolute', replicas: 0, priority: 0 }], workload: { desiredReplicas: 3, readyReplicas: 3, rolloutInProgress: false } }));
    expect(r.desiredReplicas).toBe(3);
    expect(r.decision.rule).toBe('min 3');
    expect(r.decision.notes).toContain('calendar ceiling 0 is below minReplicas 3: min wins');
  });

  it('a calendar floor decides when it is the binding rule; a ceiling never goes below live need', () => {
    const floor = planTick(baseInput({ calendar: [{ entryId: 'sale', kind: 'floor', replicas: 20, priority: 0 }], workload: { desiredReplicas: 15, readyReplicas: 15, rolloutInProgress: false } }));
    expect(floor.desiredReplicas).toBe(20);
    expect(floor.decision.rule).toBe('calendar floor 20 (sale)');
    expect(floor.decision.inputs.calendarFloor).toBe(20);
    const ceiling = planTick(baseInput({ calendar: [{ entryId: 'cap', kind: 'ceiling', replicas: 2, priority: 0 }] }));
    expect(ceiling.desiredReplicas).toBe(5);
    expect(ceiling.decision.notes).toContain('calendar ceiling 2 (cap) is below the live need 5: live load wins');
  });

  it('a forecast above max: honour-max clamps, the buffer policy allows a bounded excess; both alert', () => {
    const big = syntheticForecast(baseInput().now - MIN, MIN, 30, 6000, 100);
    const state = { desiredReplicas: 48, readyReplicas: 48, rolloutInProgress: false };
    const honour = planTick(baseInput({ forecast: big, workload: state, recentPeakLoad: 6000 }));
    expect(honour.desiredReplicas).toBe(50);
    expect(honour.decision.inputs.alertAboveMax).toBe(1);
    const buffered = createPlanner({ policy: { overMax: { mode: 'buffer', bufferReplicas: 5, bufferPercent: 0 } } })(baseInput({ forecast: big, workload: state, recentPeakLoad: 6000 }));
    expect(buffered.desiredReplicas).toBe(55);
    expect(buffered.decision.rule).toBe('over max: 63 wanted, max 50 + buffer 5');
    expect(buffered.decision.inputs.wantedAboveMax).toBe(13);
  });

  it('min replicas win over a forecast of nothing', () => {
    const zero = syntheticForecast(baseInput().now - MIN, MIN, 30, 0, 0);
    const r = planTick(baseInput({ forecast: zero, live: { load: 0, at: baseInput().now }, target: makeTarget({ minReplicas: 2 }), workload: { desiredReplicas: 2, readyReplicas: 2, rolloutInProgress: false } }));
    expect(r.desiredReplicas).toBe(2);
    expect(r.decision.rule).toBe('min 2');
  });

  it('scale-down waits for the stabilisation window and the step limit, and needs live load to agree', () => {
    const t0 = baseInput().now;
    const high = (i: number) => syntheticForecast(t0 + (i - 1) * MIN, MIN, 30, 1000, 50);
    const low = (i: number) => syntheticForecast(t0 + (i - 1) * MIN, MIN, 30, 200, 10);
    const ticks = [
      (i: number) => ({ forecast: high(i), live: { load: 1000, at: t0 + i * MIN }, workload: { desiredReplicas: 11, readyReplicas: 11, rolloutInProgress: false } }),
      (i: number) => ({ forecast: low(i), live: { load: 200, at: t0 + i * MIN } }),
      (i: number) => ({ forecast: low(i), live: { load: 200, at: t0 + i * MIN } }),
      (i: number) => ({ forecast: low(i), live: { load: 200, at: t0 + i * MIN } }),
      (i: number) => ({ forecast: low(i), live: { load: 200, at: t0 + i * MIN } }),
    ];
    // Defaults: a 1-minute window (one planning tick), at most 50% fewer per minute.
    const results = run(ticks);
    expect(results.map((r) => r.desiredReplicas)).toEqual([11, 5, 3, 3, 3]);
    expect(results[1]!.decision.rule).toMatch(/^step limit -6; wanted 3 by forecast P90 210/);
    // A 2-minute window holds the high recommendation one tick longer.
    const slow = run(ticks, createPlanner({ policy: { scaleDown: { ...DEFAULT_POLICY.scaleDown, stabilizationMs: 120_000 } } }));
    expect(slow.map((r) => r.desiredReplicas)).toEqual([11, 11, 5, 3, 3]);
    expect(slow[1]!.decision.rule).toBe('scale-down stabilisation 120s holds 11; wanted 3 by forecast P90 210 over 150s lead / 100 per replica + 2% headroom (interval width)');
    // Live load still high: the forecast alone does not scale in.
    const lowNoBounds = { ...low(0), intervals: [] };
    const disagree = planTick(baseInput({ forecast: lowNoBounds, live: { load: 1000, at: t0 }, workload: { desiredReplicas: 11, readyReplicas: 11, rolloutInProgress: false } }));
    expect(disagree.desiredReplicas).toBe(11);
    expect(disagree.decision.rule).toBe('live load 1000 needs 11 (+5%)');
    expect(disagree.decision.inputs.loadReplicas).toBe(3);
  });

  it('the reactive fast loop never scales in', () => {
    const low = syntheticForecast(baseInput().now - MIN, MIN, 30, 100, 10);
    const r = planTick(baseInput({ loop: 'reactive', forecast: low, live: { load: 100, at: baseInput().now } }));
    expect(r.desiredReplicas).toBe(5);
    expect(r.decision.rule).toBe("reactive loop holds 5 (scale-in is the planning tick's)");
  });

  it('learning, no model and a model worse than naive size on live load with the HPA formula', () => {
    const learning = planTick(baseInput({ model: { ...baseInput().model, historyDays: 1, requiredHistoryDays: 2 }, live: { load: 450, at: baseInput().now } }));
    expect(learning.decision.mode).toBe('learning');
    expect(learning.decision.notes).toContain('learning: 1 of 2 days of history');
    expect(learning.decision.rule).toBe('learning: load 450 / (100 x 80%)');
    expect(learning.desiredReplicas).toBe(6);
    const worse = planTick(baseInput({ model: { ...baseInput().model, backtestMase: 0.9, naiveMase: 0.8 }, live: { load: 450, at: baseInput().now } }));
    expect(worse.decision.mode).toBe('reactive');
    expect(worse.decision.rule).toBe('reactive: load 450 / (100 x 80%)');
    expect(worse.desiredReplicas).toBe(6);
    const none = planTick(baseInput({ forecast: null }));
    expect(none.decision.notes).toContain('no forecast');
    expect(none.desiredReplicas).toBe(5);
  });

  it('forecast-only targets plan as they would and say so', () => {
    const r = planTick(baseInput({ target: makeTarget({ forecastOnly: true }) }));
    expect(r.decision.mode).toBe('forecast-only');
    expect(r.desiredReplicas).toBe(5);
    expect(r.decision.applied).toBe(false);
    // Plans are never applied, so repeated plans for more replicas are not step-limited by phantom changes.
    const big = syntheticForecast(baseInput().now - MIN, MIN, 30, 1500, 50);
    const ticks = run(
      Array.from({ length: 3 }, () => (i: number) => ({ target: makeTarget({ forecastOnly: true }), forecast: big, recentPeakLoad: 2000, now: baseInput().now + i * MIN, workload: { desiredReplicas: 10, readyReplicas: 10, rolloutInProgress: false } })),
      createPlanner({ levelTimeConstantMs: 0 }),
    );
    expect(ticks.map((t) => t.desiredReplicas)).toEqual([16, 16, 16]);
    expect(ticks[2]!.state.changes).toEqual([]);
  });

  it('gives the replicas needed within the node lead window', () => {
    const now = baseInput().now;
    const rising = syntheticForecast(now - MIN, MIN, 30, (i) => (i >= 6 ? 1000 : 400), 40);
    const r = planTick(baseInput({ forecast: rising, nodeLeadMs: 210_000 }));
    expect(r.desiredReplicas).toBe(5);
    expect(r.replicasAhead).toBe(11);
  });

  it('the state survives JSON and the calibration learns how the quantile held', () => {
    const noLevel = createPlanner({ levelTimeConstantMs: 0 });
    const t0 = baseInput().now;
    const results = run(
      Array.from({ length: 40 }, () => (i: number) => ({ forecast: syntheticForecast(t0 + (i - 1) * MIN, MIN, 30, 400, 40), live: { load: 460, at: t0 + i * MIN } })),
      (input) => noLevel({ ...input, state: input.state ? JSON.parse(JSON.stringify(input.state)) : null }),
    );
    const last = results[results.length - 1]!;
    // One ratio per tick from the first that has a plan made a pod lead time (90 s) earlier.
    expect(last.state.calibration).toHaveLength(38);
    expect(last.state.planned!.length).toBeLessThanOrEqual(5);
    expect(last.state.calibration![0]).toBeCloseTo(460 / 440, 4);
    // The P90 was short by 4.5% every time: the headroom follows.
    expect(last.decision.inputs.headroom).toBeCloseTo(460 / 440 - 1, 3);
    expect(last.decision.rule).toContain('(calibration)');
  });

  it('level correction: a shift the model has not seen yet counts within minutes, bounded', () => {
    const t0 = baseInput().now;
    // Synthetic: the model forecasts 400, load runs at 600 from the start.
    const results = run(Array.from({ length: 30 }, () => (i: number) => ({ forecast: syntheticForecast(t0 + (i - 1) * MIN, MIN, 30, 400, 40), live: { load: 600, at: t0 + i * MIN } })));
    const levels = results.map((r) => r.decision.inputs.levelRatio ?? 1);
    expect(levels[0]).toBe(1);
    expect(levels[5]).toBeGreaterThan(1.1);
    expect(levels[29]).toBeGreaterThan(1.4);
    expect(levels[29]).toBeLessThanOrEqual(1.5);
    expect(results[29]!.decision.rule).toMatch(/^forecast P90 \d+ \(level x1\.\d\d\) over 150s lead/);
    // Bounded: load ten times the forecast moves the level to at most 2.
    const wild = run(Array.from({ length: 120 }, () => (i: number) => ({ forecast: syntheticForecast(t0 + (i - 1) * MIN, MIN, 30, 40, 4), live: { load: 400, at: t0 + i * MIN } })));
    expect(wild[119]!.decision.inputs.levelRatio).toBeCloseTo(2, 2);
    // Fades back to 1 when not updated.
    const stale = planTick(baseInput({ now: t0 + 6 * 3_600_000, state: { ...wild[119]!.state, reactiveUntil: null } }));
    expect(stale.decision.inputs.levelRatio).toBeCloseTo(1, 2);
  });

  it('level correction stays bounded when the stored state is from a later time (replay restarted, clock stepped back)', () => {
    const t0 = baseInput().now;
    // Found by the demo: a state written two days "later" made the smoothing weight overflow (level x1e83).
    const future = { mode: 'predictive' as const, recommendations: [], changes: [], reactiveUntil: null, level: { ratio: 1.44, at: t0 + 2 * 86_400_000 } };
    const result = planTick(baseInput({ state: future, live: { load: 194, at: t0 }, forecast: syntheticForecast(t0 - MIN, MIN, 30, 392, 40) }));
    const next = result.state.level!.ratio;
    expect(Number.isFinite(next)).toBe(true);
    expect(next).toBeGreaterThanOrEqual(0.5);
    expect(next).toBeLessThanOrEqual(2);
    expect(result.desiredReplicas).toBeLessThan(20);
  });
});
