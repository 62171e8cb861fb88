/**
 * Auth on every route, enumerated from the app itself (test/support/app-routes.ts reads the Express router;
 * /openapi.json is cross-checked), so a route added without auth fails here without anyone updating a list:
 *   - every write route (any method but GET/HEAD/OPTIONS) lives under /api, answers 401 without a token or
 *     with a wrong one, 403 with a read-only token, and changes nothing (the Redis calendar and the what-if
 *     queue are read back); with a write token it gets past auth;
 *   - every /api read (and the read-only POST /api/calendar/preview) answers 401 without or with a wrong
 *     token, 403 with a write-only token, and gets past auth with a read token;
 *   - /healthz, /readyz and /metrics need a read token when api.protectOperational is set, and are open
 *     otherwise; only the page, its assets and /openapi.json are open always;
 *   - every documented /api operation declares its security;
 *   - the external metrics API (its own HTTPS listener) answers 401 without or with a wrong token and 403
 *     with a write-only token on every path but its health and version probes.
 * Left out: front-proxy certificates (test/integration/external-metrics-*.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Agent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { metricTargets, startExternalMetricsServer, type ExternalMetricsServer } from '../../src/external-metrics/server.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { createRedisWhatIfCache } from '../../src/what-if/what-if-cache.js';
import { createWhatIfService } from '../../src/what-if/what-if-service.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { appRoutes, isWriteMethod, type AppRoute } from '../support/app-routes.js';

const T0 = Date.UTC(2026, 10, 2, 12);
const PREFIX = `auth-routes-${process.pid}-${Date.now()}`;
const TOKENS = { rw: 'auth-test-rw-token-0123456789', reader: 'auth-test-read-token-0123456789', writer: 'auth-test-write-token-0123456789' };
/** Routes anyone may call: the dashboard page and its assets (its data comes from /api) and the API description. */
const ALWAYS_OPEN = new Set(['/', '/dashboard/app.js', '/dashboard/vendor/:file', '/openapi.json']);
const OPERATIONAL = new Set(['/healthz', '/readyz', '/metrics']);
/** POSTs that compute an answer and store nothing: they need only the read scope. */
const READ_ONLY_POSTS = new Set(['/api/calendar/preview']);

const configFor = (protectOperational: boolean) =>
  parseConfig(
    {
      api: {
        tokens: [
          { name: 'rw', scopes: ['read', 'write'], token: TOKENS.rw },
          { name: 'reader', scopes: ['read'], token: TOKENS.reader },
          { name: 'writer', scopes: ['write'], token: TOKENS.writer },
        ],
        protectOperational,
        writesPerMinute: 100_000,
      },
      externalMetrics: { port: 0, tokens: [{ name: 'hpa', scopes: ['read'], token: TOKENS.reader }, { name: 'pusher', scopes: ['write'], token: TOKENS.writer }] },
      targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 10 }],
    },
    {},
  );

interface Running {
  base: string;
  routes: AppRoute[];
  server: Server;
  published: PublishedCache;
  queues: QueueSet;
}

const entry = { id: 'sale', targets: ['shop/web'], effect: { kind: 'floor', replicas: 3 }, start: '2026-11-27T09:00', end: '2026-11-27T10:00' };
const bodyFor = (path: string) => (path.endsWith('/preview') ? { entry, days: 1 } : path.endsWith('/what-if') ? { days: 1 } : entry);
const concrete = (path: string) => path.replace(':namespace', 'shop').replace(':name', 'web').replace(':file', 'd3.min.js').replace(':id', 'sale');

