/**
 * The settled-past read cache (src/metrics/past-cache.ts) over the real influxd (and the memory store): every
 * answer equals a direct read of the same range, while the store is asked only for the tail after the settle
 * line; the line moves with the data clock; late writes into the settled past show after `refreshMs` of wall
 * time; entries are bounded. Data: a week of the NASA-HTTP trace (5-minute load), Ready replicas sampled every
 * minute with a synthetic outage (gap), forecasts issued every step and a decision every step (synthetic).
 */
import { describe, expect, inject, it } from 'vitest';
import { ReplayClock } from '../../src/core/clock.js';
import { createInfluxV1Store } from '../../src/metrics/influx-v1.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { AsIssuedQuery, MetricPoint, MetricsStore, ScalingDecision, SeriesQuery } from '../../src/metrics/metrics-store.js';
import { cachePastReads } from '../../src/metrics/past-cache.js';
import { readTrace } from '../contract/metrics-store.contract.js';

const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 86_400_000;
const SETTLE = 15 * MIN;
const trace = readTrace('nasa_http_jul1995_5min.csv');
const T0 = trace[0]!.time;
const TARGET = 'nasa/web';

/** Every read the cache sends to the store, as [kind, from, to]. */
function recording(store: MetricsStore): { store: MetricsStore; reads: [string, number, number][] } {
  const reads: [string, number, number][] = [];
  return {
    reads,
    store: {
      ...store,
      readSeries: (q) => (reads.push(['series', q.from, q.to]), store.readSeries(q)),
      readForecastAsIssued: (q) => (reads.push(['as-issued', q.from, q.to]), store.readForecastAsIssued(q)),
      readDecisions: (t, from, to, f) => (reads.push(['decisions', from, to]), store.readDecisions(t, from, to, f)),
    },
  };
}

/** Load, Ready replicas (a sample a minute, none during a synthetic outage) and decisions for [from, to). */
async function writeSpan(store: MetricsStore, from: number, to: number): Promise<void> {
  const points: MetricPoint[] = [];
  const decisions: ScalingDecision[] = [];
  for (let t = from; t < to; t += MIN) {
    const row = trace[Math.floor((t - T0) / STEP)]!;
    if (t % STEP === 0) {
      points.push({ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: row.value }, time: t });
      decisions.push({ target: TARGET, time: t, mode: 'predictive', loop: 'plan', rule: `forecast ${row.value}`, previousReplicas: 3, desiredReplicas: 3 + ((t / STEP) % 3), applied: true, inputs: { load: row.value } });
    }
    const outage = t >= T0 + 2 * DAY && t < T0 + 2 * DAY + 3 * 3_600_000;
    if (!outage) points.push({ measurement: 'prescale_cluster', tags: { target: TARGET }, fields: { ready_replicas: 2 + Math.round(row.value / 40) }, time: t });
  }
  await store.writePoints(points);
  await store.writeDecisions(decisions);
  // A forecast issued 90 s before each step, six steps long: the as-issued read picks one per step.
  for (let s = from - from % STEP; s < to; s += STEP) {
    const mean = Array.from({ length: 6 }, (_, i) => trace[Math.floor((s - T0) / STEP) + i - 288]?.value ?? 100);
    await store.writeForecast({ target: TARGET, issuedAt: s - 90_000, model: 'snaive', startMs: s, stepMs: STEP, mean, intervals: [{ level: 80, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.2) }] });
  }
}

const load = (from: number, to: number): SeriesQuery => ({ measurement: 'http_requests', field: 'requests', tags: { service: 'web' }, from, to, stepMs: STEP, gap: 'null' });
const ready = (from: number, to: number): SeriesQuery => ({ measurement: 'prescale_cluster', field: 'ready_replicas', tags: { target: TARGET }, from, to, stepMs: STEP, aggregate: 'min', gap: 'previous' });
const asIssued = (from: number, to: number): AsIssuedQuery => ({ target: TARGET, from, to, leadMs: 90_000, stepMs: STEP, windowMs: 10 * MIN });

/** The same reads through the cache and straight from the store must agree. */
async function expectSame(cached: MetricsStore, direct: MetricsStore, from: number, to: number): Promise<void> {
  expect(await cached.readSeries(load(from, to))).toEqual(await direct.readSeries(load(from, to)));
  expect(await cached.readSeries(ready(from, to))).toEqual(await direct.readSeries(ready(from, to)));
  expect(await cached.readForecastAsIssued(asIssued(from, to))).toEqual(await direct.readForecastAsIssued(asIssued(from, to)));
  expect(await cached.readDecisions(TARGET, from, to + DAY, { changesOnly: true })).toEqual(await direct.readDecisions(TARGET, from, to + DAY, { changesOnly: true }));
}

