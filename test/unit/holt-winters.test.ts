import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';
import type { Forecast, RegularSeries } from '../../src/forecasting/forecaster.js';
import { HW_FORMAT_VERSION, holtWintersForecaster } from '../../src/forecasting/holt-winters.js';

const nasa = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv')).series;
const taxi = readCsvTrace(tracePath('nab_nyc_taxi_30min.csv')).series;
const head = (s: RegularSeries, n: number): RegularSeries => ({ ...s, values: s.values.slice(0, n) });
const synthetic = (values: number[]): RegularSeries => ({ startMs: Date.parse('2024-01-01T00:00:00Z'), stepMs: 300_000, values });

function expectSane(f: Forecast, h: number): void {
  expect(f.mean).toHaveLength(h);
  const [i80, i95] = f.intervals;
  for (let j = 0; j < h; j++) {
    const chain = [i95!.lower[j]!, i80!.lower[j]!, f.mean[j]!, i80!.upper[j]!, i95!.upper[j]!];
    expect(chain.every(Number.isFinite)).toBe(true);
    expect(chain[0]!).toBeGreaterThanOrEqual(0);
    for (let k = 1; k < chain.length; k++) expect(chain[k]!).toBeGreaterThanOrEqual(chain[k - 1]!);
  }
}

describe('holtWintersForecaster on real traces', () => {
  it('NASA (22 days of 5-minute requests): weekly + daily season, one-day forecast that follows the daily shape', async () => {
    const train = head(nasa, 6350);
    const model = await holtWintersForecaster.fit(train);
    expect(model.kind).toBe('hw');
    expect(model.description).toMatch(/\[288,2016\]/);
    const f = model.predict(288);
    expectSane(f, 288);
    expect(f.notes.join(' ')).toMatch(/chosen by AICc/);
    // The night trough is well below the day peak, as in the data.
    expect(Math.max(...f.mean)).toBeGreaterThan(2 * Math.min(...f.mean));
    // Re-filtering to a later origin moves the forecast start and stays sane.
    const later = model.update(nasa.values.slice(6350, 6350 + 144));
    expect(later.lastObservedMs).toBe(model.lastObservedMs + 144 * nasa.stepMs);
    expectSane(later.predict(12), 12);
  });

  it('taxi: no runaway trend over a day (statsmodels forecasts negative loads there)', async () => {
    const model = await holtWintersForecaster.fit(head(taxi, 9984));
    const f = model.predict(48);
    expectSane(f, 48);
    // Seven months of history: only the last 8 weeks (2688 half-hours) are fitted.
    expect(f.notes.join(' ')).toMatch(/estimated on the last 2688 points/);
    const max = Math.max(...taxi.values.slice(0, 9984));
    expect(Math.max(...f.mean)).toBeLessThan(max);
    expect(Math.min(...f.mean)).toBeGreaterThan(0);
  });

  it('under two days of history: non-seasonal, and the forecast says so', async () => {
    const model = await holtWintersForecaster.fit(head(nasa, 400));
    expect(model.description).not.toMatch(/\[/);
    const f = model.predict(24);
    expectSane(f, 24);
    expect(f.notes.join(' ')).toMatch(/under two days of history/);
  });

  it('its artefact round-trips through JSON; a future formatVersion or a corrupt one is an InputError', async () => {
    const model = await holtWintersForecaster.fit(head(nasa, 3000), { seed: 11 });
    const artefact = JSON.parse(JSON.stringify(model.toArtefact()));
    expect(artefact).toMatchObject({ kind: 'hw', formatVersion: HW_FORMAT_VERSION, trainedOn: { points: 3000, stepMs: 300_000 } });
    const loaded = await holtWintersForecaster.load(artefact);
    expect(loaded.predict(100)).toEqual(model.predict(100));
    await expect(holtWintersForecaster.load({ ...artefact, formatVersion: 2 })).rejects.toThrow(InputError);
    const corrupt = JSON.parse(JSON.stringify(artefact));
    corrupt.params.state.seasons[0].pop();
    await expect(holtWintersForecaster.load(corrupt)).rejects.toThrow(/corrupt/);
    await expect(holtWintersForecaster.load({ ...artefact, params: { spec: 'x' } })).rejects.toThrow(InputError);
  });
});

describe('holtWintersForecaster on bad or degenerate input (synthetic)', () => {
  it('NaN or Infinity is an InputError naming the index', async () => {
    await expect(holtWintersForecaster.fit(synthetic([1, 2, Number.NaN, 4]))).rejects.toThrow(/index 2/);
    await expect(holtWintersForecaster.fit(synthetic([1, Infinity]))).rejects.toThrow(InputError);
    const model = await holtWintersForecaster.fit(synthetic([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect(() => model.update([1, Number.NaN])).toThrow(InputError);
  });

  it('constant and all-zero series: flat forecast, zero-width intervals, a note', async () => {
    for (const v of [42, 0]) {
      const model = await holtWintersForecaster.fit(synthetic(new Array<number>(3 * 288).fill(v)));
      const f = model.predict(36);
      expect(f.mean).toEqual(new Array<number>(36).fill(v));
      expect(f.intervals[1]!.upper).toEqual(f.mean);
      expect(f.notes.join(' ')).toMatch(/constant series/);
    }
  });

  it('negative values: additive forms only, forecasts clamped at 0', async () => {
    const values = Array.from({ length: 4 * 288 }, (_, t) => 5 * Math.sin((2 * Math.PI * t) / 288) + ((t * 7919) % 13) / 13);
    const model = await holtWintersForecaster.fit(synthetic(values));
    expect(model.description).toMatch(/^ets\(A,/);
    expect(model.description).not.toMatch(/,M\)/);
    const f = model.predict(288);
    expectSane(f, 288);
    expect(f.mean.filter((v) => v === 0).length).toBeGreaterThan(50);
    expect(f.notes.join(' ')).toMatch(/additive forms only/);
  });

  it('very short series: nothing estimated, a documented fallback', async () => {
    const f = (await holtWintersForecaster.fit(synthetic([5, 7, 6]))).predict(5);
    expectSane(f, 5);
    expect(f.notes.join(' ')).toMatch(/only 3 points/);
    await expect(holtWintersForecaster.fit(synthetic([]))).rejects.toThrow(InputError);
  });

  it('given season lengths are used, and ones without two whole seasons are dropped with a note', async () => {
    const model = await holtWintersForecaster.fit(head(nasa, 3 * 288), { seasonLengths: [288, 2016] });
    expect(model.description).toMatch(/\[288\]/);
    expect(model.predict(1).notes.join(' ')).toMatch(/2016 dropped/);
  });
});