describe('auth on every route', () => {
  let redis: Redis;
  const apps: Running[] = [];

  async function start(protectOperational: boolean): Promise<Running> {
    const config = configFor(protectOperational);
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    await store.writePoints(Array.from({ length: 48 }, (_, i) => ({ measurement: 'http', tags: {}, fields: { rps: 300 }, time: T0 - (48 - i) * 300_000 })));
    const published = startPublishedCache(createRedisPublishedPlanStore(redis, PREFIX), { refreshMs: 60_000 });
    const queues = new QueueSet(redis, PREFIX);
    const app = createApp({
      config,
      clock,
      logger: silentLogger,
      store,
      state: createRedisStateStore(redis, PREFIX),
      cluster: SimulatedCluster.fromConfig(clock, config),
      calendar: createRedisCalendarStore(redis, { prefix: PREFIX }),
      published,
      whatIf: createWhatIfService({ config, clock, store, cache: createRedisWhatIfCache(redis, PREFIX), queue: queues.queueOf('what-if') }),
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const running = { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, routes: appRoutes(app), server, published, queues };
    apps.push(running);
    return running;
  }

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const app of apps) {
      app.published.stop();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      await app.queues.obliterate();
      await app.queues.close();
    }
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const call = async (app: Running, route: AppRoute, authorization: string | undefined) => {
    const write = route.method !== 'GET';
    const response = await fetch(app.base + concrete(route.path), {
      method: route.method,
      headers: { ...(authorization ? { authorization } : {}), ...(write ? { 'content-type': 'application/json', 'if-match': '*' } : {}) },
      ...(write ? { body: JSON.stringify(bodyFor(route.path)) } : {}),
    });
    const text = await response.text();
    return { status: response.status, text };
  };
  /** What a refused request must not change: the calendar and the what-if queue. */
  const snapshot = async (app: Running) => ({
    calendar: await redis.hgetall(`${PREFIX}:calendar`),
    meta: await redis.hgetall(`${PREFIX}:calendar:meta`),
    whatIf: await app.queues.queueOf('what-if').getJobCounts(),
  });

  // That every served /api route is documented is test/e2e/openapi.test.ts's; here: each documented one is
  // secured, and each documented write is a route the router serves (so the checks below cover it).
  it('every documented /api operation declares security, and every documented write is served', async () => {
    const app = await start(false);
    const doc = (await (await fetch(`${app.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const served = app.routes.map((r) => `${r.method} ${r.path}`);
    let writes = 0;
    for (const [path, ops] of Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/'))) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.security?.length ?? 0, `${method.toUpperCase()} ${path} declares no security`).toBeGreaterThan(0);
        if (!isWriteMethod(method.toUpperCase())) continue;
        writes++;
        expect(served, `${method.toUpperCase()} ${path} is documented but not served`).toContain(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    expect(writes).toBeGreaterThanOrEqual(4);
  });

  it('every write route: 401 without or with a wrong token, 403 read-only, nothing changed; a write token passes', async () => {
    const app = await start(false);
    const writes = app.routes.filter((r) => isWriteMethod(r.method) && !READ_ONLY_POSTS.has(r.path));
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const route of writes) {
      // Only /api is behind the token check: a write route anywhere else would be open.
      expect(route.path.startsWith('/api/'), `${route.method} ${route.path} is outside /api`).toBe(true);
      const before = await snapshot(app);
      for (const [authorization, status] of [
        [undefined, 401],
        ['Bearer wrong-token-0123456789abcdef', 401],
        [`Basic ${Buffer.from(`rw:${TOKENS.rw}`).toString('base64')}`, 401],
        [`Bearer ${TOKENS.reader}`, 403],
      ] as const) {
        const answer = await call(app, route, authorization);
        expect(answer.status, `${route.method} ${route.path} with ${authorization ?? 'no token'}: ${answer.text}`).toBe(status);
        expect(JSON.parse(answer.text)).toMatchObject({ error: status === 401 ? 'unauthorized' : 'forbidden', details: [{ path: 'headers.authorization' }] });
      }
      expect(await snapshot(app), `${route.method} ${route.path} changed the store while refused`).toEqual(before);
      const allowed = await call(app, route, `Bearer ${TOKENS.rw}`);
      expect([401, 403], `${route.method} ${route.path} with a write token: ${allowed.text}`).not.toContain(allowed.status);
    }
  });

  it('every /api read: 401 without or with a wrong token, 403 write-only; a read token passes', async () => {
    const app = await start(false);
    const reads = app.routes.filter((r) => r.path.startsWith('/api/') && (!isWriteMethod(r.method) || READ_ONLY_POSTS.has(r.path)));
    expect(reads.length).toBeGreaterThanOrEqual(10);
    for (const route of reads) {
      for (const [authorization, status] of [
        [undefined, 401],
        ['Bearer wrong-token-0123456789abcdef', 401],
        [`Bearer ${TOKENS.writer}`, 403],
      ] as const) {
        const answer = await call(app, route, authorization);
        expect(answer.status, `${route.method} ${route.path} with ${authorization ?? 'no token'}: ${answer.text}`).toBe(status);
      }
      const allowed = await call(app, route, `Bearer ${TOKENS.reader}`);
      expect([401, 403], `${route.method} ${route.path} with a read token: ${allowed.text}`).not.toContain(allowed.status);
    }
  });

  it('outside /api only the page, its assets and /openapi.json are open; probes and /metrics follow protectOperational', async () => {
    const open = await start(false);
    const outside = open.routes.filter((r) => !r.path.startsWith('/api/'));
    for (const route of outside) {
      expect(ALWAYS_OPEN.has(route.path) || OPERATIONAL.has(route.path), `${route.method} ${route.path} is neither /api nor a known open route`).toBe(true);
      expect((await call(open, route, undefined)).status, `${route.path} open by default`).toBeLessThan(400);
    }
    const protectedApp = await start(true);
    for (const route of protectedApp.routes.filter((r) => OPERATIONAL.has(r.path))) {
      expect((await call(protectedApp, route, undefined)).status, route.path).toBe(401);
      expect((await call(protectedApp, route, 'Bearer wrong-token-0123456789abcdef')).status, route.path).toBe(401);
      expect((await call(protectedApp, route, `Bearer ${TOKENS.writer}`)).status, route.path).toBe(403);
      expect((await call(protectedApp, route, `Bearer ${TOKENS.reader}`)).status, route.path).toBeLessThan(400);
    }
    for (const route of protectedApp.routes.filter((r) => ALWAYS_OPEN.has(r.path))) expect((await call(protectedApp, route, undefined)).status, route.path).toBeLessThan(400);
    expect(protectedApp.routes.filter((r) => OPERATIONAL.has(r.path)).length).toBeGreaterThanOrEqual(2);
  });

  it('the external metrics API: 401 without or with a wrong token, 403 write-only, on every path but the probes', async () => {
    const config = configFor(false);
    const published = startPublishedCache(createRedisPublishedPlanStore(redis, PREFIX), { refreshMs: 60_000 });
    const server: ExternalMetricsServer = await startExternalMetricsServer({
      config: config.externalMetrics,
      targets: metricTargets(config.targets),
      planPeriodMs: config.schedule.plan,
      published,
      kubeConfig: null,
      logger: silentLogger,
    });
    const tls = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const get = async (path: string, authorization?: string) => (await undiciRequest(`${server.url}${path}`, { dispatcher: tls, headers: authorization ? { authorization } : {} })).statusCode;
      const group = '/apis/external.metrics.k8s.io/v1beta1';
      for (const path of ['/apis', '/apis/external.metrics.k8s.io', group, `${group}/namespaces/shop/prescale-planned-replicas`, `${group}/namespaces/shop/prescale-predicted-load`, '/openapi/v2', '/openapi/v3', '/anything']) {
        expect(await get(path), `${path} without a token`).toBe(401);
        expect(await get(path, 'Bearer wrong-token-0123456789abcdef'), `${path} with a wrong token`).toBe(401);
        expect(await get(path, `Bearer ${TOKENS.writer}`), `${path} with a write-only token`).toBe(403);
        expect([401, 403], `${path} with a read token`).not.toContain(await get(path, `Bearer ${TOKENS.reader}`));
      }
      for (const path of ['/healthz', '/livez', '/version']) expect(await get(path), path).toBe(200);
    } finally {
      await tls.close();
      await server.close();
      published.stop();
    }
  });
});
