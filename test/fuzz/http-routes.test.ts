/**
 * Fuzzing every HTTP route of createApp, in process over a real socket (node:http on a free port), with the
 * calendar, state, published plans, what-if queue and /metrics counters in the REAL Redis under a unique
 * prefix. The routes are read from the app's own router (test/support/app-routes.ts), so a route added later
 * is fuzzed without editing this file.
 *
 * Each generated input is a sequence of requests against an emptied calendar: any route (or an unknown
 * path), any method, path parameters that are configured names, existing entry ids, or hostile strings
 * (encodings, dot segments, prototype keys, 3 000 characters), random query strings, tokens of every scope or
 * none, any content type, If-Match current, stale or junk, and bodies that are calendar entries (mostly
 * valid), arbitrary JSON, malformed text or over the body limit. After every request:
 *   - the status is below 500 and the process is still serving; an error has the JSON error body;
 *   - no configured token appears in a response;
 *   - the calendar read back from Redis equals what the successful requests wrote (201/200/204), so a refused
 *     request changed nothing and nothing was half written;
 *   - a refused what-if request queued no job.
 * Left out: the external metrics API (its own HTTPS server; test/unit/external-metrics-*.test.ts) and the
 * write rate limit (set high here; its 429 is tested in test/e2e/calendar-api.test.ts).
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisEventCounters } from '../../src/observability/event-counters.js';
import { createRedisJobStatsStore } from '../../src/observability/job-stats.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import type { CalendarStore } from '../../src/scaling/calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { createRedisWhatIfCache } from '../../src/what-if/what-if-cache.js';
import { createWhatIfService } from '../../src/what-if/what-if-service.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { appRoutes, type AppRoute } from '../support/app-routes.js';
import { FUZZ_RUNS, HTTP_SEQUENCE_LENGTH, fuzzCounter, fuzzParams } from './fuzz-settings.js';

const T0 = Date.UTC(2026, 9, 24, 12);
const PREFIX = `fuzz-http-${process.pid}-${Date.now()}`;
const TOKENS = { admin: 'fuzz-admin-token-0123456789', reader: 'fuzz-reader-token-0123456789', writer: 'fuzz-writer-token-0123456789' } as const;
type Who = keyof typeof TOKENS | 'none' | 'garbage';

const config = parseConfig(
  {
    api: {
      tokens: [
        { name: 'admin', scopes: ['read', 'write'], token: TOKENS.admin },
        { name: 'reader', scopes: ['read'], token: TOKENS.reader },
        { name: 'writer', scopes: ['write'], token: TOKENS.writer },
      ],
      protectOperational: true,
      writesPerMinute: 1_000_000_000,
      bodyLimitBytes: 16_384,
    },
    redis: { prefix: PREFIX },
    targets: [
      { name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 20, actuation: 'keda' },
      { name: 'api', namespace: 'shop', load: { measurement: 'api', field: 'rps' }, capacityPerReplica: 50, maxReplicas: 10 },
    ],
  },
  {},
);

// ---- requests as generated: symbolic where the answer depends on earlier requests ----

type Segment = { kind: 'raw'; text: string } | { kind: 'existing'; pick: number };
type IfMatch = 'none' | 'current' | 'stale' | '*' | 'junk' | 'list';
type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'big' };

interface RequestPlan {
  /** One of the app's routes (read once the app exists), or an unknown path; -1: POST /api/calendar. */
  route: number;
  /** null: the route's own method. */
  method: string | null;
  /** A value per path parameter name: namespace, name, id, file, and any other. */
  params: Record<'namespace' | 'name' | 'id' | 'file' | 'other', Segment>;
  query: [string, string][];
  who: Who;
  contentType: string | null;
  ifMatch: IfMatch;
  /** The body suited to the route (entry, preview, what-if) unless `hostile` is set, which replaces it. */
  bodies: { entry: unknown; preview: unknown; whatIf: unknown };
  hostile: Body | null;
  /** A body on a GET, HEAD or DELETE as well. */
  bodyOnRead: boolean;
  /** A PUT's entry keeps its own id (mostly a different one from the path's: 400) instead of leaving it out. */
  putKeepsId: boolean;
}