let databases = 0;
const stores: [string, () => Promise<MetricsStore>][] = [
  [
    'influx-v1 (real influxd)',
    async () => {
      const store = createInfluxV1Store({ url: inject('influxUrl'), database: `it_past_cache_${process.pid}_${databases++}` });
      await store.ensureReady();
      return store;
    },
  ],
  ['memory', async () => createMemoryStore()],
];

describe.each(stores)('past cache over %s', (_name, makeStore) => {
  it('answers like the store while reading only the tail after the settle line, which moves with the data clock', async () => {
    const store = await makeStore();
    const now = T0 + 7 * DAY + 2 * MIN + 30_000;
    await writeSpan(store, T0, now);
    const clock = new ReplayClock(now);
    let wall = 0;
    const { store: counted, reads } = recording(store);
    const cache = cachePastReads(counted, { clock, settleMs: SETTLE, wallNow: () => wall });
    const from = now - 6 * DAY;

    await expectSame(cache, store, from, now);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 4, entries: 4 });
    expect(reads.every(([, f, t]) => f === from && (t === now || t === now + DAY))).toBe(true);

    // Again: each read asks only for the tail from the settle line (15 minutes back, whole cells).
    reads.length = 0;
    await expectSame(cache, store, from, now);
    const line = Math.floor((now - SETTLE) / STEP) * STEP;
    expect(reads).toEqual([
      ['series', line, now],
      ['series', line, now],
      ['as-issued', line, now],
      ['decisions', now - SETTLE, now + DAY],
    ]);
    expect(cache.stats().hits).toBe(4);

    // An hour later, with that hour written as the jobs would: the tail starts where the line had reached.
    const later = now + 3_600_000;
    await writeSpan(store, now - (now % MIN) + MIN, later);
    clock.advanceTo(later);
    wall += 60_000;
    reads.length = 0;
    await expectSame(cache, store, later - 6 * DAY, later);
    expect(reads.map(([kind, f]) => [kind, f])).toEqual([
      ['series', line],
      ['series', line],
      ['as-issued', line],
      ['decisions', now - SETTLE],
    ]);
    // A shorter window inside what is kept (the range picker's 6 hours) comes without any read of the past.
    reads.length = 0;
    await expectSame(cache, store, later - 6 * 3_600_000, later);
    expect(reads.every(([, f]) => f >= later - SETTLE - STEP)).toBe(true);
    // A window wholly in the settled past is answered from memory alone.
    reads.length = 0;
    expect(await cache.readSeries(load(from, from + DAY))).toEqual(await store.readSeries(load(from, from + DAY)));
    expect(reads).toEqual([]);
    await store.close();
  }, 120_000);

  it('sees late writes near now at once, late writes into the settled past after refreshMs; a wider window or a clock set back reads whole', async () => {
    const store = await makeStore();
    const now = T0 + 3 * DAY;
    await writeSpan(store, T0, now);
    const clock = new ReplayClock(now);
    let wall = 0;
    const { store: counted, reads } = recording(store);
    const cache = cachePastReads(counted, { clock, settleMs: SETTLE, refreshMs: 5 * MIN, wallNow: () => wall });
    const from = now - 2 * DAY;
    const first = await cache.readSeries(load(from, now));

    // Within the settle window: the next read has it.
    const recent = now - 2 * STEP;
    await store.writePoints([{ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: 99_999 }, time: recent }]);
    const second = await cache.readSeries(load(from, now));
    expect(second.values[(recent - first.startMs) / STEP]).toBe(99_999);

    // Into the settled past (a drained write buffer, a backfill): the kept cells answer until refreshMs has passed.
    const old = from + DAY;
    await store.writePoints([{ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: 77_777 }, time: old }]);
    expect((await cache.readSeries(load(from, now))).values[(old - first.startMs) / STEP]).toBe(first.values[(old - first.startMs) / STEP]);
    wall += 5 * MIN;
    reads.length = 0;
    expect((await cache.readSeries(load(from, now))).values[(old - first.startMs) / STEP]).toBe(77_777);
    expect(reads).toEqual([['series', from, now]]);

    // A window starting before the kept one is read whole, and so is everything after the clock is set back.
    reads.length = 0;
    expect(await cache.readSeries(load(from - DAY, now))).toEqual(await store.readSeries(load(from - DAY, now)));
    expect(reads).toEqual([['series', from - DAY, now]]);
    let clockNow = now - DAY;
    const settable = { now: () => clockNow, sleep: async () => undefined };
    const back = cachePastReads(counted, { clock: settable, settleMs: SETTLE, wallNow: () => wall });
    await back.readSeries(load(from - DAY, now - DAY));
    clockNow = now - 2 * DAY;
    reads.length = 0;
    expect(await back.readSeries(load(from - DAY, now - 2 * DAY))).toEqual(await store.readSeries(load(from - DAY, now - 2 * DAY)));
    expect(reads).toEqual([['series', from - DAY, now - 2 * DAY]]);
    await store.close();
  }, 120_000);

  it('carries the last kept value over an empty tail with gap previous, like one read of the whole range', async () => {
    const store = await makeStore();
    // Synthetic: one sample, then nothing for 9 days; `previous` carries it over the whole range.
    await store.writePoints([{ measurement: 'prescale_cluster', tags: { target: TARGET }, fields: { ready_replicas: 4 }, time: T0 }]);
    const clock = new ReplayClock(T0 + 8 * DAY);
    const cache = cachePastReads(store, { clock, settleMs: SETTLE });
    await cache.readSeries(ready(T0, T0 + 8 * DAY));
    clock.advanceTo(T0 + 9 * DAY);
    const answer = await cache.readSeries(ready(T0 + STEP, T0 + 9 * DAY));
    expect(answer).toEqual(await store.readSeries(ready(T0 + STEP, T0 + 9 * DAY)));
    expect(answer.values.every((v) => v === 4)).toBe(true);
    await store.close();
  }, 60_000);
});

