import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';
import { sliceSeries } from '../../src/forecasting/backtest.js';
import type { FitOptions, FittedModel, Forecast, Forecaster, RegularSeries } from '../../src/forecasting/forecaster.js';

/**
 * The one contract every forecaster passes (see registry.ts): shapes, ordered finite intervals, artefact
 * round trip, update, and bad or degenerate series. Run by test/contract/forecasters.test.ts against every
 * registered kind. Real data (5 days of the ELB request trace) for the normal cases; synthetic series
 * only for the edge cases, named so.
 */

export interface ContractOptions {
  /** Passed to every fit (e.g. a small epoch count for slow learners). */
  fitOptions?: FitOptions;
  /** Relative tolerance for "the same forecast" after a JSON round trip (float32 weights). Default 1e-9. */
  tolerance?: number;
  /** Degenerate cases (labels below) this forecaster refuses with an InputError; every other one must forecast. */
  refuses?: string[];
}

const STEP = 300_000;
const elb = readCsvTrace(tracePath('nab_elb_request_count_5min.csv')).series;
/** 5 days of real 5-minute data: enough for a daily season, not for a weekly one. */
export const CONTRACT_SERIES: RegularSeries = sliceSeries(elb, 0, 5 * 288);
const HORIZON = 36;

function expectWellFormed(f: Forecast, h: number, levels: number[], startMs: number): void {
  expect(f.mean).toHaveLength(h);
  expect(f.startMs).toBe(startMs);
  expect(f.intervals.map((i) => i.level)).toEqual(levels);
  for (const interval of f.intervals) {
    expect(interval.lower).toHaveLength(h);
    expect(interval.upper).toHaveLength(h);
  }
  const all = [...f.mean, ...f.intervals.flatMap((i) => [...i.lower, ...i.upper])];
  expect(all.filter((v) => !Number.isFinite(v))).toEqual([]);
  expect(typeof f.model).toBe('string');
  expect(Array.isArray(f.notes)).toBe(true);
}

/** lo95 <= lo80 <= mean <= hi80 <= hi95 at every lead (tiny slack for rounding). */
function expectOrdered(f: Forecast): void {
  const i80 = f.intervals.find((i) => i.level === 80)!;
  const i95 = f.intervals.find((i) => i.level === 95)!;
  const eps = (v: number) => 1e-9 * Math.max(1, Math.abs(v));
  const broken: string[] = [];
  f.mean.forEach((m, k) => {
    const chain = [i95.lower[k]!, i80.lower[k]!, m, i80.upper[k]!, i95.upper[k]!];
    for (let c = 1; c < chain.length; c++) if (chain[c - 1]! > chain[c]! + eps(chain[c]!)) broken.push(`lead ${k + 1}: ${chain.join(' <= ')}`);
  });
  expect(broken).toEqual([]);
}

function expectClose(a: number[], b: number[], tolerance: number): void {
  expect(a).toHaveLength(b.length);
  const off = a.filter((v, i) => Math.abs(v - b[i]!) > tolerance * Math.max(1, Math.abs(b[i]!)));
  expect(off).toEqual([]);
}

