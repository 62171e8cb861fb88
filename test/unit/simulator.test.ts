/**
 * The replay simulator: the oracle never under-provisions a real trace, the HPA is late on a step, prescale
 * behaves like the HPA while it learns, the forecasts never see the future, and the scores are exactly what
 * the rows say.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { tracePath } from '../../src/core/paths.js';
import { ForecastFeed } from '../../src/simulator/forecast-feed.js';
import { simulate, type SimulationRow } from '../../src/simulator/replay.js';
import { CSV_HEADER, rowToCsv, summarize } from '../../src/simulator/summary.js';
import { demandAt, maxDemandOver, parseTrace } from '../../src/simulator/trace.js';

const MIN = 60_000;

function realTraceText(file: string): string {
  return readFileSync(tracePath(file), 'utf8');
}

/** The first `rows` rows of a real trace (NAB AWS ELB request count, 5-minute steps). */
function elbSlice(rows: number) {
  const lines = realTraceText('nab_elb_request_count_5min.csv').trim().split('\n');
  return parseTrace(lines.slice(0, rows + 1).join('\n'), 'nab_elb_request_count_5min.csv (slice)');
}

/** A synthetic step: 40 load units for an hour, then 400 for an hour. */
function syntheticStep() {
  const start = Date.UTC(2026, 0, 5);
  const lines = ['timestamp,value'];
  for (let i = 0; i < 24; i++) lines.push(`${new Date(start + i * 5 * MIN).toISOString()},${i < 12 ? 40 : 400}`);
  return parseTrace(lines.join('\n'), 'synthetic step');
}

describe('demand trace', () => {
  it('is a step function of its points and ends one step after the last', () => {
    const trace = syntheticStep();
    const stepAt = trace.times[12]!;
    expect(demandAt(trace, stepAt - 1)).toBe(40);
    expect(demandAt(trace, stepAt)).toBe(400);
    expect(demandAt(trace, trace.endMs)).toBe(0);
    expect(trace.endMs).toBe(trace.times[23]! + 5 * MIN);
    expect(maxDemandOver(trace, stepAt - 10 * MIN, stepAt - 1)).toBe(40);
    expect(maxDemandOver(trace, stepAt - 10 * MIN, stepAt)).toBe(400);
  });

  it('rejects a negative demand at its line and a bad timestamp with file:line', () => {
    expect(() => parseTrace('timestamp,value\n2026-01-05T00:00:00Z,3\n2026-01-05T00:05:00Z,-2\n', 'bad.csv')).toThrow(/bad\.csv:3.*negative/);
    expect(() => parseTrace('timestamp,value\nyesterday,3\n2026-01-05T00:05:00Z,2\n', 'bad.csv')).toThrow(InputError);
  });
});

describe('scores', () => {
  it('are computed from the rows: minutes with demand > capacity, replicas asked for / 60, 1 - served / capacity', () => {
    const row = (demand: number, desired: number, ready: number): SimulationRow => ({ timestamp: 0, policy: 'x', demand, desiredReplicas: desired, readyReplicas: ready, capacity: ready * 10, nodes: 1, mode: 'm' });
    const summary = summarize('x', [row(50, 6, 6), row(80, 6, 6), row(30, 4, 2)]);
    expect(summary.underProvisionedMinutes).toBe(2); // 80 > 60, 30 > 20
    expect(summary.replicaHours).toBeCloseTo(16 / 60, 12);
    // served 50 + 60 + 20 = 130 of capacity 60 + 60 + 20 = 140.
    expect(summary.slack).toBeCloseTo(1 - 130 / 140, 12);
    expect(CSV_HEADER).toBe('timestamp,policy,demand,desired_replicas,ready_replicas,capacity,nodes,mode');
    expect(rowToCsv({ ...row(50.5, 6, 6), timestamp: Date.UTC(2026, 0, 5) })).toBe('2026-01-05T00:00:00.000Z,x,50.5,6,6,60,1,m');
  });
});

