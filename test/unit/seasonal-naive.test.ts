import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import type { RegularSeries } from '../../src/forecasting/forecaster.js';
import {
  SNAIVE_FORMAT_VERSION,
  defaultSeasonLengths,
  fitSeasonalNaive,
  forecastSeasonalNaive,
  seasonalNaiveForecaster,
} from '../../src/forecasting/seasonal-naive.js';

const taxi = readCsvTrace(tracePath('nab_nyc_taxi_30min.csv')).series;
const elb = readCsvTrace(tracePath('nab_elb_request_count_5min.csv')).series;

describe('seasonal naive on real traces', () => {
  it('chooses the weekly season for NYC taxi (strong weekday/weekend pattern) and repeats last week', async () => {
    const model = await seasonalNaiveForecaster.fit(sliceSeries(taxi, 0, 9984));
    expect(model.description).toBe('snaive[336]');
    const f = model.predict(48);
    // The forecast for the next day is the same day one week earlier.
    expect(f.mean).toEqual(taxi.values.slice(9984 - 336, 9984 - 336 + 48));
    expect(f.startMs).toBe(taxi.startMs + 9984 * taxi.stepMs);
    expect(f.notes.join(' ')).toMatch(/season 336 chosen by in-sample MAE/);
  });

  it('uses the daily season when history is under two weeks (ELB: 14 days minus a bit)', async () => {
    const model = await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, 3232));
    expect(model.description).toBe('snaive[288]');
    expect(model.predict(12).mean).toEqual(elb.values.slice(3232 - 288, 3232 - 288 + 12));
  });

  it('gives ordered, non-negative intervals that widen past one season', async () => {
    const model = await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, 2000));
    const f = model.predict(600);
    const [i80, i95] = f.intervals;
    for (let k = 0; k < 600; k++) {
      expect(i95!.lower[k]).toBeLessThanOrEqual(i80!.lower[k]!);
      expect(i80!.lower[k]).toBeLessThanOrEqual(f.mean[k]!);
      expect(f.mean[k]).toBeLessThanOrEqual(i80!.upper[k]!);
      expect(i80!.upper[k]).toBeLessThanOrEqual(i95!.upper[k]!);
      expect(i95!.lower[k]).toBeGreaterThanOrEqual(0);
    }
    const width = (k: number) => i95!.upper[k]! - f.mean[k]!;
    // Two seasons ahead the half width is sqrt(2) times one season ahead (before clamping at 0, above the mean).
    expect(width(300)).toBeCloseTo(width(10) * Math.SQRT2, 6);
  });

  it('update() moves the model forward exactly like refitting on the longer series', async () => {
    const fitted = await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, 1000));
    const updated = fitted.update(elb.values.slice(1000, 1100));
    const refit = await seasonalNaiveForecaster.fit(sliceSeries(elb, 0, 1100), { seasonLengths: [288] });
    expect(updated.lastObservedMs).toBe(refit.lastObservedMs);
    expect(updated.predict(300).mean).toEqual(refit.predict(300).mean);
    // The receiver is unchanged.
    expect(fitted.lastObservedMs).toBe(elb.startMs + 999 * elb.stepMs);
  });

  it('round-trips through its artefact', async () => {
    const model = await seasonalNaiveForecaster.fit(sliceSeries(taxi, 0, 2000));
    const artefact = JSON.parse(JSON.stringify(model.toArtefact()));
    expect(artefact).toMatchObject({ kind: 'snaive', formatVersion: SNAIVE_FORMAT_VERSION });
    const loaded = await seasonalNaiveForecaster.load(artefact);
    expect(loaded.predict(100)).toEqual(model.predict(100));
    await expect(seasonalNaiveForecaster.load({ ...artefact, formatVersion: 99 })).rejects.toThrow(/formatVersion 99/);
    await expect(seasonalNaiveForecaster.load({ ...artefact, params: { season: 0 } })).rejects.toThrow(InputError);
  });
});

describe('seasonal naive edge cases (synthetic series)', () => {
  const series = (values: number[], stepMs = 3_600_000): RegularSeries => ({ startMs: 0, stepMs, values });

  it('falls back to naive (last value) under two days of history and says so', async () => {
    const model = await seasonalNaiveForecaster.fit(series([5, 6, 7]));
    const f = model.predict(3);
    expect(model.description).toBe('naive');
    expect(f.mean).toEqual([7, 7, 7]);
    expect(f.notes.join(' ')).toMatch(/under two seasons of history/);
  });

  it('handles a single point, constant and all-zero series without NaN', async () => {
    for (const values of [[3], new Array(100).fill(4), new Array(100).fill(0)]) {
      const f = (await seasonalNaiveForecaster.fit(series(values))).predict(30);
      const all = [...f.mean, ...f.intervals.flatMap((i) => [...i.lower, ...i.upper])];
      expect(all.every(Number.isFinite)).toBe(true);
      expect(f.mean.every((v) => v === values[0])).toBe(true);
    }
  });

  it('rejects empty and non-finite input with an InputError', async () => {
    await expect(seasonalNaiveForecaster.fit(series([]))).rejects.toThrow(InputError);
    await expect(seasonalNaiveForecaster.fit(series([1, Number.NaN, 2]))).rejects.toThrow(/index 1 is not a finite number/);
    const model = await seasonalNaiveForecaster.fit(series([1, 2, 3]));
    expect(() => model.update([Number.POSITIVE_INFINITY])).toThrow(InputError);
    expect(() => model.predict(0)).toThrow(InputError);
  });

  it('does not clamp series that have negative values', () => {
    const values = Array.from({ length: 96 }, (_, t) => Math.sin((2 * Math.PI * t) / 24) - 0.5);
    const params = fitSeasonalNaive(values, [24]);
    expect(params.clampAtZero).toBe(false);
    expect(Math.min(...forecastSeasonalNaive(params, 24).mean)).toBeLessThan(0);
  });

  it('defaults to one day and one week in steps', () => {
    expect(defaultSeasonLengths(300_000)).toEqual([288, 2016]);
    expect(defaultSeasonLengths(1_800_000)).toEqual([48, 336]);
  });
});