export function forecasterContract(name: string, make: () => Forecaster | Promise<Forecaster>, options: ContractOptions = {}): void {
  const tolerance = options.tolerance ?? 1e-9;
  const fitOptions = options.fitOptions ?? {};
  const lastMs = (s: RegularSeries) => s.startMs + (s.values.length - 1) * s.stepMs;

  describe(`forecaster contract: ${name}`, () => {
    let fitted: FittedModel;
    let forecaster: Forecaster;

    it('fit() returns a model of its kind that has seen the whole series', async () => {
      forecaster = await make();
      fitted = await forecaster.fit(CONTRACT_SERIES, fitOptions);
      expect(fitted.kind).toBe(forecaster.kind);
      expect(fitted.lastObservedMs).toBe(lastMs(CONTRACT_SERIES));
      expect(fitted.stepMs).toBe(STEP);
      expect(fitted.description.length).toBeGreaterThan(0);
    });

    it('predict() gives h finite means and ordered 80/95 intervals by default, clamped at 0 for loads', () => {
      const f = fitted.predict(HORIZON);
      expectWellFormed(f, HORIZON, [80, 95], lastMs(CONTRACT_SERIES) + STEP);
      expectOrdered(f);
      expect(Math.min(...f.mean, ...f.intervals.flatMap((i) => i.lower))).toBeGreaterThanOrEqual(0);
    });

    it('predict() honours other levels and a horizon of one step', () => {
      const f = fitted.predict(1, [50, 99]);
      expectWellFormed(f, 1, [50, 99], lastMs(CONTRACT_SERIES) + STEP);
      expect(f.intervals[0]!.lower[0]!).toBeGreaterThanOrEqual(f.intervals[1]!.lower[0]! - 1e-9);
      expect(f.intervals[0]!.upper[0]!).toBeLessThanOrEqual(f.intervals[1]!.upper[0]! + 1e-9);
    });

    it('its artefact survives JSON and loads back to the same forecasts', async () => {
      const artefact = JSON.parse(JSON.stringify(fitted.toArtefact()));
      expect(artefact.kind).toBe(forecaster.kind);
      expect(Number.isInteger(artefact.formatVersion)).toBe(true);
      expect(artefact.trainedOn).toMatchObject({ stepMs: STEP, endMs: lastMs(CONTRACT_SERIES) });
      const loaded = await forecaster.load(artefact);
      const a = fitted.predict(HORIZON);
      const b = loaded.predict(HORIZON);
      expectClose(b.mean, a.mean, tolerance);
      expectClose(b.intervals[1]!.upper, a.intervals[1]!.upper, tolerance);
      await expect(forecaster.load({ ...artefact, formatVersion: 9999 })).rejects.toThrow(InputError);
    });

    it('update() returns a model moved forward and leaves the receiver unchanged', () => {
      const before = fitted.predict(HORIZON);
      const more = elb.values.slice(CONTRACT_SERIES.values.length, CONTRACT_SERIES.values.length + 24);
      const updated = fitted.update(more);
      expect(updated.lastObservedMs).toBe(lastMs(CONTRACT_SERIES) + 24 * STEP);
      const after = updated.predict(HORIZON);
      expectWellFormed(after, HORIZON, [80, 95], lastMs(CONTRACT_SERIES) + 25 * STEP);
      expectOrdered(after);
      expect(fitted.predict(HORIZON)).toEqual(before);
      // An updated model round-trips too, from where it stands.
      return forecaster.load(JSON.parse(JSON.stringify(updated.toArtefact()))).then((reloaded) => {
        expect(reloaded.lastObservedMs).toBe(updated.lastObservedMs);
        expectClose(reloaded.predict(HORIZON).mean, after.mean, tolerance);
      });
    });

    describe('degenerate series (synthetic): a forecast without NaN, or (where the options say so) an InputError', () => {
      const synthetic = (values: number[]): RegularSeries => ({ startMs: Date.parse('2024-01-01T00:00:00Z'), stepMs: STEP, values });
      const cases: [string, number[]][] = [
        ['very short (10 points)', [5, 7, 6, 8, 9, 7, 6, 8, 7, 9]],
        ['constant (3 days)', new Array(3 * 288).fill(42)],
        ['all zeros (3 days)', new Array(3 * 288).fill(0)],
        ['one day and a bit', Array.from({ length: 300 }, (_, t) => 10 + (t % 288) / 10)],
      ];
      const refused = new Set(options.refuses ?? []);
      for (const [label, values] of cases.filter(([l]) => refused.has(l))) {
        it(`${label}: refused with an InputError that says why`, async () => {
          const error = await (await make()).fit(synthetic(values), fitOptions).then(() => null, (e: unknown) => e);
          expect(error).toBeInstanceOf(InputError);
          expect((error as InputError).message.length).toBeGreaterThan(0);
        });
      }
      for (const [label, values] of cases.filter(([l]) => !refused.has(l))) {
        it(label, async () => {
          const forecaster = await make();
          const f = (await forecaster.fit(synthetic(values), fitOptions)).predict(HORIZON);
          expectWellFormed(f, HORIZON, [80, 95], lastMs(synthetic(values)) + STEP);
          expectOrdered(f);
        });
      }

      it('NaN or Infinity in the input is an InputError, never a forecast', async () => {
        const values = CONTRACT_SERIES.values.slice();
        values[100] = Number.NaN;
        await expect((await make()).fit({ ...CONTRACT_SERIES, values }, fitOptions)).rejects.toThrow(InputError);
        values[100] = Number.POSITIVE_INFINITY;
        await expect((await make()).fit({ ...CONTRACT_SERIES, values }, fitOptions)).rejects.toThrow(InputError);
      });

      it('an empty series is an InputError', async () => {
        await expect((await make()).fit(synthetic([]), fitOptions)).rejects.toThrow(InputError);
      });
    });
  });
}