describe('past cache bounds (memory store)', () => {
  it('keeps at most maxEntries series and maxItems items in all (least recently used go first); a larger read is not kept', async () => {
    const store = createMemoryStore();
    const now = T0 + 4 * DAY;
    await writeSpan(store, T0, now);
    const { store: counted, reads } = recording(store);
    const cache = cachePastReads(counted, { clock: new ReplayClock(now), settleMs: SETTLE, maxEntries: 3, maxItems: 600 });
    const q = (stepMs: number, days = 1): SeriesQuery => ({ ...load(now - days * DAY, now), stepMs });
    const readAgain = async (query: SeriesQuery) => {
      reads.length = 0;
      await cache.readSeries(query);
      return reads.length; // 1: read whole (not kept); 1 too for a tail read, so look at where it starts
    };
    const size = new Map<number, number>();
    const first = async (stepMs: number) => {
      const before = cache.stats().items;
      await cache.readSeries(q(stepMs));
      size.set(stepMs, cache.stats().items - before);
    };
    await first(STEP);
    await first(2 * STEP);
    await cache.readSeries(q(STEP)); // a hit: now the most recently used
    await first(3 * STEP);
    expect(size.get(STEP)).toBe(285); // a day of 5-minute cells less the last quarter hour
    expect(cache.stats()).toMatchObject({ entries: 3, items: size.get(STEP)! + size.get(2 * STEP)! + size.get(3 * STEP)!, hits: 1, misses: 3 });
    // A fourth series evicts the least recently used one, 2 * STEP.
    const before = cache.stats().items;
    await cache.readSeries(q(4 * STEP));
    expect(cache.stats()).toMatchObject({ entries: 3, items: before - size.get(2 * STEP)! + 71 });
    expect(await readAgain(q(2 * STEP))).toBe(1);
    expect(reads[0]![1]).toBe(now - DAY); // read whole again
    // Two days of 5-minute cells (573) fit the budget only alone: every other entry goes.
    await cache.readSeries(q(STEP, 2));
    expect(cache.stats()).toMatchObject({ entries: 1, items: 573 });
    // Three days (861) exceed it: answered, not kept, read whole every time.
    await cache.readSeries(q(STEP, 3));
    expect(await readAgain(q(STEP, 3))).toBe(1);
    expect(reads[0]![1]).toBe(now - 3 * DAY);
    expect(cache.stats().items).toBeLessThanOrEqual(600);
    // A decision weighs 32 cells: a day's changes (192) do not fit 600, an hour's (12) do.
    for (const [span, kept] of [[DAY, false], [3_600_000, true]] as const) {
      await cache.readDecisions(TARGET, now - span, now, { changesOnly: true });
      reads.length = 0;
      await cache.readDecisions(TARGET, now - span, now, { changesOnly: true });
      expect(reads[0]![1], `${span}`).toBe(kept ? now - SETTLE : now - span);
    }
  });
});
