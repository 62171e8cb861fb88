/**
 * The global model's self-check (src/forecasting/global-lstm/self-check.ts): on a target whose own history shows
 * a pattern the network misses, the blend weighs the rule that repeats it; with thin evidence, or when the
 * network is already right, the network alone forecasts. Synthetic series, a stand-in "network" that forecasts
 * the last hour's mean (what a network that never saw the pattern does).
 */
import { describe, expect, it } from 'vitest';
import { blendedForecast, fitSelfCheck, ruleForecast, selfCheckOrigins } from '../../src/forecasting/global-lstm/self-check.js';

const layout = { season: 288, hourSteps: 12 };
const HOUR = 12;

/** Level 10 with a spike of 50 at minute 0 of every hour. */
const spiky = Array.from({ length: 2 * 288 }, (_, t) => (t % HOUR === 0 ? 50 : 10));

function lastHourMean(values: readonly number[], origin: number): number[] {
  const mean = values.slice(origin - HOUR, origin).reduce((a, b) => a + b, 0) / HOUR;
  return Array.from({ length: HOUR }, () => mean);
}

describe('self-check', () => {
  it('weighs the hour-ago rule on hourly spikes the network smooths, and then forecasts the spike', () => {
    const origin = 300;
    const origins = selfCheckOrigins(origin, layout);
    expect(origins).toHaveLength(12);
    expect(origins.every((b) => b >= HOUR && b + HOUR <= origin)).toBe(true);
    const result = fitSelfCheck(spiky.slice(0, origin), layout, origins, origins.map((b) => lastHourMean(spiky, b)));
    expect(result.weights.network).toBeLessThan(0.5);
    expect(result.weights.hour + result.weights.day).toBeGreaterThan(0.5);
    // Origin 300 is minute 0 of an hour: the blended forecast is the spike, the network's is the mean.
    const network = lastHourMean(spiky, origin)[0]!;
    expect(blendedForecast(spiky.slice(0, origin), layout, result, origin, 0, network)).toBeCloseTo(50, 6);
    expect(blendedForecast(spiky.slice(0, origin), layout, result, origin, 1, network)).toBeCloseTo(10, 6);
    // Measured one hour ahead only: from the end of the second hour on, the network alone.
    expect(blendedForecast(spiky.slice(0, origin), layout, result, origin, 2 * HOUR, network)).toBe(network);
    expect(blendedForecast(spiky.slice(0, origin), layout, result, origin, HOUR + 6, network)).not.toBe(network);
  });

  it('keeps the network when it is already right, and under two hours of history', () => {
    const origin = 300;
    const origins = selfCheckOrigins(origin, layout);
    const perfect = origins.map((b) => spiky.slice(b, b + HOUR));
    expect(fitSelfCheck(spiky.slice(0, origin), layout, origins, perfect).weights).toEqual({ network: 1, day: 0, hour: 0 });
    // One hour of history: no backtest origin has an hour before it.
    expect(selfCheckOrigins(HOUR, layout)).toEqual([]);
    expect(fitSelfCheck(spiky.slice(0, HOUR), layout, [], []).weights.network).toBe(1);
  });

  it('weighs the day-ago rule only once a day of backtest points exists for it', () => {
    expect(ruleForecast(spiky, layout, 'day', 100, 0)).toBeNaN();
    expect(ruleForecast(spiky, layout, 'day', 300, 0)).toBe(spiky[12]);
    // Lead past a period repeats the last visible period.
    expect(ruleForecast(spiky, layout, 'hour', 300, 13)).toBe(spiky[301]);
    const dayShape = Array.from({ length: 2 * 288 }, (_, t) => 100 + 50 * Math.sin((2 * Math.PI * t) / 288) + ((t * 7919) % 13) / 4);
    const early = 290;
    const earlyOrigins = selfCheckOrigins(early, layout);
    const earlyResult = fitSelfCheck(dayShape.slice(0, early), layout, earlyOrigins, earlyOrigins.map((b) => lastHourMean(dayShape, b)));
    expect(earlyResult.weights.day).toBe(0);
    const late = 288 + 6 * HOUR;
    const lateOrigins = selfCheckOrigins(late, layout);
    const lateResult = fitSelfCheck(dayShape.slice(0, late), layout, lateOrigins, lateOrigins.map((b) => lastHourMean(dayShape, b)));
    expect(lateResult.weights.day).toBeGreaterThan(0.5);
  });
});
