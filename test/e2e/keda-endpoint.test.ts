/**
 * GET /api/keda/{namespace}/{name} through a real server, with published plans in real Redis loaded into the
 * in-memory cache the way every API replica does: bearer tokens as KEDA sends them (`authModes: bearer`),
 * values equal to the stored plan, the numbers KEDA's metrics-api scaler reads at its valueLocation (GJSON, the
 * same Number / quantity-string rules), and the non-200 answers KEDA counts as failed reads (404, 503).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { kedaValueSchema } from '../../src/api/schemas/keda.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { hpaExternalAverageValueReplicas } from '../../src/external-metrics/hpa-tolerance.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createMemoryCalendarStore } from '../../src/scaling/memory-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { kedaMetricValue } from '../support/gjson-path.js';

const T0 = Date.UTC(2026, 10, 30, 9);
const READ_TOKEN = 'keda-read-token-0123456789';
const WRITE_TOKEN = 'writer-only-token-0123456789';

const plan = (target: string, overrides: Partial<PublishedPlan> = {}): PublishedPlan => ({
  target,
  at: T0 - 5_000,
  loop: 'plan',
  actuation: 'keda',
  mode: 'predictive',
  plannedReplicas: 11,
  desiredReplicas: 10,
  readyReplicas: 10,
  quantile: 98,
  podLeadMs: 90_000,
  predictedNow: { at: T0 - 5_000 - ((T0 - 5_000) % 300_000), median: 1_010.5, quantile: 1_180.25 },
  predictedAhead: { at: T0 + 85_000 - ((T0 + 85_000) % 300_000), median: 1_050, quantile: 1_230.75 },
  forecastIssuedAt: T0 - 60_000,
  rule: 'forecast P98 1231 / 120 per replica',
  ...overrides,
});

describe('KEDA metrics-api endpoint', () => {
  let redis: Redis;
  let server: Server;
  let base: string;
  let published: PublishedCache;
  const servers: Server[] = [];
  const caches: PublishedCache[] = [];
  const prefix = `keda-e2e-${process.pid}-${Date.now()}`;
  const target = (name: string) => ({ name, namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 120, maxReplicas: 40, actuation: 'keda' });

  async function start(extra: Record<string, unknown>): Promise<string> {
    const config = parseConfig({ targets: [target('web'), target('api'), target('old'), { ...target('dry'), forecastOnly: true }], ...extra }, {});
    const clock = new ReplayClock(T0);
    const cache = startPublishedCache(createRedisPublishedPlanStore(redis, prefix), { refreshMs: 60_000 });
    await cache.refresh();
    caches.push(cache);
    const app = createApp({
      config,
      clock,
      logger: silentLogger,
      store: createMemoryStore(),
      state: createRedisStateStore(redis, prefix),
      cluster: SimulatedCluster.fromConfig(clock, config),
      calendar: createMemoryCalendarStore(),
      published: cache,
    });
    const s = createServer(app);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    servers.push(s);
    published = cache;
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    const plans = createRedisPublishedPlanStore(redis, prefix);
    await plans.put(plan('shop/web'));
    // Ten minutes old: far beyond three plan periods (45 s).
    await plans.put(plan('shop/old', { at: T0 - 600_000 }));
    await plans.put(plan('shop/dry'));
    base = await start({
      api: {
        tokens: [
          { name: 'keda', scopes: ['read'], token: READ_TOKEN },
          { name: 'writer', scopes: ['write'], token: WRITE_TOKEN },
        ],
      },
    });
    server = servers[0]!;
  });

  afterAll(async () => {
    for (const cache of caches) cache.stop();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const get = (path: string, token?: string) => fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('needs a bearer token with the read scope, as KEDA sends it with authModes: bearer', async () => {
    const missing = await get('/api/keda/shop/web');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await missing.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('missing bearer token'), details: [{ path: 'headers.authorization', message: 'required' }] });
    const wrong = await get('/api/keda/shop/web', 'not-a-configured-token-at-all');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized', details: [{ path: 'headers.authorization', message: 'unknown token' }] });
    const writeOnly = await get('/api/keda/shop/web', WRITE_TOKEN);
    expect(writeOnly.status).toBe(403);
    expect(await writeOnly.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('"read" scope') });
    expect(server.listening).toBe(true);
  });

  it('serves the stored plan, as the documented schema says', async () => {
    const response = await get('/api/keda/shop/web', READ_TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = kedaValueSchema.parse(await response.json());
    const stored = (await createRedisPublishedPlanStore(redis, prefix).all()).get('shop/web')!;
    expect(body).toMatchObject({
      target: 'shop/web',
      plannedReplicas: stored.plannedReplicas,
      desiredReplicas: stored.desiredReplicas,
      readyReplicas: stored.readyReplicas,
      mode: stored.mode,
      actuation: 'keda',
      at: new Date(stored.at).toISOString(),
      ageSeconds: 5,
      staleAfterSeconds: 45,
      predictedLoad: {
        quantile: 98,
        now: { at: new Date(stored.predictedNow!.at).toISOString(), median: stored.predictedNow!.median, quantile: stored.predictedNow!.quantile },
        ahead: { at: new Date(stored.predictedAhead!.at).toISOString(), median: stored.predictedAhead!.median, quantile: stored.predictedAhead!.quantile },
      },
    });
  });

  it('gives KEDA the plan at valueLocation plannedReplicas, and a tolerance-proof count at hpaReplicas', async () => {
    const text = await (await get('/api/keda/shop/web', READ_TOKEN)).text();
    expect(kedaMetricValue(text, 'plannedReplicas')).toEqual({ value: 11, quantity: '11.000' });
    expect(kedaMetricValue(text, 'predictedLoad.ahead.quantile')).toEqual({ value: 1_230.75, quantity: '1230.750' });
    expect(kedaMetricValue(text, 'predictedLoad.now.median').value).toBe(1_010.5);
    // KEDA's own HPA (targetValue 1, AverageValue) at 10 replicas with the default 0.1 tolerance:
    const hpa = (path: string) => hpaExternalAverageValueReplicas({ values: [kedaMetricValue(text, path).value], targetAverageValue: 1, currentReplicas: 10, tolerance: 0.1 });
    expect(hpa('plannedReplicas')).toMatchObject({ desiredReplicas: 10, withinTolerance: true }); // 11/10 = 1.1: swallowed
    expect(kedaMetricValue(text, 'hpaReplicas').value).toBe(12);
    expect(hpa('hpaReplicas')).toMatchObject({ desiredReplicas: 12, withinTolerance: false }); // acts: one more, never fewer
    // Paths KEDA would reject: no number there.
    expect(() => kedaMetricValue(text, 'predictedLoad.now')).toThrow(/got JSON/);
    expect(() => kedaMetricValue(text, 'replicas')).toThrow(/got Null/);
    expect(() => kedaMetricValue(text, 'target')).toThrow(/not a Kubernetes quantity/);
  });

  it('publishes the plan unchanged at hpaReplicas when the HPAs run with tolerance 0', async () => {
    const open = await start({ externalMetrics: { hpaTolerance: 0 } });
    const text = await (await fetch(`${open}/api/keda/shop/web`)).text();
    expect(kedaMetricValue(text, 'hpaReplicas').value).toBe(11);
    expect(kedaMetricValue(text, 'plannedReplicas').value).toBe(11);
  });

  it('answers an unknown target with 404 naming the configured ones', async () => {
    const response = await get('/api/keda/shop/nope', READ_TOKEN);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'not_found',
      message: 'unknown target "shop/nope"; configured targets: shop/web, shop/api, shop/old, shop/dry',
      details: [{ path: 'params.name', message: 'no target shop/nope' }],
    });
  });

  it('answers 503 without a plan or with a stale one, so KEDA counts a failure and its fallback applies', async () => {
    const before = await redis.hgetall(`${prefix}:published`);
    const none = await get('/api/keda/shop/api', READ_TOKEN);
    expect(none.status).toBe(503);
    expect(none.headers.get('retry-after')).toBe('15');
    expect(await none.json()).toMatchObject({ error: 'unavailable', message: expect.stringContaining('no plan published yet for shop/api'), details: [] });
    const stale = await get('/api/keda/shop/old', READ_TOKEN);
    expect(stale.status).toBe(503);
    expect(((await stale.json()) as { message: string }).message).toMatch(/the plan for shop\/old is 600 s old \(served up to 45 s\)/);
    const dry = await get('/api/keda/shop/dry', READ_TOKEN);
    expect(dry.status).toBe(503);
    expect(((await dry.json()) as { message: string }).message).toContain('shop/dry is forecast-only');
    // Reads change nothing stored, and the cache still holds both plans.
    expect(await redis.hgetall(`${prefix}:published`)).toEqual(before);
    expect(published.get('shop/old')?.at).toBe(T0 - 600_000);
  });
});
