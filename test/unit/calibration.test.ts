import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { runBacktest } from '../../src/forecasting/backtest.js';
import { ConformalModel, MAX_ADAPT_FACTOR, calibrate, conformalTable, halfWidthAt } from '../../src/forecasting/calibration.js';
import { selectChampion } from '../../src/forecasting/champion.js';
import type { RegularSeries } from '../../src/forecasting/forecaster.js';
import { loadModel } from '../../src/forecasting/forecasters.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';

describe('conformalTable', () => {
  it('takes the ceil((n+1) L)-th smallest absolute residual per lead step', () => {
    // 19 origins, 2 leads: lead 1 errors 1..19, lead 2 errors 10..190 (signs do not matter).
    const residuals = Array.from({ length: 19 }, (_, j) => [-(j + 1), 10 * (j + 1)]);
    const table = conformalTable(residuals, [80, 95], true);
    expect(table.samples).toBe(19);
    expect(table.halfWidths).toEqual([
      [16, 160],
      [19, 190],
    ]);
    expect(halfWidthAt(table, 80, 2)).toBe(160);
    expect(halfWidthAt(table, 80, 8)).toBeCloseTo(160 * 2, 12); // sqrt(8 / 2) past the calibrated horizon
    expect(halfWidthAt(table, 90, 1)).toBeUndefined();
  });

  it('uses the largest residual when there are too few for the level', () => {
    expect(conformalTable([[3], [1], [2]], [95], false).halfWidths).toEqual([[3]]);
  });
});

describe('calibrate (choice of scaling on a later hold-out half)', () => {
  // Synthetic validation forecasts: a level that swings between 10 and 190, errors drawn from a fixed
  // pseudo-random sequence, either of constant size or proportional to the level.
  const make = (proportional: boolean) => {
    const actual: number[][] = [];
    const means: number[][] = [];
    let state = 7;
    const u = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31 - 0.5;
    };
    for (let j = 0; j < 400; j++) {
      const level = 100 + 90 * Math.sin(j / 5);
      means.push([level, level]);
      actual.push([0, 1].map(() => level + (proportional ? level * 0.2 : 20) * (u() + u())));
    }
    return { actual, means };
  };

  it('picks level scaling by interval score when errors grow with the level, absolute when they do not', () => {
    const prop = make(true);
    const flat = make(false);
    const a = calibrate(prop.actual, prop.means, [80, 95], true);
    const b = calibrate(flat.actual, flat.means, [80, 95], true);
    expect(a.table.scaling).toBe('level');
    expect(b.table.scaling).toBe('absolute');
    // The chosen scaling covered close to nominal on the hold-out half.
    expect(a.holdout.level.intervalScore).toBeLessThan(a.holdout.absolute.intervalScore);
    expect(Math.abs(a.holdout.level.coverage[0]! - 0.8)).toBeLessThan(0.06);
    expect(Math.abs(b.holdout.absolute.coverage[1]! - 0.95)).toBeLessThan(0.04);
    expect(a.table.samples).toBe(400);
  });

  it('a level-scaled width follows the forecast, never below the floor', () => {
    const table = conformalTable([[0.5], [0.1]], [95], true, 'level', 2);
    expect(halfWidthAt(table, 95, 1, 100)).toBeCloseTo(50, 12);
    expect(halfWidthAt(table, 95, 1, 0)).toBeCloseTo(1, 12);
  });
});

