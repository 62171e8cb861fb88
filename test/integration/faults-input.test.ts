/**
 * Bad inputs through the plan job, with live load and forecasts in the shared InfluxDB and scaling state in
 * Redis: NaN, negative, huge and missing live load, an exploding forecast, and the wall clock jumping back
 * and forward. What a user cares about: each is flagged in the decision (notes, inputs), and the replicas
 * never go below what the live load needs now (a scale-in on unknown load is refused; a huge load is capped at
 * maxReplicas with an alert). NaN cannot be stored in InfluxDB, so that one case reads through a store that
 * answers NaN for the live sample (a broken exporter's value as it would reach the planner); the others are real.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock, type Clock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMetricsStore } from '../../src/metrics/create-store.js';
import type { MetricsStore, ScalingDecision } from '../../src/metrics/metrics-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { planProcessor, type PlanResult } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';

const STEP = 300_000;
const T0 = Date.UTC(2026, 10, 23, 10);
const MAX = 40;
const stores: MetricsStore[] = [];
let redis: Redis;
const prefix = `faults-input-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** shop/web at 10 replicas, a trusted model (peak 1,500 rps) and a flat forecast of `forecast` rps. */
async function setup(forecast = 1_000) {
  const influx = createMetricsStore({ url: inject('influxUrl'), api: 'v1', database: `faults_input_${process.pid}_${Math.random().toString(36).slice(2)}`, timeout: 5_000 }, silentLogger);
  await influx.ensureReady();
  stores.push(influx);
  const config = parseConfig({ step: '5m', targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: MAX, podStartup: '90s' }] }, {});
  // A wall clock the test sets, back as well as forward (ReplayClock only moves forward).
  let now = T0;
  const clock: Clock = { now: () => now, sleep: async () => undefined };
  const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
  await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.5, naiveMase: 1, historyDays: 20, requiredHistoryDays: 1, peakLoad: 1_500, notes: [] });
  const n = 48;
  await influx.writeForecast({ target: 'shop/web', issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: T0, stepMs: STEP, mean: Array(n).fill(forecast), intervals: [{ level: 80, lower: Array(n).fill(forecast * 0.9), upper: Array(n).fill(forecast * 1.1) }, { level: 95, lower: Array(n).fill(forecast * 0.8), upper: Array(n).fill(forecast * 1.2) }] });
  // The cluster lives in real time: its clock never goes back, whatever Prescale's clock does.
  let latest = T0;
  const clusterClock: Clock = { now: () => (latest = Math.max(latest, now)), sleep: async () => undefined };
  const cluster = SimulatedCluster.fromConfig(clusterClock, config, { replicas: { 'shop/web': 10 } });
  const build = (store: MetricsStore) => planProcessor(testJobDeps(config, new ReplayClock(T0), { store, state, cluster, clock }));
  let tick = build(influx);
  const live = (rps: number, at = clock.now()) => influx.writePoints([{ measurement: 'http', tags: {}, fields: { rps }, time: at }]);
  const run = async (at: number): Promise<{ result: PlanResult; decision: ScalingDecision }> => {
    now = at;
    const result = await tick({ data: { at, target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    const decision = (await influx.readDecisions('shop/web', at, at + 1))[0]!;
    return { result, decision };
  };
  const replicas = async () => (await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas;
  return { influx, live, run, replicas, useStore: (store: MetricsStore) => void (tick = build(store)) };
}

/** Replicas live load needs now: ceil(load x 1.05 / 100), capped by max. */
const need = (rps: number) => Math.min(MAX, Math.ceil((rps * 1.05) / 100));

describe('bad metric values and clock jumps through the plan job', () => {
  it('NaN live load: flagged, treated as unknown, no scale-in', { timeout: 20_000 }, async () => {
    const { influx, live, run, useStore } = await setup(300); // the forecast alone would want ~4
    await live(1_000, T0); // what InfluxDB has; the store below answers NaN for it
    // Without the batched read (latestPerSeries), so every live-load read goes through this latest.
    const { latestPerSeries: _batched, ...perSeries } = influx;
    useStore({ ...perSeries, latest: async (q) => ({ time: q.at, value: Number.NaN }) });
    const { result, decision } = await run(T0 + 60_000);
    expect(decision.notes).toContain('live load NaN treated as unknown');
    expect(decision.inputs['liveLoad']).toBeUndefined();
    expect(result.to).toBeGreaterThanOrEqual(10);
  });

  it('negative live load: flagged and clamped to 0; replicas stay within [min, max]', { timeout: 20_000 }, async () => {
    const { live, run } = await setup();
    await live(-500, T0 + 30_000);
    const { result, decision } = await run(T0 + 60_000);
    expect(decision.notes).toContain('negative live load -500 clamped to 0');
    expect(decision.inputs['liveLoad']).toBe(0);
    expect(result.to).toBeGreaterThanOrEqual(2);
    expect(result.to).toBeLessThanOrEqual(MAX);
  });

  it('huge live load: capped at maxReplicas with an alert, never below it', { timeout: 20_000 }, async () => {
    const { live, run, replicas } = await setup();
    await live(1e12, T0 + 30_000);
    const { decision } = await run(T0 + 60_000);
    expect(decision.inputs['alertAboveMax']).toBe(1);
    expect(decision.notes).toMatch(/alert: \d+ replicas wanted, above maxReplicas 40/);
    expect(decision.inputs['liveNeed']).toBeGreaterThan(MAX);
    // Up as fast as the step limits allow, and on the next ticks to max.
    let at = T0 + 60_000;
    for (let i = 0; i < 6 && (await replicas()) < MAX; i++) await run((at += 60_000));
    expect(await replicas()).toBe(MAX);
  });

  it('missing live load: flagged as unknown and no scale-in, even when the forecast says fewer', { timeout: 20_000 }, async () => {
    const { run } = await setup(300);
    const { result, decision } = await run(T0 + 60_000);
    expect(decision.notes).toContain('live load unknown');
    expect(result.to).toBe(10);
  });

  it('an exploding forecast is capped at 3 x the recent peak and flagged; live need still holds', { timeout: 20_000 }, async () => {
    const { live, run } = await setup(1e9);
    await live(1_200, T0 + 30_000);
    // 10:03:30: the 10:05 forecast step is within the pod lead, so the forecast sizes.
    const { result, decision } = await run(T0 + 210_000);
    expect(decision.inputs['forecastCapped']).toBe(1);
    expect(decision.notes).toMatch(/forecast P98 \d+ capped at 3 x recent peak 1500/);
    expect(decision.inputs['forecastUncapped']).toBeGreaterThan(1e9);
    expect(decision.inputs['forecastPeakQuantile']).toBe(4_500); // sized from the cap, not from a billion
    expect(result.to).toBeGreaterThanOrEqual(need(1_200));
    expect(result.to).toBeLessThanOrEqual(MAX);
  });

  it('the clock going back is flagged, and the replicas stay at or above what live load needs', { timeout: 20_000 }, async () => {
    const { live, run } = await setup();
    await live(1_000, T0 + 20 * 60_000);
    const first = await run(T0 + 20 * 60_000 + 30_000);
    await live(900, T0 + 60_000); // the clock is back 19 minutes
    const { result, decision } = await run(T0 + 90_000);
    expect(decision.notes).toMatch(/clock went back: the last tick was 1140 s after now/);
    expect(decision.inputs['clockBackS']).toBe(1_140);
    expect(result.to).toBeGreaterThanOrEqual(need(900));
    expect(result.from).toBe(first.result.to);
  });

  it('the clock jumping forward is flagged; stale live load counts as unknown and nothing scales in', { timeout: 20_000 }, async () => {
    const { live, run } = await setup(300);
    await live(1_000, T0 + 30_000);
    const first = await run(T0 + 60_000);
    const { result, decision } = await run(T0 + 3 * 3_600_000); // three hours on; the last sample is from before
    expect(decision.notes).toMatch(/no tick for 10740 s \(the clock jumped forward, or ticks were missed\)/);
    expect(decision.notes).toContain('live load unknown');
    expect(result.to).toBeGreaterThanOrEqual(first.result.to);
  });
});
