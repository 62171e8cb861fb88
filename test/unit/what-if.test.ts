/**
 * The pure parts of what-if runs: run ids (format, parse, the data's end on the grid), the capacity lines'
 * downsampling (worst case per bucket, at most 2,000 points), and simulate()'s abort signal, on a day of the
 * NASA-HTTP trace. Synthetic rows are named as such.
 */
import { describe, expect, it } from 'vitest';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { tracePath } from '../../src/core/paths.js';
import { simulate, type SimulationResult, type SimulationRow } from '../../src/simulator/replay.js';
import { capacityLines, MAX_LINE_POINTS } from '../../src/what-if/capacity-lines.js';
import { parseWhatIfId, whatIfEndMs, whatIfId } from '../../src/what-if/what-if-id.js';
import { seriesToTrace } from '../../src/what-if/what-if.js';

const STEP = 300_000;

describe('what-if run ids', () => {
  it('round-trip, and refuse what is not one', () => {
    const key = { namespace: 'shop.eu', name: 'web-1', days: 14, endMs: 1_795_770_000_000 };
    expect(whatIfId(key)).toBe('shop.eu_web-1_14d_1795770000000');
    expect(parseWhatIfId(whatIfId(key))).toEqual(key);
    for (const bad of ['', 'shop_web_3d', 'shop_web_0d_1', 'shop_web_3d_x', 'Shop_web_3d_1', 'shop_web_3d_1:2', 'a_b_c_3d_1']) expect(parseWhatIfId(bad)).toBeNull();
  });

  it('end at the last complete step, or after the newest sample when the data stopped', () => {
    const now = 1_000 * STEP + 90_000;
    expect(whatIfEndMs(now, now - 10_000, STEP)).toBe(1_000 * STEP);
    // The newest sample is two steps old: the id stays the same as time passes.
    expect(whatIfEndMs(now, 997 * STEP + 5_000, STEP)).toBe(998 * STEP);
    expect(whatIfEndMs(now + 10 * STEP, 997 * STEP + 5_000, STEP)).toBe(998 * STEP);
  });
});

describe('capacity lines', () => {
  /** Synthetic rows: minute i has demand i, ready replicas 100 - i % 7, desired 100 + i % 5. */
  const rows = (policy: string, n: number): SimulationRow[] =>
    Array.from({ length: n }, (_, i) => ({ timestamp: i * 60_000, policy, demand: i, desiredReplicas: 100 + (i % 5), readyReplicas: 100 - (i % 7), capacity: 0, nodes: 1, mode: 'x' }));
  const result = (policy: 'prescale' | 'hpa', n: number): SimulationResult => ({ policy, rows: rows(policy, n), notes: [] });

  it('keeps every minute when they fit', () => {
    const lines = capacityLines([result('prescale', 10), result('hpa', 10)]);
    expect(lines.bucketMs).toBe(60_000);
    expect(lines.times).toEqual(rows('x', 10).map((r) => r.timestamp));
    expect(lines.replicas['hpa']!.ready).toEqual(rows('x', 10).map((r) => r.readyReplicas));
  });

  it('downsamples 14 days of minutes to at most 2,000 buckets, each its worst case', () => {
    const n = 14 * 1440;
    const lines = capacityLines([result('prescale', n), result('hpa', n)]);
    const per = Math.ceil(n / MAX_LINE_POINTS);
    expect(lines.times.length).toBeLessThanOrEqual(MAX_LINE_POINTS);
    expect(lines.times.length).toBe(Math.ceil(n / per));
    expect(lines.bucketMs).toBe(per * 60_000);
    const r = rows('x', n);
    const bucket = (i: number) => r.slice(i * per, (i + 1) * per);
    for (const i of [0, 1, 500, lines.times.length - 1]) {
      expect(lines.demand[i]).toBe(Math.max(...bucket(i).map((x) => x.demand)));
      expect(lines.replicas['prescale']!.ready[i]).toBe(Math.min(...bucket(i).map((x) => x.readyReplicas)));
      expect(lines.replicas['prescale']!.desired[i]).toBe(Math.max(...bucket(i).map((x) => x.desiredReplicas)));
    }
  });

  it('refuses policies replayed over different minutes', () => {
    expect(() => capacityLines([result('prescale', 10), result('hpa', 9)])).toThrow(/rows/);
  });
});

describe('simulate() with an abort signal (NASA-HTTP, one day)', () => {
  const { series } = readCsvTrace(tracePath('nasa_http_jul1995_5min.csv'));
  const trace = seriesToTrace({ startMs: series.startMs, stepMs: STEP, values: series.values.slice(0, 288) }, 'nasa');

  it('gives the same rows with a signal that never fires', async () => {
    const plain = await simulate('hpa', { trace, capacityPerReplica: 20 });
    const signalled = await simulate('hpa', { trace, capacityPerReplica: 20, signal: new AbortController().signal });
    expect(signalled.rows).toEqual(plain.rows);
  });

  it('stops with the signal\'s reason when aborted mid-replay', async () => {
    const controller = new AbortController();
    let days = 0;
    const run = simulate('hpa', { trace, capacityPerReplica: 20, signal: controller.signal, onProgress: () => void days++ });
    setImmediate(() => controller.abort(new Error('budget spent')));
    await expect(run).rejects.toThrow('budget spent');
    expect(days).toBe(0);
  });
});
