/**
 * Edge cases of the live accuracy core (src/accuracy/live-accuracy.ts) on small synthetic series, named as
 * such (the real-trace numbers are checked in test/integration/accuracy-job.test.ts): what is scored, what
 * is skipped, and when numbers are null rather than made up.
 */
import { describe, expect, it } from 'vitest';
import { accuracyEndMs, computeLiveAccuracy, seasonSteps, type LiveAccuracyInput } from '../../src/accuracy/live-accuracy.js';
import type { ForecastPoint } from '../../src/metrics/metrics-store.js';

const STEP = 3_600_000; // hourly: a season of 24 steps keeps the synthetic series short
const DAY = 86_400_000;
const END = 100 * DAY;

/** Synthetic load: a daily sawtooth 100 + 10 * hour-of-day, plus 1 on odd days. */
const load = (t: number) => 100 + 10 * ((t / STEP) % 24) + (Math.floor(t / DAY) % 2);

function input(over: Partial<LiveAccuracyInput> = {}): LiveAccuracyInput {
  const actualStart = END - 8 * DAY;
  const historyStart = END - 14 * DAY;
  return {
    target: 'shop/web',
    at: END + 1_000,
    stepMs: STEP,
    leadMs: 90_000,
    historyMs: 7 * DAY,
    actual: { startMs: actualStart, stepMs: STEP, values: Array.from({ length: 8 * 24 }, (_, i) => load(actualStart + i * STEP)) },
    history: { startMs: historyStart, stepMs: STEP, values: Array.from({ length: 13 * 24 }, (_, i) => load(historyStart + i * STEP)) },
    forecasts: [],
    ...over,
  };
}

const forecastsOver = (from: number, to: number, f: (t: number) => Partial<ForecastPoint>): ForecastPoint[] => {
  const points: ForecastPoint[] = [];
  for (let t = from; t < to; t += STEP) points.push({ time: t, mean: load(t), model: 'synthetic', issuedAt: t - STEP, ...f(t) });
  return points;
};

describe('live accuracy core', () => {
  it('ends windows at the last complete step and uses a one-day season', () => {
    expect(accuracyEndMs(END + STEP - 1, STEP)).toBe(END);
    expect(seasonSteps(300_000)).toBe(288);
    expect(seasonSteps(STEP)).toBe(24);
  });

  it('without forecasts scores nothing and reports nulls, but keeps the scale', () => {
    const result = computeLiveAccuracy(input());
    const day = result.windows['24h'];
    expect(day).toMatchObject({ from: END - DAY, to: END, expected: 24, points: 0, mae: null, mase: null, coverage80: null, coverage95: null });
    // Day-to-day change of the synthetic load is exactly 1 at every step: the seasonal naive MAE.
    expect(day.scale).toBe(1);
    expect(result.windows['7d'].scale).toBe(1);
  });

  it('skips steps without an actual or a forecast, and counts coverage only where the interval exists', () => {
    const actual = input().actual;
    const holes = { ...actual, values: actual.values.map((v, i) => (i === actual.values.length - 1 ? null : v)) };
    // Synthetic forecasts: 2 above the actual; the 80% interval only on even hours, always 1 wide (a miss).
    const forecasts = forecastsOver(END - DAY + STEP, END, (t) => ({ mean: load(t) + 2, ...((t / STEP) % 2 === 0 ? { lo80: load(t) + 1, hi80: load(t) + 3 } : {}), lo95: load(t) - 5, hi95: load(t) + 5 }));
    const day = computeLiveAccuracy(input({ actual: holes, forecasts })).windows['24h'];
    // 24 steps, minus the first (no forecast) and the last (no actual).
    expect(day.points).toBe(22);
    expect(day.mae).toBe(2);
    expect(day.mase).toBe(2);
    expect(day.coverage80).toBe(0);
    expect(day.coverage95).toBe(1);
  });

  it('has no MASE when the history is too short for a season (no scale), but still MAE and coverage', () => {
    const forecasts = forecastsOver(END - DAY, END, () => ({ lo80: 0, hi80: 1_000 }));
    const day = computeLiveAccuracy(input({ history: { startMs: END - 2 * DAY, stepMs: STEP, values: Array(10).fill(5) }, forecasts })).windows['24h'];
    expect(day.scale).toBeNull();
    expect(day.mase).toBeNull();
    expect(day.mae).toBe(0);
    expect(day.coverage80).toBe(1);
  });
});