describe('ConformalModel', () => {
  const synthetic: RegularSeries = {
    startMs: Date.parse('2024-01-01T00:00:00Z'),
    stepMs: 3_600_000,
    values: Array.from({ length: 24 * 30 }, (_, t) => 100 + 50 * Math.sin((2 * Math.PI * t) / 24) + ((t * 7919) % 13) - 6),
  };

  it('puts calibrated symmetric bounds around the inner mean, clamped at 0, and says when it extrapolates', async () => {
    const inner = await seasonalNaiveForecaster.fit(synthetic, { seasonLengths: [24] });
    const table = conformalTable([[5, 200], [1, 400], [3, 300]], [80, 95], true);
    const model = new ConformalModel(inner, table);
    const f = model.predict(3);
    const mean = inner.predict(3).mean;
    expect(f.mean).toEqual(mean);
    expect(f.intervals[0]!.upper[0]).toBe(mean[0]! + 5);
    expect(f.intervals[1]!.lower[1]).toBe(Math.max(0, mean[1]! - 400));
    expect(f.notes.join(' ')).toMatch(/calibrated up to 2 steps/);
    expect(model.description).toBe('conformal(snaive[24])');
    // A level it was not calibrated for comes from the inner model, with a note.
    const g = model.predict(2, [50]);
    expect(g.intervals[0]!.level).toBe(50);
    expect(g.notes.join(' ')).toMatch(/level 50 is not calibrated/);
  });

  it('widens its bands online when new points keep falling outside them (adaptive conformal), and keeps them ordered', async () => {
    const inner = await seasonalNaiveForecaster.fit(synthetic, { seasonLengths: [24] });
    const table = conformalTable(Array.from({ length: 20 }, () => [1, 1]), [80, 95], true, 'absolute', 0, 0.02);
    let model: ConformalModel = new ConformalModel(inner, table);
    const width0 = model.predict(1).intervals[0]!.upper[0]! - model.predict(1).mean[0]!;
    for (let day = 0; day < 10; day++) {
      // +/-9 around the daily shape, flipping sign every day: seasonal naive is off by 18 at every point.
      for (let t = 0; t < 24; t++) model = model.update([100 + 50 * Math.sin((2 * Math.PI * t) / 24) + ((t + day) % 2 ? 9 : -9)]) as ConformalModel;
    }
    const f = model.predict(2);
    const width = f.intervals[0]!.upper[0]! - f.mean[0]!;
    expect(width).toBeGreaterThan(width0 * 4);
    expect(width).toBeLessThanOrEqual(width0 * MAX_ADAPT_FACTOR + 1e-9); // capped
    expect(f.intervals[1]!.upper[0]!).toBeGreaterThanOrEqual(f.intervals[0]!.upper[0]!);
    const reloaded = await loadModel(JSON.parse(JSON.stringify(model.toArtefact())));
    expect(reloaded.predict(2)).toEqual(f);
    // A static table (rate 0) never moves.
    const still = new ConformalModel(inner, { ...table, adaptRate: 0 }).update(new Array(24).fill(1000));
    expect((still as ConformalModel).logScales).toEqual([0, 0]);
  });

  it('counts a batch of points beyond an hour as sqrt(hour / n) each: a day at once moves the scale less than a day point by point', async () => {
    const inner = await seasonalNaiveForecaster.fit(synthetic, { seasonLengths: [24] });
    const table = conformalTable(Array.from({ length: 20 }, () => [1]), [80], true, 'absolute', 0, 0.05);
    const day = Array.from({ length: 24 }, (_, t) => 1000 + t); // every point far outside the bands
    const atOnce = new ConformalModel(inner, table).update(day) as ConformalModel;
    // Hourly steps: an hour is one point, so each of the 24 counts sqrt(1 / 24).
    expect(atOnce.logScales[0]).toBeCloseTo(24 * Math.sqrt(1 / 24) * 0.05 * (1 - 0.2), 12);
    let one: ConformalModel = new ConformalModel(inner, table);
    for (const v of day) one = one.update([v]) as ConformalModel;
    expect(one.logScales[0]).toBeCloseTo(24 * 0.05 * 0.8, 12);
  });

  it('round-trips through its artefact and keeps updating', async () => {
    const inner = await seasonalNaiveForecaster.fit(synthetic, { seasonLengths: [24] });
    const model = new ConformalModel(inner, conformalTable([[5, 6], [7, 8]], [80, 95], true));
    const loaded = await loadModel(JSON.parse(JSON.stringify(model.toArtefact())));
    expect(loaded.predict(24)).toEqual(model.predict(24));
    expect(loaded.update([1, 2, 3]).predict(5)).toEqual(model.update([1, 2, 3]).predict(5));
  });
});

describe('calibrated coverage on held-out data', () => {
  it('covers close to nominal on a synthetic stationary series (daily sine plus noise)', async () => {
    let state = 42;
    const noise = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31 - 0.5;
    };
    const series: RegularSeries = {
      startMs: 0,
      stepMs: 3_600_000,
      values: Array.from({ length: 24 * 120 }, (_, t) => 200 + 80 * Math.sin((2 * Math.PI * t) / 24) + 40 * (noise() + noise() + noise())),
    };
    const result = await runBacktest(series, 24, async (train, { horizon }) => (await selectChampion(train, { horizon })).model);
    expect(result.scores.coverage80).toBeGreaterThan(0.74);
    expect(result.scores.coverage80).toBeLessThan(0.86);
    expect(result.scores.coverage95).toBeGreaterThan(0.91);
    expect(result.scores.coverage95).toBeLessThan(0.99);
  });

  it('brings seasonal naive on the Twitter AMZN trace near nominal at 1h (its own intervals are too wide)', async () => {
    const { series } = readCsvTrace(tracePath('nab_twitter_amzn_5min.csv'));
    const own = await runBacktest(series, 12, (train) => seasonalNaiveForecaster.fit(train, { seasonLengths: [288] }));
    const calibrated = await runBacktest(series, 12, async (train, { horizon }) => (await selectChampion(train, { horizon, candidates: ['snaive'] })).model);
    expect(Math.abs(calibrated.scores.coverage80! - 0.8)).toBeLessThan(Math.abs(own.scores.coverage80! - 0.8));
    expect(calibrated.scores.coverage80).toBeGreaterThan(0.75);
    expect(calibrated.scores.coverage80).toBeLessThan(0.85);
  });
});