const HOSTILE = ['%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '..%2F..%2Fpackage.json', '%00', 'a%2Fb', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'occurrences', 'preview', '*', 'x'.repeat(3_000), '%F0%9F%92%A5', 'Shop', 'WEB', ';', "'", '"'];
const raw = (text: string): Segment => ({ kind: 'raw', text });
const hostileSegment = fc.oneof(fc.constantFrom(...HOSTILE).map(raw), fc.string({ maxLength: 20, unit: 'grapheme' }).map((s) => raw(encodeURIComponent(s))));
/** Mostly a value that exists (so the route does its work), sometimes a hostile one. */
const segment = (good: fc.Arbitrary<Segment>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: hostileSegment });
const paramsArb = fc.record({
  namespace: segment(fc.constant(raw('shop'))),
  name: segment(fc.constantFrom('web', 'api').map(raw)),
  id: segment(fc.oneof(fc.nat().map((pick): Segment => ({ kind: 'existing', pick })), fc.constantFrom('a', 'sale', 'nope').map(raw))),
  file: segment(fc.constantFrom('d3.min.js', 'plot.umd.min.js').map(raw)),
  other: hostileSegment,
});

const isoArb = fc.integer({ min: T0 - 30 * 86_400_000, max: T0 + 30 * 86_400_000 }).map((t) => new Date(t).toISOString());
const queryArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant([] as [string, string][]) },
  {
    weight: 3,
    arbitrary: fc.array(
      fc.tuple(
        fc.constantFrom('from', 'to', 'target', 'days', 'window', '__proto__', 'constructor', 'x', 'from[]', 'to[a]'),
        fc.oneof(isoArb, isoArb, fc.constantFrom('', 'shop/web', 'shop/nope', '*', '-1', '0', '1e400', 'NaN', 'yesterday', '2026-02-30T00:00:00Z', '%zz'), fc.integer().map(String), fc.string({ maxLength: 12 }).map(encodeURIComponent)),
      ),
      { maxLength: 4 },
    ),
  },
);

const localArb = fc.integer({ min: Date.UTC(2026, 9, 20), max: Date.UTC(2026, 10, 10) }).map((t) => new Date(Math.floor(t / 900_000) * 900_000).toISOString().slice(0, 16));
const plusMinutes = (local: string, minutes: number) => new Date(Date.parse(`${local}Z`) + minutes * 60_000).toISOString().slice(0, 16);
/** Entries that are valid but for the odd field: ids that collide, every effect and zone, recurrences. */
const validEntryArb = fc
  .record({
    id: fc.oneof(fc.constant(undefined), fc.constantFrom('a', 'b', 'c', 'sale')),
    targets: fc.constantFrom(['shop/web'], ['shop/api'], ['*'], ['shop/web', 'shop/api']),
    title: fc.string({ maxLength: 30 }),
    effect: fc.oneof(
      fc.record({ kind: fc.constantFrom('floor', 'ceiling', 'absolute'), replicas: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('relative'), percent: fc.integer({ min: -50, max: 200 }) }),
    ),
    priority: fc.integer({ min: -5, max: 5 }),
    timeZone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Pacific/Chatham'),
    start: localArb,
    lengthMinutes: fc.integer({ min: 15, max: 1_440 }),
    recurrence: fc.option(fc.record({ frequency: fc.constantFrom('daily', 'weekly', 'monthly'), interval: fc.integer({ min: 1, max: 3 }), count: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }) }), { nil: undefined }),
  })
  .map(({ start, lengthMinutes, recurrence, id, ...e }) => ({
    ...e,
    ...(id !== undefined ? { id } : {}),
    start,
    end: plusMinutes(start, lengthMinutes),
    ...(recurrence ? { recurrence: Object.fromEntries(Object.entries(recurrence).filter(([, v]) => v !== undefined)) } : {}),
  }));
