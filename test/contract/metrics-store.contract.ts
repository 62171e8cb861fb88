/**
 * The MetricsStore contract: every implementation (memory, influx-v1 against real influxd) runs this same suite.
 * `makeStore` must return a ready, empty store (a fresh database) on every call.
 *
 * Round trip, downsampling and large writes use a real trace (NASA-HTTP July 1995, requests per 5 minutes, see
 * data/traces/README.md); gaps and bad input use small synthetic series, named as such.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';
import type { MetricPoint, MetricsStore, ScalingDecision, StoredForecast } from '../../src/metrics/metrics-store.js';

const MIN = 60_000;
const STEP = 5 * MIN;

/** The real trace's rows as (epoch ms, value). */
export function readTrace(file: string): { time: number; value: number }[] {
  return readFileSync(tracePath(file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [timestamp, value] = line.split(',');
      return { time: Date.parse(timestamp!), value: Number(value) };
    });
}

const nasa = readTrace('nasa_http_jul1995_5min.csv');

const toPoints = (rows: { time: number; value: number }[], tags: Record<string, string> = { service: 'nasa-http' }): MetricPoint[] =>
  rows.map((r) => ({ measurement: 'http_requests', tags, fields: { requests: r.value }, time: r.time }));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function metricsStoreContract(name: string, makeStore: () => Promise<MetricsStore>): void {
  describe(`MetricsStore contract: ${name}`, () => {
    let store: MetricsStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('reads back what it wrote on the same grid (real trace, one day)', async () => {
      const day = nasa.slice(0, 288);
      await store.writePoints(toPoints(day));
      const first = day[0]!.time;
      const series = await store.readSeries({ measurement: 'http_requests', field: 'requests', tags: { service: 'nasa-http' }, from: first, to: first + 288 * STEP, stepMs: STEP });
      expect(series.startMs).toBe(first);
      expect(series.stepMs).toBe(STEP);
      expect(series.values).toEqual(day.map((r) => r.value));
    });

    it('downsamples with each aggregate (real trace, 1 h cells)', async () => {
      const rows = nasa.slice(0, 24 * 12 + 7);
      await store.writePoints(toPoints(rows));
      // The trace starts at 04:05, so the first hour cell (04:00) holds 11 samples: the grid is epoch-aligned.
      const from = rows[0]!.time;
      const to = rows[rows.length - 1]!.time + STEP;
      const hour = 60 * MIN;
      const startMs = Math.floor(from / hour) * hour;
      const cells: number[][] = [];
      for (const r of rows) (cells[Math.floor((r.time - startMs) / hour)] ??= []).push(r.value);
      const expected = {
        mean: cells.map(mean),
        max: cells.map((c) => Math.max(...c)),
        min: cells.map((c) => Math.min(...c)),
        sum: cells.map((c) => c.reduce((a, b) => a + b, 0)),
        last: cells.map((c) => c[c.length - 1]!),
      };
      for (const aggregate of ['mean', 'max', 'min', 'sum', 'last'] as const) {
        const series = await store.readSeries({ measurement: 'http_requests', field: 'requests', from, to, stepMs: hour, aggregate });
        expect(series.startMs, aggregate).toBe(startMs);
        expect(series.values.length, aggregate).toBe(expected[aggregate].length);
        series.values.forEach((v, i) => expect(v, `${aggregate}[${i}]`).toBeCloseTo(expected[aggregate][i]!, 6));
      }
      expect(cells[0]!.length).toBe(11);
    });

    describe('gap policies (synthetic series with holes)', () => {
      // synthetic: cells 0..9 of 1 minute, values at 2, 3 and 7 only; one value before the range at -3.
      const t0 = Date.UTC(2026, 0, 5, 12, 0);
      const synthetic: MetricPoint[] = [
        { measurement: 'synthetic_gaps', tags: { pod: 'a' }, fields: { v: 5 }, time: t0 - 3 * MIN },
        { measurement: 'synthetic_gaps', tags: { pod: 'a' }, fields: { v: 10 }, time: t0 + 2 * MIN },
        { measurement: 'synthetic_gaps', tags: { pod: 'a' }, fields: { v: 20 }, time: t0 + 3 * MIN },
        { measurement: 'synthetic_gaps', tags: { pod: 'a' }, fields: { v: 40 }, time: t0 + 7 * MIN },
      ];
      const read = (gap: 'null' | 'previous' | 'zero' | 'linear', from = t0) =>
        store.readSeries({ measurement: 'synthetic_gaps', field: 'v', from, to: t0 + 10 * MIN, stepMs: MIN, gap }).then((s) => s.values);

      it('null leaves empty cells null', async () => {
        await store.writePoints(synthetic);
        expect(await read('null')).toEqual([null, null, 10, 20, null, null, null, 40, null, null]);
      });
      it('zero fills with 0', async () => {
        await store.writePoints(synthetic);
        expect(await read('zero')).toEqual([0, 0, 10, 20, 0, 0, 0, 40, 0, 0]);
      });
      it('previous carries the last value forward, seeded from before the range', async () => {
        await store.writePoints(synthetic);
        expect(await read('previous')).toEqual([5, 5, 10, 20, 20, 20, 20, 40, 40, 40]);
      });
      it('linear interpolates inside gaps and leaves the ends null (nothing to interpolate towards)', async () => {
        await store.writePoints(synthetic);
        expect(await read('linear')).toEqual([null, null, 10, 20, 25, 30, 35, 40, null, null]);
      });
      it('previous with nothing in the week before the range leaves the leading cells null', async () => {
        await store.writePoints(synthetic.slice(1));
        expect(await read('previous')).toEqual([null, null, 10, 20, 20, 20, 20, 40, 40, 40]);
      });
      it('an empty range stays null under every policy when nothing precedes it', async () => {
        const far = Date.UTC(2030, 0, 1);
        for (const gap of ['null', 'previous', 'zero', 'linear'] as const) {
          const s = await store.readSeries({ measurement: 'synthetic_gaps', field: 'v', from: far, to: far + 3 * MIN, stepMs: MIN, gap });
          expect(s.values, gap).toEqual(gap === 'zero' ? [0, 0, 0] : [null, null, null]);
        }
      });
    });

    it('filters by tags and aggregates across the series a partial filter matches', async () => {
      const rows = nasa.slice(0, 12);
      await store.writePoints([
        ...toPoints(rows, { service: 'nasa-http', zone: 'a' }),
        ...toPoints(rows.map((r) => ({ ...r, value: r.value * 2 })), { service: 'nasa-http', zone: 'b' }),
        ...toPoints(rows.map((r) => ({ ...r, value: 1 })), { service: 'other', zone: 'a' }),
      ]);
      const from = rows[0]!.time;
      const q = { measurement: 'http_requests', field: 'requests', from, to: from + 12 * STEP, stepMs: STEP };
      expect((await store.readSeries({ ...q, tags: { service: 'nasa-http', zone: 'b' } })).values).toEqual(rows.map((r) => r.value * 2));
      expect((await store.readSeries({ ...q, tags: { service: 'nasa-http' }, aggregate: 'sum' })).values).toEqual(rows.map((r) => r.value * 3));
      expect((await store.readSeries({ ...q, tags: { service: 'other' } })).values).toEqual(rows.map(() => 1));
      expect((await store.readSeries({ ...q, tags: { service: 'missing' } })).values).toEqual(rows.map(() => null));
    });

    it('keeps tag values with spaces, quotes, commas and dollars apart', async () => {
      const t = Date.UTC(2026, 0, 1);
      const odd = { app: "shop's web, eu=1", note: 'a "b" c', price: 'costs $5, not ${five}' };
      await store.writePoints([{ measurement: 'odd names', tags: odd, fields: { 'field with space': 3 }, time: t }]);
      const s = await store.readSeries({ measurement: 'odd names', field: 'field with space', tags: odd, from: t, to: t + MIN, stepMs: MIN });
      expect(s.values).toEqual([3]);
    });

    it('writes many points in one call (real trace, whole month) and reads them all back', async () => {
      await store.writePoints(toPoints(nasa));
      const from = nasa[0]!.time;
      const to = nasa[nasa.length - 1]!.time + STEP;
      const s = await store.readSeries({ measurement: 'http_requests', field: 'requests', from, to, stepMs: STEP });
      expect(s.values.length).toBe(Math.ceil((to - from) / STEP));
      const byTime = new Map(nasa.map((r) => [r.time, r.value]));
      s.values.forEach((v, i) => {
        const expected = byTime.get(s.startMs + i * STEP);
        expect(v).toBe(expected ?? null);
      });
      expect(s.values.filter((v) => v !== null).length).toBe(nasa.length);
    });

    it('overwrites a point written twice at the same time and tags', async () => {
      const t = Date.UTC(2026, 0, 1);
      await store.writePoints([{ measurement: 'm', tags: { a: 'x' }, fields: { v: 1, w: 7 }, time: t }]);
      await store.writePoints([{ measurement: 'm', tags: { a: 'x' }, fields: { v: 2 }, time: t }]);
      const q = { measurement: 'm', tags: { a: 'x' }, from: t, to: t + MIN, stepMs: MIN };
      expect((await store.readSeries({ ...q, field: 'v' })).values).toEqual([2]);
      expect((await store.readSeries({ ...q, field: 'w' })).values).toEqual([7]);
    });

    it('latest gives the newest point at or before `at` within the lookback', async () => {
      const rows = nasa.slice(100, 110);
      await store.writePoints(toPoints(rows));
      const q = { measurement: 'http_requests', field: 'requests', tags: { service: 'nasa-http' } };
      expect(await store.latest({ ...q, at: rows[5]!.time, lookbackMs: 30 * MIN })).toEqual({ time: rows[5]!.time, value: rows[5]!.value });
      expect(await store.latest({ ...q, at: rows[5]!.time + 2 * MIN, lookbackMs: 30 * MIN })).toEqual({ time: rows[5]!.time, value: rows[5]!.value });
      expect(await store.latest({ ...q, at: rows[9]!.time + 60 * MIN, lookbackMs: 30 * MIN })).toBeNull();
      expect(await store.latest({ ...q, tags: { service: 'missing' }, at: rows[5]!.time, lookbackMs: 30 * MIN })).toBeNull();
      await expect(store.latest({ ...q, at: rows[5]!.time, lookbackMs: 0 })).rejects.toThrow('query.lookbackMs');
      await expect(store.latest({ ...q, measurement: '', at: rows[5]!.time, lookbackMs: MIN })).rejects.toThrow(InputError);
    });

    describe('forecasts', () => {
      const t0 = Date.UTC(2026, 0, 10);
      const forecast = (issuedAt: number, startMs: number, mean: number[], model = 'seasonal-naive'): StoredForecast => ({
        target: 'shop/web',
        issuedAt,
        model,
        startMs,
        stepMs: STEP,
        mean,
        intervals: [
          { level: 80, lower: mean.map((m) => m - 10), upper: mean.map((m) => m + 10) },
          { level: 95, lower: mean.map((m) => m - 20), upper: mean.map((m) => m + 20) },
        ],
      });

      it('round-trips a forecast with its bounds, model and issue time', async () => {
        await store.writeForecast(forecast(t0 - STEP, t0, [100, 110, 120]));
        const points = await store.readForecast('shop/web', t0, t0 + 3 * STEP);
        expect(points).toEqual([100, 110, 120].map((m, i) => ({
          time: t0 + i * STEP, mean: m, lo80: m - 10, hi80: m + 10, lo95: m - 20, hi95: m + 20, model: 'seasonal-naive', issuedAt: t0 - STEP,
        })));
        expect(await store.readForecast('other/target', t0, t0 + 3 * STEP)).toEqual([]);
      });

      it('returns the latest issued forecast per timestamp, whatever the write order', async () => {
        await store.writeForecast(forecast(t0, t0 + STEP, [200, 210, 220], 'holt-winters'));
        // An older forecast arriving late must not replace the newer one where they overlap.
        await store.writeForecast(forecast(t0 - STEP, t0, [100, 110, 120, 130]));
        const points = await store.readForecast('shop/web', t0, t0 + 10 * STEP);
        expect(points.map((p) => [p.mean, p.model, p.issuedAt])).toEqual([
          [100, 'seasonal-naive', t0 - STEP],
          [200, 'holt-winters', t0],
          [210, 'holt-winters', t0],
          [220, 'holt-winters', t0],
        ]);
        expect((await store.readForecast('shop/web', t0 + STEP, t0 + 2 * STEP)).map((p) => p.time)).toEqual([t0 + STEP]);
      });

      describe('as issued one lead earlier', () => {
        // Forecasts issued every minute from t0 - 10 min to t0 + 10 min, each covering the next 5-minute steps up to
        // t0 + 25 min with mean = the issue's minute offset * 1000 + the step's index: every point says who made it.
        const issues = Array.from({ length: 21 }, (_, k) => t0 + (k - 10) * MIN);
        const writeAll = async () => {
          for (const issuedAt of issues) {
            const startMs = Math.floor(issuedAt / STEP) * STEP + STEP;
            const steps = Math.round((t0 + 25 * MIN - startMs) / STEP);
            const offset = (issuedAt - t0) / MIN;
            await store.writeForecast({ ...forecast(issuedAt, startMs, Array.from({ length: steps }, (_, i) => offset * 1000 + i)), model: `m${offset}` });
          }
        };
        /** What a correct store returns: per timestamp the latest issue at least `lead` before it. */
        const expected = (time: number, lead: number) => {
          const issuedAt = Math.max(...issues.filter((i) => i <= time - lead && Math.floor(i / STEP) * STEP + STEP <= time));
          const offset = (issuedAt - t0) / MIN;
          return { time, issuedAt, mean: offset * 1000 + (time - (Math.floor(issuedAt / STEP) * STEP + STEP)) / STEP, model: `m${offset}` };
        };

        it('picks, per timestamp, the latest forecast issued at least the lead earlier (with its bounds)', async () => {
          await writeAll();
          for (const lead of [90_000, 4 * MIN, 8 * MIN]) {
            const points = await store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0 + 20 * MIN, leadMs: lead, stepMs: STEP });
            const want = [0, 1, 2, 3].map((k) => expected(t0 + k * STEP, lead));
            expect(points.map((p) => ({ time: p.time, issuedAt: p.issuedAt, mean: p.mean, model: p.model })), `lead ${lead}`).toEqual(want);
            expect(points.map((p) => [p.lo80, p.hi95]), `lead ${lead}`).toEqual(want.map((w) => [w.mean - 10, w.mean + 20]));
          }
          // A window keeps only issues 90..120 s old: the one 2 minutes before each point (none for t0 + 15 min,
          // where issuing had stopped); with a 20 s window nothing qualifies.
          const windowed = await store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0 + 20 * MIN, leadMs: 90_000, windowMs: 30_000, stepMs: STEP });
          expect(windowed.map((p) => [p.time, p.issuedAt])).toEqual([0, 1, 2].map((k) => [t0 + k * STEP, t0 + k * STEP - 2 * MIN]));
          const narrow = await store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0 + 20 * MIN, leadMs: 90_000, windowMs: 20_000, stepMs: STEP });
          expect(narrow).toEqual([]);
          // The latest-issue read is hindsight: for t0 + 15 min it holds the forecast issued 1 minute before.
          const latest = await store.readForecast('shop/web', t0 + 15 * MIN, t0 + 15 * MIN + 1);
          expect(latest.map((p) => p.issuedAt)).toEqual([t0 + 10 * MIN]);
        });

        it('is empty where no forecast was issued early enough, and for other targets', async () => {
          await writeAll();
          // Nothing was issued before t0 - 10 min, so a 30-minute lead finds nothing for t0 .. t0 + 15 min.
          expect(await store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0 + 20 * MIN, leadMs: 30 * MIN, stepMs: STEP })).toEqual([]);
          expect(await store.readForecastAsIssued({ target: 'other/target', from: t0, to: t0 + 20 * MIN, leadMs: 0, stepMs: STEP })).toEqual([]);
          await expect(store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0 + MIN, leadMs: -1, stepMs: STEP })).rejects.toThrow('query.leadMs');
          await expect(store.readForecastAsIssued({ target: 'shop/web', from: t0, to: t0, leadMs: 0, stepMs: STEP })).rejects.toThrow(InputError);
        });
      });
    });

    describe('decisions', () => {
      const t0 = Date.UTC(2026, 0, 10, 8);
      const decision = (over: Partial<ScalingDecision>): ScalingDecision => ({
        target: 'shop/web',
        time: t0,
        mode: 'predictive',
        loop: 'plan',
        rule: 'forecast P90 1840 rps / 200 per replica',
        previousReplicas: 4,
        desiredReplicas: 10,
        applied: true,
        inputs: { forecastMean: 1500, forecastHi80: 1840, liveLoad: 900.5 },
        ...over,
      });

      it('round-trips decisions with strings, booleans, node pool and inputs, in time order', async () => {
        const written = [
          decision({ time: t0 + MIN, mode: 'reactive', rule: 'reactive: cpu 93% > 80%', applied: false, notes: 'calendar "black-friday",\nline two', nodePool: 'pool-a', previousNodes: 2, desiredNodes: 3 }),
          decision({}),
          decision({ target: 'shop/api', inputs: {} }),
        ];
        await store.writeDecisions(written);
        expect(await store.readDecisions('shop/web', t0, t0 + 10 * MIN)).toEqual([written[1], written[0]]);
        expect(await store.readDecisions(undefined, t0, t0 + 10 * MIN)).toEqual([written[2], written[1], written[0]]);
        expect(await store.readDecisions('shop/web', t0 + MIN, t0 + 10 * MIN)).toEqual([written[0]]);
        expect(await store.readDecisions('nobody', t0, t0 + 10 * MIN)).toEqual([]);
      });

      it('keeps a plan and a reactive decision of the same instant apart; loop defaults to plan', async () => {
        const { loop: _loop, ...withoutLoop } = decision({ time: t0 + 2 * MIN });
        const reactive = decision({ time: t0 + 2 * MIN, loop: 'reactive', rule: 'reactive: load 2100 > 1900', desiredReplicas: 12 });
        await store.writeDecisions([withoutLoop, reactive]);
        const read = await store.readDecisions('shop/web', t0 + 2 * MIN, t0 + 3 * MIN);
        expect(read).toEqual([{ ...withoutLoop, loop: 'plan' }, reactive]);
      });

      it('round-trips actuation, published and the conflict mode; older records without them read back without them', async () => {
        const t = t0 + 5 * MIN;
        const written = [
          decision({ time: t, actuation: 'hpa', published: true, applied: false, notes: 'published for the HPA (external metric prescale-planned-replicas)' }),
          decision({ time: t + MIN, actuation: 'keda', published: false, applied: false, desiredReplicas: 4 }),
          decision({ time: t + 2 * MIN, mode: 'conflict', actuation: 'direct', published: false, applied: false, notes: 'conflict: HorizontalPodAutoscaler shop/web-hpa also scales Deployment shop/web' }),
          decision({ time: t + 3 * MIN }),
        ];
        await store.writeDecisions(written);
        const read = await store.readDecisions('shop/web', t, t + 4 * MIN);
        expect(read).toEqual(written);
        expect(read.map((d) => [d.actuation, d.published])).toEqual([['hpa', true], ['keda', false], ['direct', false], [undefined, undefined]]);
      });

      it('round-trips the error budget a decision spent and left; older records without it read back without it', async () => {
        const t = t0 + 20 * MIN;
        const withBudget = decision({ time: t, budget: { budget: 0.001, windowMs: 7 * 86_400_000, spent: 0.000_396_8, left: 0.000_603_2 } });
        const overspent = decision({ time: t + MIN, budget: { budget: 0.001, windowMs: 3_600_000, spent: 0.05, left: -0.049 } });
        const older = decision({ time: t + 2 * MIN });
        await store.writeDecisions([withBudget, overspent, older]);
        const read = await store.readDecisions('shop/web', t, t + 3 * MIN);
        expect(read).toEqual([withBudget, overspent, older]);
        expect(read.map((d) => d.budget?.left)).toEqual([0.000_603_2, -0.049, undefined]);
        expect(read[2]).not.toHaveProperty('budget');
      });

      it('reads only the decisions that changed replicas or nodes when asked', async () => {
        const same = decision({ time: t0 + 3 * MIN, previousReplicas: 10, desiredReplicas: 10, applied: false });
        const up = decision({ time: t0 + 4 * MIN, previousReplicas: 10, desiredReplicas: 12 });
        const poolSame = decision({ target: 'nodepool/a', time: t0 + 5 * MIN, previousReplicas: 12, desiredReplicas: 12, nodePool: 'a', previousNodes: 3, desiredNodes: 3 });
        const poolUp = decision({ target: 'nodepool/a', time: t0 + 6 * MIN, previousReplicas: 12, desiredReplicas: 12, nodePool: 'a', previousNodes: 3, desiredNodes: 4 });
        await store.writeDecisions([same, up, poolSame, poolUp]);
        expect(await store.readDecisions(undefined, t0, t0 + 10 * MIN, { changesOnly: true })).toEqual([up, poolUp]);
        expect(await store.readDecisions('shop/web', t0, t0 + 10 * MIN, { changesOnly: true })).toEqual([up]);
        expect(await store.readDecisions('shop/web', t0, t0 + 10 * MIN, { changesOnly: false })).toEqual([same, up]);
      });
    });

    describe('bad input is rejected before anything is written', () => {
      const t = Date.UTC(2026, 0, 1);
      const good = (i: number): MetricPoint => ({ measurement: 'bad_input', tags: {}, fields: { v: i }, time: t + i * MIN });
      const readAll = () => store.readSeries({ measurement: 'bad_input', field: 'v', from: t, to: t + 10 * MIN, stepMs: MIN }).then((s) => s.values);

      it('a NaN field fails the whole call with the point index', async () => {
        const batch = [good(0), good(1), { ...good(2), fields: { v: Number.NaN } }, good(3)];
        await expect(store.writePoints(batch)).rejects.toThrow(InputError);
        await expect(store.writePoints(batch)).rejects.toThrow('points[2].fields.v');
        expect((await readAll()).every((v) => v === null)).toBe(true);
      });

      it('an empty measurement, empty fields or empty tag value fail with the field path', async () => {
        await expect(store.writePoints([good(0), { ...good(1), measurement: '' }])).rejects.toThrow('points[1].measurement');
        await expect(store.writePoints([{ ...good(1), fields: {} }])).rejects.toThrow('points[0].fields');
        await expect(store.writePoints([{ ...good(1), tags: { zone: '' } }])).rejects.toThrow('points[0].tags.zone');
        await expect(store.writePoints([{ ...good(1), time: Number.POSITIVE_INFINITY }])).rejects.toThrow('points[0].time');
        expect((await readAll()).every((v) => v === null)).toBe(true);
      });

      it('a bad forecast or decision is rejected whole', async () => {
        const f: StoredForecast = { target: 'x', issuedAt: t, model: 'm', startMs: t, stepMs: MIN, mean: [1, Number.NaN], intervals: [] };
        await expect(store.writeForecast(f)).rejects.toThrow('forecast.mean[1]');
        await expect(store.writeForecast({ ...f, mean: [1, 2], intervals: [{ level: 80, lower: [0], upper: [2, 3] }] })).rejects.toThrow('forecast.intervals[0].lower');
        expect(await store.readForecast('x', t, t + 10 * MIN)).toEqual([]);
        const d = decision0(t);
        await expect(store.writeDecisions([d, { ...d, time: t + MIN, inputs: { load: Number.NaN } }])).rejects.toThrow('decisions[1].inputs.load');
        await expect(store.writeDecisions([d, { ...d, time: t + MIN, actuation: 'argo' as never }])).rejects.toThrow('decisions[1].actuation');
        await expect(store.writeDecisions([d, { ...d, time: t + MIN, published: 'yes' as never }])).rejects.toThrow('decisions[1].published');
        await expect(store.writeDecisions([d, { ...d, time: t + MIN, budget: { budget: 0.001, windowMs: 604_800_000, spent: Number.NaN, left: 0.001 } }])).rejects.toThrow('decisions[1].budget.spent');
        await expect(store.writeDecisions([{ ...d, mode: 'fighting' as never }])).rejects.toThrow('decisions[0].mode');
        expect(await store.readDecisions(undefined, t, t + 10 * MIN)).toEqual([]);
      });

      it('a nonsensical read is an InputError', async () => {
        await expect(store.readSeries({ measurement: 'bad_input', field: 'v', from: t, to: t, stepMs: MIN })).rejects.toThrow(InputError);
        await expect(store.readSeries({ measurement: 'bad_input', field: 'v', from: t, to: t + MIN, stepMs: 0 })).rejects.toThrow('stepMs');
      });
    });
  });
}

