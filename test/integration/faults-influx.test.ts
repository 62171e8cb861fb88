/**
 * InfluxDB stopped in the middle of operation, with the real services: the test's own influxd (so it can stop
 * and restart it), the shared Redis, the real v1 store behind the write-behind buffer, and the collect,
 * forecast and plan processors as the workers run them. What a user cares about:
 *  - the reactive path keeps scaling from live load (the collect job's last values in Redis) and the last good
 *    forecast (kept in Redis by the forecast job) is used until it is older than the limit, then no longer;
 *  - /readyz says degraded and names InfluxDB; /api/status still answers and shows the buffer;
 *  - writes made meanwhile (collected points, decisions) are buffered, bounded, counted when dropped (status,
 *    /metrics), and written by themselves once influxd is back; /readyz goes back to 200 by itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';
import { createMetricsStore } from '../../src/metrics/create-store.js';
import type { MetricPoint, ScalingDecision } from '../../src/metrics/metrics-store.js';
import { createWriteBehindStore } from '../../src/metrics/write-behind-store.js';
import { createReadinessCheck } from '../../src/observability/readiness.js';
import { startPublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisLastKnownStore } from '../../src/state/last-known.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { collectProcessor } from '../../jobs/processors/collect.js';
import { forecastProcessor } from '../../jobs/processors/forecast.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { testJobDeps } from '../support/job-deps.js';
import { ownInfluxd, type OwnService } from '../support/own-services.js';

const STEP = 300_000;
const T0 = Date.UTC(2026, 10, 23, 10); // on the 5-minute grid
const MIN = 60_000;

let influxd: OwnService;
let redis: Redis;
const prefix = `faults-influx-${process.pid}-${Date.now()}`;
const servers: Server[] = [];

beforeAll(async () => {
  [influxd, redis] = await Promise.all([ownInfluxd(), connectRedis(inject('redisUrl'))]);
}, 30_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await influxd.dispose();
}, 20_000);

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function listen(app: ReturnType<typeof createApp>): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('InfluxDB stopped and started again', () => {
  it('keeps scaling from Redis, reports degraded, buffers the writes and recovers by itself', { timeout: 50_000 }, async () => {
    const database = `faults_${process.pid}_${Date.now()}`;
    const config = parseConfig(
      {
        step: '5m',
        horizon: '2h',
        influx: { url: influxd.url, database, timeout: '2s' },
        redis: { prefix },
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps', tags: { app: 'web' } }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 60, podStartup: '90s' }],
      },
      {},
    );
    const clock = new ReplayClock(T0);
    const influx = createMetricsStore(config.influx, silentLogger);
    await influx.ensureReady();
    const store = createWriteBehindStore(influx, { retryDelayMs: 200, maxRetryDelayMs: 1_000 });
    const unique = `${prefix}-${Math.random().toString(36).slice(2)}`;
    const state = createRedisStateStore(redis, unique);
    const lastKnown = createRedisLastKnownStore(redis, unique);
    const published = createRedisPublishedPlanStore(redis, unique);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 10 } });

    // A trusted seasonal-naive model of two days around 1,000 rps (the forecast job loads it from the repository).
    const history = { startMs: T0 - 2 * 86_400_000, stepMs: STEP, values: Array.from({ length: 576 }, (_, i) => 1_000 + 40 * Math.sin((2 * Math.PI * i) / 288)) };
    const model = await seasonalNaiveForecaster.fit(history);
    await state.setModelInfo({ target: 'shop/web', kind: 'snaive', description: model.description, version: 1, trainedAt: T0 - MIN, trainedUntil: T0 - STEP, scores: {}, historyDays: 2, requiredHistoryDays: 1, notes: [] });
    let live = 1_000;
    const collected: MetricPoint[] = [];
    const deps = testJobDeps(config, clock, {
      store,
      state,
      cluster,
      lastKnown,
      published,
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => ({ version: 1, model }) },
      collect: async (at) => {
        const point = { measurement: 'http', tags: { app: 'web' }, fields: { rps: live }, time: at };
        collected.push(point);
        return [point];
      },
    });
    const [collect, forecast, plan] = [collectProcessor(deps), forecastProcessor(deps), planProcessor(deps)];
    const job = <T>(data: T) => ({ data }) as Job;
    const tick = async () => {
      await collect(job<JobPayload<'collect'>>({ at: clock.now() }));
      return plan(job<JobPayload<'plan'>>({ at: clock.now(), target: 'shop/web', loop: 'plan' }));
    };
    const decisionAt = async (at: number): Promise<ScalingDecision> => {
      const found = (await influx.readDecisions('shop/web', at, at + 1))[0];
      expect(found).toBeDefined();
      return found!;
    };
    const readiness = createReadinessCheck({ redis, store: influx, writeBuffer: () => store.bufferStatus(), cacheMs: 0, timeoutMs: 1_000 });
    const cache = startPublishedCache(published);
    const url = await listen(createApp({ config, clock, logger: silentLogger, store, state, cluster, calendar: createMemoryCalendarStore(), published: cache, readiness, writeBuffer: () => store.bufferStatus() }));

    try {
      // 1. All up: a predictive tick from InfluxDB, and ready.
      await forecast(job<JobPayload<'forecast'>>({ at: T0, target: 'shop/web' }));
      const first = await tick();
      expect(first.mode).toBe('predictive');
      expect((await decisionAt(T0)).notes ?? '').not.toContain('unreachable');
      expect((await fetch(`${url}/readyz`)).status).toBe(200);

      // 2. influxd stops; load triples.
      await influxd.stop('SIGTERM');
      clock.advanceTo(T0 + MIN);
      live = 3_000;
      const forecastError = await forecast(job<JobPayload<'forecast'>>({ at: clock.now(), target: 'shop/web' })).catch((e: unknown) => e);
      expect(forecastError).toBeInstanceOf(ServiceError); // the forecast job fails (and is retried); its last forecast stays in Redis
      const before = (await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas;
      const during = await tick();
      expect(during.to).toBeGreaterThan(before); // scaled up from the live load kept in Redis
      expect(during.applied).toBe(true);
      expect((await cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas).toBe(during.to);
      const pending = store.bufferStatus();
      expect(pending.pendingPoints).toBeGreaterThanOrEqual(2); // the collected point and the decision
      expect(pending.droppedPoints).toBe(0);
      expect(pending.lastError).toMatch(/influxdb/i);

      // Degraded but ready: the pod keeps serving the calendar and the external metric from Redis and memory.
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const report = (await ready.json()) as { status: string; reasons: string[] };
      expect(report.status).toBe('degraded');
      expect(report.reasons.some((r) => r.startsWith('InfluxDB: '))).toBe(true);
      expect(report.reasons.some((r) => r.startsWith('Redis'))).toBe(false);
      const status = await fetch(`${url}/api/status`);
      expect(status.status).toBe(200);
      const body = (await status.json()) as { writeBuffer: { pendingPoints: number }; targets: { lastDecision: unknown; lastDecisionError?: string }[] };
      expect(body.writeBuffer.pendingPoints).toBe(store.bufferStatus().pendingPoints);
      expect(body.targets[0]!.lastDecisionError).toMatch(/influxdb/i);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^prescale_metrics_write_buffer_points ${store.bufferStatus().pendingPoints}$`, 'm'));
      expect(metrics).toMatch(/^prescale_metrics_write_dropped_points_total 0$/m);

      // 3. An hour on, still down: the kept forecast is too old and is not used; live load still sizes.
      clock.advanceTo(T0 + 61 * MIN);
      live = 1_200;
      const late = await tick();
      expect(late.mode).not.toBe('predictive');
      expect(late.to).toBeGreaterThanOrEqual(13); // never below what 1,200 rps needs now (+5%)

      // 4. influxd returns: the buffer drains by itself, readiness recovers, nothing written meanwhile is missing.
      await influxd.start();
      await until(() => store.bufferStatus().pendingPoints === 0, 15_000);
      expect(store.bufferStatus()).toMatchObject({ pendingPoints: 0, droppedPoints: 0, lastError: null });
      await until(async () => ((await (await fetch(`${url}/readyz`)).json()) as { status: string }).status === 'ready', 5_000);
      const outage = await decisionAt(T0 + MIN);
      // The forecast came from the window the forecast job keeps in Redis for every tick (src/state/plan-forecast.ts),
      // the same points InfluxDB would have given: no fallback, so no note about one.
      expect(outage.notes).not.toContain('last forecast kept in Redis');
      expect(outage.notes).toContain('live load 3000 from Redis');
      expect(outage.inputs['liveLoad']).toBe(3_000);
      // The kept forecast was used: its 95% bound for now (~1,000 rps) is one of the breach lines.
      expect(outage.inputs['forecastUpper95Now']).toBeCloseTo(1_000, 0);
      const stale = await decisionAt(T0 + 61 * MIN);
      expect(stale.notes).toContain('forecast issued 61 min ago is older than 60 min: not used');
      expect(stale.inputs['forecastUpper95Now']).toBeUndefined();
      expect(stale.inputs['forecastPoints']).toBeUndefined();
      expect(stale.inputs['liveLoad']).toBe(1_200);
      for (const point of collected) {
        expect(await influx.latest({ measurement: 'http', field: 'rps', tags: { app: 'web' }, at: point.time, lookbackMs: 1 })).toEqual({ time: point.time, value: point.fields['rps'] });
      }
      // Back to InfluxDB for reads.
      clock.advanceTo(T0 + 62 * MIN);
      await tick();
      expect((await decisionAt(T0 + 62 * MIN)).notes ?? '').not.toContain('unreachable');
    } finally {
      cache.stop();
      await influxd.start().catch(() => undefined);
    }
  });

  it('the buffer is bounded by points: the oldest writes are dropped and counted, the rest written on return', { timeout: 30_000 }, async () => {
    const database = `faults_bound_${process.pid}_${Date.now()}`;
    const influx = createMetricsStore({ url: influxd.url, api: 'v1', database, timeout: 2_000 }, silentLogger);
    await influx.ensureReady();
    const store = createWriteBehindStore(influx, { maxPoints: 10, retryDelayMs: 200, maxRetryDelayMs: 1_000 });
    const batch = (n: number) => Array.from({ length: 4 }, (_, i) => ({ measurement: 'burst', tags: { batch: String(n) }, fields: { v: n * 10 + i }, time: T0 + (n * 4 + i) * 1_000 }));
    await influxd.stop('SIGTERM');
    for (const n of [1, 2, 3]) await store.writePoints(batch(n)); // never throws: buffered
    expect(store.bufferStatus()).toMatchObject({ pendingPoints: 8, pendingWrites: 2, droppedPoints: 4, maxPoints: 10 });
    const config = parseConfig({ targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10 }] }, {});
    const clock = new ReplayClock(T0);
    const cache = startPublishedCache(createRedisPublishedPlanStore(redis, `${prefix}-bound`));
    const app = createApp({ config, clock, logger: silentLogger, store, state: createRedisStateStore(redis, `${prefix}-bound`), cluster: SimulatedCluster.fromConfig(clock, config), calendar: createMemoryCalendarStore(), published: cache, writeBuffer: () => store.bufferStatus() });
    const metrics = await (await fetch(`${await listen(app)}/metrics`)).text();
    cache.stop();
    expect(metrics).toMatch(/^prescale_metrics_write_dropped_points_total 4$/m);
    expect(metrics).toMatch(/^prescale_metrics_write_buffer_points 8$/m);
    await influxd.start();
    expect(await store.flush()).toBe(true);
    const read = async (n: number) => (await influx.readSeries({ measurement: 'burst', field: 'v', tags: { batch: String(n) }, from: T0, to: T0 + 60_000, stepMs: 1_000, gap: 'null' })).values.filter((v) => v !== null);
    expect(await read(1)).toEqual([]); // dropped, and counted above
    expect(await read(2)).toEqual([20, 21, 22, 23]);
    expect(await read(3)).toEqual([30, 31, 32, 33]);
    expect(store.bufferStatus()).toMatchObject({ pendingPoints: 0, droppedPoints: 4 });
  });
});