/** A valid entry with one field set to something else (out of range, wrong type, unknown zone, extra key...). */
const brokenEntryArb = fc
  .tuple(validEntryArb, fc.constantFrom('id', 'targets', 'effect', 'timeZone', 'start', 'end', 'recurrence', 'priority', 'extra'), fc.constantFrom<unknown>(-1, 120_000, '', 'Bad Id', [], ['shop/nope'], { kind: 'floor', replicas: -2 }, 'Mars/Olympus', '2026-02-30T10:00', '2026-10-19T00:00', { frequency: 'hourly' }, { frequency: 'daily', interval: 0 }, null, Number.MAX_VALUE))
  .map(([entry, field, value]) => ({ ...entry, [field]: value }));
const entryArb = fc.oneof({ weight: 3, arbitrary: validEntryArb }, { weight: 1, arbitrary: brokenEntryArb });

const hostileBodyArb: fc.Arbitrary<Body> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })),
  fc.constantFrom('{', '{"id": "a",', 'null', '[]', '"text"', '{"__proto__": {"admin": true}}', '\u0000', '{"targets": ["*"], "a": 1e999}').map((text) => ({ kind: 'raw' as const, text })),
  fc.constant({ kind: 'big' as const }),
);

const requestArb: fc.Arbitrary<RequestPlan> = fc.record({
  route: fc.nat(),
  method: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') }),
  params: paramsArb,
  query: queryArb,
  who: fc.oneof({ weight: 8, arbitrary: fc.constant<Who>('admin') }, { weight: 1, arbitrary: fc.constantFrom<Who>('reader', 'writer', 'none', 'garbage') }),
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1', null) }),
  ifMatch: fc.constantFrom<IfMatch>('none', 'current', 'current', 'current', 'stale', '*', 'junk', 'list'),
  bodies: fc.record({
    entry: entryArb,
    preview: fc.record({ entry: entryArb, days: fc.oneof(fc.integer({ min: 1, max: 14 }), fc.constantFrom(0, 15, -1)) }),
    whatIf: fc.oneof(fc.record({ days: fc.oneof(fc.integer({ min: 1, max: 14 }), fc.constantFrom(0, 15, '3')) }), fc.constant({})),
  }),
  hostile: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hostileBodyArb }),
  bodyOnRead: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  putKeepsId: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

