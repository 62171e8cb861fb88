import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { StoredForecast } from '../../src/metrics/metrics-store.js';
import { createMemoryLastKnownStore } from '../../src/state/last-known.js';
import { mergePlanForecast, planForecastBetween, type PlanForecastWindow } from '../../src/state/plan-forecast.js';

const STEP = 300_000;
const MIN = 60_000;
const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
const T0 = nasa.startMs + 2 * 86_400_000;

/** The forecast a forecast job issued at `at` would store: the trace ahead, from the next step, with bands; shifted by `bias` so issues differ. */
function forecastAt(at: number, bias: number): StoredForecast {
  const startMs = Math.floor(at / STEP) * STEP + STEP;
  const first = (startMs - nasa.startMs) / STEP;
  const mean = nasa.values.slice(first, first + 288).map((v) => v + bias);
  return {
    target: 'shop/web',
    issuedAt: at,
    model: `test-${bias}`,
    startMs,
    stepMs: STEP,
    mean,
    intervals: [
      { level: 80, lower: mean.map((v) => v * 0.9), upper: mean.map((v) => v * 1.1) },
      { level: 95, lower: mean.map((v) => v * 0.8), upper: mean.map((v) => v * 1.2) },
    ],
  };
}

describe('plan forecast window (kept in Redis for the plan job)', () => {
  it('answers every plan tick exactly as the metrics store would, once it has seen two steps of forecasts', async () => {
    const store = createMemoryStore();
    let window: PlanForecastWindow | null = null;
    let answered = 0;
    let ticks = 0;
    // Three hours of the real schedule: a forecast every minute, a plan tick every 15 s.
    for (let t = T0; t < T0 + 3 * 3_600_000; t += 15_000) {
      if ((t - T0) % MIN === 0) {
        const forecast = forecastAt(t, (t - T0) / MIN);
        await store.writeForecast(forecast);
        window = mergePlanForecast(window, forecast);
      }
      // The plan job's window: one step back, one pod lead (90 s) + one plan period + two steps ahead.
      const from = t - STEP;
      const to = t + 90_000 + 15_000 + 2 * STEP;
      const kept = planForecastBetween(window, from, to);
      ticks++;
      if (kept === null) continue;
      answered++;
      expect(kept).toEqual(await store.readForecast('shop/web', from, to));
    }
    // Only the first ~two steps (before an earlier issue covers the step filling up) go to the store.
    expect(answered).toBeGreaterThan(ticks - 2 * (STEP / 15_000) - 1);
  });

  it('a first window seeded from the store answers at once (a restarted service, forecasts already in InfluxDB)', async () => {
    const store = createMemoryStore();
    // Forecasts of an earlier run: every minute for ten minutes.
    for (let t = T0; t < T0 + 10 * MIN; t += MIN) await store.writeForecast(forecastAt(t, (t - T0) / MIN));
    const at = T0 + 10 * MIN + 30_000;
    const fresh = forecastAt(at, 99);
    const seeded = createMemoryLastKnownStore();
    const unseeded = createMemoryLastKnownStore();
    await seeded.putForecast(fresh, (from, to) => store.readForecast('shop/web', from, to));
    await unseeded.putForecast(fresh);
    await store.writeForecast(fresh);
    const [from, to] = [at - STEP, at + 90_000 + 15_000 + 2 * STEP];
    expect(planForecastBetween(await seeded.getPlanForecast('shop/web'), from, to)).toEqual(await store.readForecast('shop/web', from, to));
    // Without the seed the step filling up is unknown to the window: the plan job would ask the store.
    expect(planForecastBetween(await unseeded.getPlanForecast('shop/web'), from, to)).toBeNull();
  });

  it('keeps the later issue per timestamp whatever the order of arrival', () => {
    const older = forecastAt(T0 + MIN, 1);
    const newer = forecastAt(T0 + 2 * MIN, 2);
    const inOrder = mergePlanForecast(mergePlanForecast(null, older), newer);
    const reversed = mergePlanForecast(mergePlanForecast(null, newer), older);
    expect(planForecastBetween(reversed, newer.startMs, newer.startMs + 6 * STEP)).toEqual(planForecastBetween(inOrder, newer.startMs, newer.startMs + 6 * STEP));
    expect(planForecastBetween(inOrder, newer.startMs, newer.startMs + STEP)![0]!.issuedAt).toBe(newer.issuedAt);
  });

  it('does not answer for the steps before its first forecast, nor past how far it keeps', () => {
    const only = mergePlanForecast(null, forecastAt(T0, 0));
    expect(planForecastBetween(only, only.fromMs - STEP, only.fromMs + STEP)).toBeNull();
    expect(planForecastBetween(only, only.fromMs, only.toMs + STEP)).toBeNull();
    expect(planForecastBetween(only, only.fromMs, only.fromMs + STEP)).toHaveLength(1);
  });
});