function decision0(t: number): ScalingDecision {
  return { target: 'x', time: t, mode: 'reactive', loop: 'reactive', rule: 'r', previousReplicas: 1, desiredReplicas: 2, applied: true, inputs: {} };
}

/** The optional batched live-load read (MetricsStore.latestPerSeries), for the stores that offer it. */
export function latestPerSeriesContract(name: string, makeStore: () => Promise<MetricsStore>): void {
  describe(`MetricsStore latestPerSeries: ${name}`, () => {
    let store: MetricsStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('gives each series its newest point, as latest would per series', async () => {
      const rows = nasa.slice(200, 212);
      const services = ['a', 'b b', 'c'];
      // Series a and "b b" hold the trace (b shifted by a step); c only old points.
      await store.writePoints(toPoints(rows, { service: 'a' }));
      await store.writePoints(toPoints(rows.slice(0, 11).map((r) => ({ ...r, time: r.time + STEP })), { service: 'b b' }));
      await store.writePoints(toPoints(rows.slice(0, 2), { service: 'c' }));
      const at = rows[10]!.time + MIN;
      const q = { measurement: 'http_requests', field: 'requests', at, lookbackMs: 30 * MIN };
      const batch = await store.latestPerSeries!({ ...q, groupBy: ['service'] });
      const expected = await Promise.all(services.map(async (service) => ({ service, sample: await store.latest({ ...q, tags: { service } }) })));
      expect(batch.sort((x, y) => x.tags['service']!.localeCompare(y.tags['service']!))).toEqual(
        expected.filter((e) => e.sample !== null).map((e) => ({ tags: { service: e.service }, ...e.sample! })),
      );
      expect(batch.map((b) => b.tags['service'])).toEqual(['a', 'b b']);
      // Only the series asked for.
      const some = await store.latestPerSeries!({ ...q, groupBy: ['service'], match: [{ service: 'b b' }, { service: 'c' }] });
      expect(some).toEqual(batch.filter((b) => b.tags['service'] === 'b b'));
    });

  });
}