describe('policies', () => {
  it('oracle: never under-provisioned on a real trace, and cheaper than the HPA', async () => {
    const trace = elbSlice(600);
    const oracle = summarize('oracle', (await simulate('oracle', { trace, capacityPerReplica: 6.8 })).rows);
    const hpa = summarize('hpa', (await simulate('hpa', { trace, capacityPerReplica: 6.8 })).rows);
    expect(oracle.underProvisionedMinutes).toBe(0);
    expect(oracle.replicaHours).toBeLessThan(hpa.replicaHours);
    expect(hpa.underProvisionedMinutes).toBeGreaterThan(0);
  });

  it('hpa: under-provisioned after a step until new pods (and nodes) are Ready', async () => {
    const trace = syntheticStep();
    const { rows } = await simulate('hpa', { trace, capacityPerReplica: 10 });
    const stepAt = trace.times[12]!;
    const before = rows.filter((r) => r.timestamp < stepAt);
    expect(before.every((r) => r.demand <= r.capacity)).toBe(true);
    const firstCovered = rows.find((r) => r.timestamp >= stepAt && r.capacity >= r.demand)!;
    // Seen 30 s late, pods Ready 90 s after that at best: at least 2 minutes short; new nodes make it longer.
    expect(firstCovered.timestamp - stepAt).toBeGreaterThanOrEqual(2 * MIN);
    // 400 / (10 x 0.8) = 50 replicas, reached in the end.
    expect(rows[rows.length - 1]!.desiredReplicas).toBe(50);
    expect(rows[rows.length - 1]!.nodes).toBe(Math.ceil(50 / 7));
  });

  it('prescale: behaves exactly like the HPA while it learns (less history than it needs)', async () => {
    const trace = syntheticStep();
    const hpa = await simulate('hpa', { trace, capacityPerReplica: 10 });
    const prescale = await simulate('prescale', { trace, capacityPerReplica: 10 });
    expect(prescale.rows.every((r) => r.mode === 'learning')).toBe(true);
    expect(prescale.rows.map((r) => [r.desiredReplicas, r.readyReplicas, r.nodes])).toEqual(hpa.rows.map((r) => [r.desiredReplicas, r.readyReplicas, r.nodes]));
  });

  it('prescale: sizes for the quantile it is given (P98 holds more replicas than P60 and misses fewer minutes)', async () => {
    const trace = parseTrace(realTraceText('nasa_http_jul1995_5min.csv'), 'nasa_http_jul1995_5min.csv');
    const window = { fromMs: trace.times[0]! + 2 * 86_400_000, toMs: trace.times[0]! + 2.5 * 86_400_000 };
    const run = async (quantile: number) => summarize('prescale', (await simulate('prescale', { trace, capacityPerReplica: 20, quantile, ...window })).rows);
    const [p60, p98] = [await run(60), await run(98)];
    expect(p98.replicaHours).toBeGreaterThan(p60.replicaHours);
    expect(p98.underProvisionedMinutes).toBeLessThan(p60.underProvisionedMinutes);
  });

  it('is deterministic', async () => {
    const trace = elbSlice(300);
    const a = await simulate('hpa', { trace, capacityPerReplica: 6.8 });
    const b = await simulate('hpa', { trace, capacityPerReplica: 6.8 });
    expect(b.rows).toEqual(a.rows);
  });
});

describe('forecast feed (no peeking)', () => {
  it('trains only on steps that are over, and re-filters as new points complete', async () => {
    const trace = parseTrace(realTraceText('nasa_http_jul1995_5min.csv'), 'nasa_http_jul1995_5min.csv');
    const feed = new ForecastFeed(trace, { horizonSteps: 6, minHistoryMs: 2 * 86_400_000, candidates: ['snaive'] });
    const early = await feed.at(trace.times[0]! + 86_400_000);
    expect(early.forecast).toBeNull();
    expect(early.health.historyDays).toBeLessThan(2);

    const now = trace.times[0]! + 3 * 86_400_000 + 7 * MIN; // 2 minutes into a step
    const view = await feed.at(now);
    // The step that started 2 minutes ago is not over: the forecast starts at it, not after it.
    expect(view.forecast!.startMs).toBeLessThanOrEqual(now);
    expect(view.forecast!.startMs).toBeGreaterThan(now - trace.stepMs);
    expect(view.health.trainedAt).toBe(now);
    const later = await feed.at(now + 10 * MIN);
    expect(later.forecast!.startMs).toBe(view.forecast!.startMs + 10 * MIN);
    expect(feed.trainings).toBe(1);
  });

  it('with knownAfterMs, a step counts as observed that long after it starts (the service forecasts on the partial step)', async () => {
    const trace = parseTrace(realTraceText('nasa_http_jul1995_5min.csv'), 'nasa_http_jul1995_5min.csv');
    const feed = new ForecastFeed(trace, { horizonSteps: 6, minHistoryMs: 2 * 86_400_000, candidates: ['snaive'], knownAfterMs: 90_000 });
    const stepStart = trace.times[0]! + 3 * 86_400_000 + 5 * MIN;
    // 60 s into the step: not yet known, the forecast starts at it; 120 s in: known, the forecast starts after it.
    expect((await feed.at(stepStart + MIN)).forecast!.startMs).toBe(stepStart);
    expect((await feed.at(stepStart + 2 * MIN)).forecast!.startMs).toBe(stepStart + trace.stepMs);
  });
});