// ---- execution ----

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('fuzz: HTTP routes', () => {
  let server: Server;
  let port: number;
  let redis: Redis;
  let calendar: CalendarStore;
  let published: PublishedCache;
  let queues: QueueSet;
  let routes: AppRoute[];
  let weightedRoutes: AppRoute[];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const counter = fuzzCounter('httpSequences', FUZZ_RUNS.httpSequences * HTTP_SEQUENCE_LENGTH);
  const statuses = new Map<number, number>();
  const routesHit = new Set<string>();

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    // Some load, so that what-if requests have something to replay and reads return points.
    await store.writePoints(Array.from({ length: 288 }, (_, i) => ({ measurement: 'http', tags: {}, fields: { rps: 500 + 100 * Math.sin(i / 20) }, time: T0 - (288 - i) * 300_000 })));
    const plans = createRedisPublishedPlanStore(redis, PREFIX);
    for (const target of ['shop/web', 'shop/api']) {
      const plan: PublishedPlan = { target, at: T0 - 5_000, loop: 'plan', actuation: 'keda', mode: 'predictive', plannedReplicas: 4, desiredReplicas: 4, readyReplicas: 4, quantile: 98, podLeadMs: 90_000, predictedNow: null, predictedAhead: null, forecastIssuedAt: null, rule: 'fuzz' };
      await plans.put(plan);
    }
    published = startPublishedCache(plans, { refreshMs: 60_000 });
    await published.refresh();
    calendar = createRedisCalendarStore(redis, { prefix: PREFIX });
    queues = new QueueSet(redis, PREFIX);
    const whatIf = createWhatIfService({ config, clock, store, cache: createRedisWhatIfCache(redis, PREFIX), queue: queues.queueOf('what-if') });
    const app = createApp({
      config,
      clock,
      logger: silentLogger,
      store,
      state: createRedisStateStore(redis, PREFIX),
      cluster: SimulatedCluster.fromConfig(clock, config),
      calendar,
      published,
      whatIf,
      operational: { events: createRedisEventCounters(redis, PREFIX), jobStats: createRedisJobStatsStore(redis, PREFIX), queues: queues.queues },
    });
    routes = appRoutes(app);
    // Writes are drawn four times as often as reads: they are what can leave partial state behind.
    weightedRoutes = routes.flatMap((r) => (r.method === 'GET' ? [r] : [r, r, r, r]));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    const missed = routes.map((r) => `${r.method} ${r.path}`).filter((r) => !routesHit.has(r));
    console.log('fuzz http statuses:', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])), `routes answered 2xx: ${routesHit.size} of ${routes.length}`, missed);
    // Every route must have answered successfully at least once, or the fuzzing missed it.
    expect([...routesHit].sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    agent.destroy();
    published.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await queues.obliterate();
    await queues.close();
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  function send(method: string, path: string, headers: Record<string, string>, body: string | null): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== null ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== null) req.write(body);
      req.end();
    });
  }

  /** What the calendar must hold: the resources the successful requests answered with, by id. */
  let model = new Map<string, { meta: { revision: number } } & Record<string, unknown>>();
  /** What-if run ids answered so far (kept across sequences: the runs stay queued in Redis, their ids stay valid). */
  const whatIfRuns: string[] = [];

  async function storedCalendar() {
    const stored = await calendar.listWithMeta();
    return Object.fromEntries(stored.map((s) => [s.entry.id, JSON.parse(JSON.stringify({ ...s.entry, meta: s.meta })) as unknown]));
  }

  const whatIfJobs = async () => Object.values(await queues.queueOf('what-if').getJobCounts()).reduce((a, b) => a + b, 0);

  async function execute(plan: RequestPlan): Promise<void> {
    const known = plan.route === -1 || plan.route % (weightedRoutes.length + 1) < weightedRoutes.length;
    const route = plan.route === -1 ? { method: 'POST', path: '/api/calendar' } : known ? weightedRoutes[plan.route % (weightedRoutes.length + 1)]! : { method: 'GET', path: '/api/nothing/:namespace/here' };
    // An "existing" id is an entry id on calendar routes and a run id on what-if routes, from earlier answers.
    const ids = route.path.includes('/what-if/') ? whatIfRuns : [...model.keys()].sort();
    const path = route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const segment = plan.params[(['namespace', 'name', 'id', 'file'].includes(name) ? name : 'other') as keyof RequestPlan['params']];
      if (segment.kind === 'raw') return segment.text;
      return ids.length > 0 ? encodeURIComponent(ids[segment.pick % ids.length]!) : 'a';
    });
    const query = plan.query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
    const method = plan.method ?? route.method;
    const headers: Record<string, string> = {};
    if (plan.who === 'garbage') headers['authorization'] = 'Bearer not-a-valid-token-at-all';
    else if (plan.who !== 'none') headers['authorization'] = `Bearer ${TOKENS[plan.who]}`;
    let suited = /\/preview$/.test(route.path) ? plan.bodies.preview : /\/what-if$/.test(route.path) ? plan.bodies.whatIf : plan.bodies.entry;
    if (method === 'PUT' && !plan.putKeepsId && suited && typeof suited === 'object') suited = { ...suited, id: undefined };
    const chosen: Body = plan.hostile ?? (['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method) && !plan.bodyOnRead ? { kind: 'none' } : { kind: 'json', value: suited });
    let body: string | null = null;
    if (chosen.kind === 'json') body = JSON.stringify(chosen.value) ?? 'null';
    else if (chosen.kind === 'raw') body = chosen.text;
    else if (chosen.kind === 'big') body = JSON.stringify({ title: 'x'.repeat(20_000) });
    if (body !== null && plan.contentType) headers['content-type'] = plan.contentType;
    const idInPath = decodeURIComponentSafe(path.split('/').at(-1) ?? '');
    const current = model.get(idInPath)?.meta.revision;
    const ifMatch = { none: null, current: current !== undefined ? `"${current}"` : '"1"', stale: `"${(current ?? 1) + 1}"`, '*': '*', junk: 'W/"1"', list: `"0", "${current ?? 1}"` }[plan.ifMatch];
    if (ifMatch !== null) headers['if-match'] = ifMatch;

    const isWhatIfPost = method === 'POST' && /\/what-if\/?$/i.test(path);
    const jobsBefore = isWhatIfPost ? await whatIfJobs() : 0;
    const answer = await send(method, `${path}${query ? `?${query}` : ''}`, headers, body);
    const context = `${method} ${path.slice(0, 200)}${query ? `?${query}` : ''} as ${plan.who} -> ${answer.status} ${answer.text.slice(0, 300)}`;
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);

    expect(answer.status, context).toBeGreaterThanOrEqual(200);
    expect(answer.status, context).toBeLessThan(500);
    for (const token of Object.values(TOKENS)) expect(answer.text.includes(token), context).toBe(false);
    if (answer.status >= 400 && method !== 'HEAD') {
      const error = JSON.parse(answer.text) as { error: unknown; message: unknown; details: unknown };
      expect(typeof error.error === 'string' && typeof error.message === 'string' && Array.isArray(error.details), context).toBe(true);
    }
    if (answer.status < 300 && known && method === route.method) routesHit.add(`${route.method} ${route.path}`);

    // The model follows the successful writes only.
    if (method === 'POST' && answer.status === 201) {
      const created = JSON.parse(answer.text) as { id: string; meta: { revision: number } };
      model.set(created.id, created);
    } else if (method === 'PUT' && answer.status === 200) {
      const replaced = JSON.parse(answer.text) as { id: string; meta: { revision: number } };
      model.set(replaced.id, replaced);
    } else if (method === 'DELETE' && answer.status === 204) model.delete(idInPath);
    expect(await storedCalendar(), context).toEqual(Object.fromEntries(model));
    if (isWhatIfPost && answer.status >= 300) expect(await whatIfJobs(), context).toBe(jobsBefore);
    if (isWhatIfPost && answer.status < 300) whatIfRuns.push((JSON.parse(answer.text) as { id: string }).id);
  }

  function decodeURIComponentSafe(text: string): string {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  }

  // Not random: every hostile path segment in every parameter of every route, once (a value the property draws
  // rarely, like "constructor" for /dashboard/vendor/:file, is tried here for sure).
  it('answers every hostile path parameter of every route below 500', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.path.includes(':'))) {
      for (const text of HOSTILE) {
        const path = route.path.replace(/:[A-Za-z]+/g, text);
        const answer = await send(route.method, path, { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' }, route.method === 'GET' ? null : '{}');
        if (answer.status >= 500) failures.push(`${route.method} ${path.slice(0, 80)} -> ${answer.status} ${answer.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  /** A generated valid entry, created first in every sequence so that the routes on existing ids have one. */
  const firstArb = validEntryArb.map((entry): RequestPlan => ({
    route: -1,
    method: 'POST',
    params: { namespace: raw('shop'), name: raw('web'), id: raw('a'), file: raw('d3.min.js'), other: raw('x') },
    query: [],
    who: 'admin',
    contentType: 'application/json',
    ifMatch: 'none',
    bodies: { entry, preview: {}, whatIf: {} },
    hostile: null,
    bodyOnRead: false,
    putKeepsId: false,
  }));

  test.prop([firstArb, fc.array(requestArb, { minLength: HTTP_SEQUENCE_LENGTH - 1, maxLength: HTTP_SEQUENCE_LENGTH - 1 })], fuzzParams('httpSequences'))(
    'no 5xx, no leaked token, and the store holds exactly what the successful requests wrote',
    async (first, rest) => {
      // Each sequence starts from an empty calendar, so a failure replays on its own.
      const keys = await redis.keys(`${PREFIX}:calendar*`);
      if (keys.length > 0) await redis.del(...keys);
      model = new Map();
      for (const plan of [first, ...rest]) {
        await execute(plan);
        counter.hit();
      }
    },
  );
});
