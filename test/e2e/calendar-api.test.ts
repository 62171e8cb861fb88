/**
 * The calendar HTTP API through a real server on a free port, over the REAL Redis calendar store: CRUD with
 * ETag / If-Match, concurrent edits, authors from token names, scopes, the write rate limit, the body limit,
 * every kind of bad input (each read back from Redis to prove nothing changed), occurrences across a DST
 * change, previews on a known forecast, and entries surviving a new app instance (a restart).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/create-app.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { startPublishedCache, type PublishedCache } from '../../src/publish/published-cache.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createMemoryStateStore } from '../../src/state/state-store.js';

const T0 = Date.UTC(2026, 10, 27, 12);
const PREFIX = `test-calendar-api-${process.pid}-${Date.now()}`;
const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  editor: 'editor-token-0123456789abcdef',
  reader: 'reader-token-0123456789abcdef',
  pusher: 'pusher-token-0123456789abcdef',
};
const configFor = (api: Record<string, unknown> = {}) =>
  parseConfig(
    {
      api: {
        tokens: [
          { name: 'admin', scopes: ['read', 'write'], token: TOKENS.admin },
          { name: 'editor', scopes: ['read', 'write'], token: TOKENS.editor },
          { name: 'reader', scopes: ['read'], token: TOKENS.reader },
          { name: 'pusher', scopes: ['write'], token: TOKENS.pusher },
        ],
        writesPerMinute: 1_000,
        ...api,
      },
      targets: [
        { name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 10, quantile: 90, podStartup: '60s' },
        { name: 'api', namespace: 'shop', load: { measurement: 'api', field: 'rps' }, capacityPerReplica: 50, maxReplicas: 20 },
      ],
    },
    {},
  );

const sale = {
  id: 'black-friday',
  targets: ['shop/web'],
  title: 'Black Friday',
  effect: { kind: 'floor', replicas: 6 },
  timeZone: 'UTC',
  start: '2026-11-27T12:10',
  end: '2026-11-27T12:20',
};

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON read back and checked field by field
}

interface Running {
  base: string;
  server: Server;
  redis: Redis;
  published: PublishedCache;
  store: ReturnType<typeof createMemoryStore>;
  close(): Promise<void>;
}

async function start(prefix: string, api: Record<string, unknown> = {}, store = createMemoryStore(), options: { sharedLimit?: boolean } = {}): Promise<Running> {
  const config = configFor(api);
  const clock = new ReplayClock(T0);
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const published = startPublishedCache(createMemoryPublishedPlanStore());
  const cluster = SimulatedCluster.fromConfig(clock, config);
  const server = createServer(
    createApp({ config: { ...config, redis: { ...config.redis, prefix } }, clock, logger: silentLogger, store, state: createMemoryStateStore(), cluster, calendar: createRedisCalendarStore(redis, { prefix }), published, ...(options.sharedLimit ? { sharedRedis: redis } : {}) }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    redis,
    published,
    store,
    async close() {
      published.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
    },
  };
}

async function call(base: string, method: string, path: string, options: { token?: keyof typeof TOKENS | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? 'admin' : options.token;
  if (token) headers['authorization'] = `Bearer ${TOKENS[token]}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

describe('calendar HTTP API (Redis calendar store)', () => {
  let app: Running;
  const prefix = `${PREFIX}:main`;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(app.base, method, path, options);
  /** Everything the store holds under the prefix: entries and meta, raw. */
  const snapshot = async () => ({ entries: await app.redis.hgetall(`${prefix}:calendar`), meta: await app.redis.hgetall(`${prefix}:calendar:meta`) });

  beforeAll(async () => {
    app = await start(prefix);
  });

  afterAll(async () => {
    const keys = await app.redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await app.redis.del(...keys);
    await app.close();
  });

  it('creates, reads, lists, replaces and deletes, with ETags and authors from token names', async () => {
    const created = await api('POST', '/api/calendar', { body: sale });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe('/api/calendar/black-friday');
    expect(created.body).toEqual({
      ...sale,
      priority: 0,
      exclusions: { dates: [], periods: [] },
      meta: { revision: 1, createdAt: new Date(T0).toISOString(), createdBy: 'admin', updatedAt: new Date(T0).toISOString(), updatedBy: 'admin' },
    });

    const read = await api('GET', '/api/calendar/black-friday', { token: 'reader' });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body).toEqual(created.body);

    expect((await api('GET', '/api/calendar', { token: 'reader' })).body.entries.map((e: { id: string }) => e.id)).toContain('black-friday');
    expect((await api('GET', '/api/calendar?target=shop/api')).body.entries.map((e: { id: string }) => e.id)).not.toContain('black-friday');
    const inRange = await api('GET', `/api/calendar?from=2026-11-27T12:15:00Z&to=${T0 + 3_600_000}`);
    expect(inRange.body.entries.map((e: { id: string }) => e.id)).toContain('black-friday');
    const outOfRange = await api('GET', '/api/calendar?from=2026-11-28T00:00:00Z&to=2026-11-29T00:00:00Z');
    expect(outOfRange.body.entries.map((e: { id: string }) => e.id)).not.toContain('black-friday');

    const replaced = await api('PUT', '/api/calendar/black-friday', { token: 'editor', body: { ...sale, effect: { kind: 'floor', replicas: 8 } }, headers: { 'if-match': '"1"' } });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"2"');
    expect(replaced.body.effect).toEqual({ kind: 'floor', replicas: 8 });
    expect(replaced.body.meta).toMatchObject({ revision: 2, createdBy: 'admin', updatedBy: 'editor' });
    // The store holds what the API answered.
    expect((await createRedisCalendarStore(app.redis, { prefix }).get('black-friday'))!.meta).toEqual(replaced.body.meta);

    const deleted = await api('DELETE', '/api/calendar/black-friday', { headers: { 'if-match': '"2"' } });
    expect(deleted.status).toBe(204);
    expect((await api('GET', '/api/calendar/black-friday')).status).toBe(404);
    expect(await app.redis.hexists(`${prefix}:calendar`, 'black-friday')).toBe(0);
  });

  it('generates an id from the title when the body has none', async () => {
    const created = await api('POST', '/api/calendar', { body: { ...sale, id: undefined, title: 'Cyber Monday!' } });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^cyber-monday-[0-9a-f]{8}$/);
    expect(created.headers.get('location')).toBe(`/api/calendar/${created.body.id}`);
    expect((await api('GET', `/api/calendar/${created.body.id}`)).status).toBe(200);
  });

  it('answers 409 for an id that exists, 428 without If-Match, 412 when it is stale, and changes nothing', async () => {
    const id = 'etag-case';
    expect((await api('POST', '/api/calendar', { body: { ...sale, id } })).status).toBe(201);
    expect((await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id, title: 'v2' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    const before = await snapshot();

    const duplicate = await api('POST', '/api/calendar', { body: { ...sale, id } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ error: 'conflict', message: expect.stringContaining(id), details: [{ path: 'id', message: 'exists' }] });

    const unconditional = await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id, title: 'v3' } });
    expect(unconditional.status).toBe(428);
    expect(unconditional.body).toMatchObject({ error: 'precondition_required', details: [{ path: 'headers.if-match', message: 'required' }] });

    const stalePut = await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id, title: 'v3' }, headers: { 'if-match': '"1"' } });
    expect(stalePut.status).toBe(412);
    expect(stalePut.headers.get('etag')).toBe('"2"');
    expect(stalePut.body).toMatchObject({ error: 'precondition_failed', details: [{ path: 'headers.if-match', message: 'current revision is 2' }] });

    // A weak tag never matches (If-Match compares strongly); neither does a list without the current revision.
    expect((await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id }, headers: { 'if-match': 'W/"2"' } })).status).toBe(412);
    expect((await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id }, headers: { 'if-match': '"1", "3"' } })).status).toBe(412);
    expect((await api('DELETE', `/api/calendar/${id}`, { headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect(await snapshot()).toEqual(before);

    // "*" and a list that holds the current revision match.
    const star = await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id, title: 'v3' }, headers: { 'if-match': '*' } });
    expect([star.status, star.headers.get('etag')]).toEqual([200, '"3"']);
    const listed = await api('PUT', `/api/calendar/${id}`, { body: { ...sale, id, title: 'v4' }, headers: { 'if-match': '"1", "3"' } });
    expect([listed.status, listed.body.title]).toEqual([200, 'v4']);
  });

  it('of two concurrent PUTs with the same If-Match, exactly one gets 200 and the other 412', async () => {
    const id = 'race';
    expect((await api('POST', '/api/calendar', { body: { ...sale, id } })).status).toBe(201);
    const [a, b] = await Promise.all([
      api('PUT', `/api/calendar/${id}`, { token: 'admin', body: { ...sale, id, title: 'by admin' }, headers: { 'if-match': '"1"' } }),
      api('PUT', `/api/calendar/${id}`, { token: 'editor', body: { ...sale, id, title: 'by editor' }, headers: { 'if-match': '"1"' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const winner = a.status === 200 ? a : b;
    const stored = (await createRedisCalendarStore(app.redis, { prefix }).get(id))!;
    expect(stored.entry.title).toBe(winner.body.title);
    expect(stored.meta).toEqual(winner.body.meta);
    expect(stored.meta.revision).toBe(2);
  });

  it('needs a token with the right scope: 401 without or with a wrong one, 403 without the scope', async () => {
    const before = await snapshot();
    const anonymous = await api('POST', '/api/calendar', { token: null, body: { ...sale, id: 'nope' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm="prescale"/);
    expect(anonymous.body).toEqual({ error: 'unauthorized', message: expect.stringContaining('missing bearer token'), details: [{ path: 'headers.authorization', message: 'required' }] });

    const wrong = await call(app.base, 'GET', '/api/calendar', { token: null, headers: { authorization: 'Bearer not-a-token-at-all-000000' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'unauthorized', details: [{ path: 'headers.authorization', message: 'unknown token' }] });

    const readerWrites = await api('POST', '/api/calendar', { token: 'reader', body: { ...sale, id: 'nope' } });
    expect(readerWrites.status).toBe(403);
    expect(readerWrites.body).toEqual({ error: 'forbidden', message: 'token "reader" lacks the "write" scope', details: [{ path: 'headers.authorization', message: 'needs scope write' }] });
    expect((await api('DELETE', '/api/calendar/race', { token: 'reader' })).status).toBe(403);
    expect((await api('GET', '/api/calendar', { token: 'pusher' })).status).toBe(403);
    expect((await api('GET', '/api/status', { token: null })).status).toBe(401);
    // A preview computes and stores nothing: the read scope is enough.
    expect((await api('POST', '/api/calendar/preview', { token: 'reader', body: { entry: sale } })).status).toBe(200);
    // Operational endpoints stay open (api.protectOperational is off).
    expect((await api('GET', '/healthz', { token: null })).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it('answers every kind of bad input with a 4xx naming the field, and stores nothing', async () => {
    expect((await api('POST', '/api/calendar', { body: { ...sale, id: 'existing' } })).status).toBe(201);
    const before = await snapshot();
    const cases: [string, string, string, Parameters<typeof call>[3], number, string, string][] = [
      ['malformed JSON', 'POST', '/api/calendar', { raw: '{"id": "x", ' }, 400, 'bad_request', ''],
      ['wrong content type', 'POST', '/api/calendar', { raw: JSON.stringify(sale), headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type', 'headers.content-type'],
      ['no body', 'POST', '/api/calendar', {}, 400, 'bad_request', ''],
      ['a JSON string instead of an object', 'POST', '/api/calendar', { raw: '"black-friday"' }, 400, 'bad_request', ''],
      ['wrong type', 'POST', '/api/calendar', { body: { ...sale, effect: { kind: 'floor', replicas: '20' } } }, 400, 'bad_request', 'effect.replicas'],
      ['unknown field', 'POST', '/api/calendar', { body: { ...sale, colour: 'red' } }, 400, 'bad_request', ''],
      ['unknown effect kind', 'POST', '/api/calendar', { body: { ...sale, effect: { kind: 'double', replicas: 2 } } }, 400, 'bad_request', 'effect.kind'],
      ['end before start', 'POST', '/api/calendar', { body: { ...sale, end: '2026-11-27T12:00' } }, 400, 'bad_request', 'end'],
      ['10^9 replicas', 'POST', '/api/calendar', { body: { ...sale, effect: { kind: 'floor', replicas: 1e9 } } }, 400, 'bad_request', 'effect.replicas'],
      ['+10^9 relative replicas', 'POST', '/api/calendar', { body: { ...sale, effect: { kind: 'relative', replicas: 1e9 } } }, 400, 'bad_request', 'effect.replicas'],
      ['a window every minute', 'POST', '/api/calendar', { body: { ...sale, recurrence: { frequency: 'minutely' } } }, 400, 'bad_request', 'recurrence.frequency'],
      ['daily occurrences that overlap', 'POST', '/api/calendar', { body: { ...sale, end: '2026-11-29T12:20', recurrence: { frequency: 'daily' } } }, 400, 'bad_request', 'end'],
      ['an absurd interval', 'POST', '/api/calendar', { body: { ...sale, recurrence: { frequency: 'daily', interval: 1e6 } } }, 400, 'bad_request', 'recurrence.interval'],
      ['until before the start', 'POST', '/api/calendar', { body: { ...sale, recurrence: { frequency: 'daily', until: '2025-01-01' } } }, 400, 'bad_request', 'recurrence.until'],
      ['a time zone that does not exist', 'POST', '/api/calendar', { body: { ...sale, timeZone: 'Mars/Olympus_Mons' } }, 400, 'bad_request', 'timeZone'],
      ['an unknown target', 'POST', '/api/calendar', { body: { ...sale, targets: ['shop/web', 'shop/nope'] } }, 400, 'bad_request', 'targets.1'],
      ['a reserved id', 'POST', '/api/calendar', { body: { ...sale, id: 'preview' } }, 400, 'bad_request', 'id'],
      ['a bad id', 'POST', '/api/calendar', { body: { ...sale, id: '../etc' } }, 400, 'bad_request', 'id'],
      ['a body too large', 'POST', '/api/calendar', { body: { ...sale, title: 'x'.repeat(70_000) } }, 413, 'payload_too_large', ''],
      ['a PUT whose body id differs', 'PUT', '/api/calendar/existing', { body: { ...sale, id: 'other' }, headers: { 'if-match': '"1"' } }, 400, 'bad_request', 'id'],
      ['a PUT with an unknown target', 'PUT', '/api/calendar/existing', { body: { ...sale, id: 'existing', targets: ['x/y'] }, headers: { 'if-match': '"1"' } }, 400, 'bad_request', 'targets.0'],
      ['a PUT with a wrong type', 'PUT', '/api/calendar/existing', { body: { ...sale, id: 'existing', priority: 'high' }, headers: { 'if-match': '"1"' } }, 400, 'bad_request', 'priority'],
      ['a PUT of an entry that does not exist', 'PUT', '/api/calendar/missing', { body: { ...sale, id: 'missing' }, headers: { 'if-match': '"1"' } }, 404, 'not_found', 'id'],
      ['a DELETE of an entry that does not exist', 'DELETE', '/api/calendar/missing', {}, 404, 'not_found', 'id'],
      ['a GET of an entry that does not exist', 'GET', '/api/calendar/missing', {}, 404, 'not_found', 'id'],
      ['a list for an unknown target', 'GET', '/api/calendar?target=shop/nope', {}, 400, 'bad_request', 'query.target'],
      ['a list from "yesterday"', 'GET', '/api/calendar?from=yesterday', {}, 400, 'bad_request', 'query.from'],
      ['a local time without offset', 'GET', '/api/calendar?from=2026-11-27T09:00', {}, 400, 'bad_request', 'query.from'],
      ['an unknown query parameter', 'GET', '/api/calendar?limit=5', {}, 400, 'bad_request', 'query'],
      ['a range that ends before it starts', 'GET', '/api/calendar/occurrences?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z', {}, 400, 'bad_request', 'query.to'],
      ['a range of ten years', 'GET', '/api/calendar/occurrences?from=2026-01-01&to=2036-01-01', {}, 400, 'bad_request', 'query.to'],
      ['a preview of 30 days', 'POST', '/api/calendar/preview', { body: { entry: sale, days: 30 } }, 400, 'bad_request', 'days'],
      ['a preview with an unknown target', 'POST', '/api/calendar/preview', { body: { entry: { ...sale, targets: ['x/y'] } } }, 400, 'bad_request', 'entry.targets.0'],
      ['a preview with an unknown field', 'POST', '/api/calendar/preview', { body: { entry: sale, save: true } }, 400, 'bad_request', ''],
      ['a target path that is not configured', 'GET', '/api/targets/shop/nope/forecast', {}, 404, 'not_found', 'target'],
    ];
    for (const [what, method, path, options, status, code, field] of cases) {
      const answer = await api(method, path, options);
      expect(answer.status, what).toBe(status);
      expect(answer.headers.get('content-type'), what).toMatch(/^application\/json/);
      expect(answer.body, what).toEqual({ error: code, message: expect.any(String), details: expect.any(Array) });
      expect(answer.body.details.length, what).toBeGreaterThan(0);
      expect(
        answer.body.details.map((d: { path: string }) => d.path),
        what,
      ).toContain(field);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('expands occurrences in UTC and local time across the spring DST change in Europe/Paris', async () => {
    const body = {
      id: 'paris-mornings',
      targets: ['shop/api'],
      title: 'Paris mornings',
      effect: { kind: 'relative', percent: 50 },
      timeZone: 'Europe/Paris',
      start: '2026-03-27T09:00',
      end: '2026-03-27T10:00',
      recurrence: { frequency: 'daily' },
      exclusions: { periods: [{ start: '2026-03-30T09:20', end: '2026-03-30T09:40' }] },
    };
    expect((await api('POST', '/api/calendar', { body })).status).toBe(201);
    const answer = await api('GET', '/api/calendar/occurrences?from=2026-03-27T00:00:00Z&to=2026-03-31T00:00:00Z&target=shop/api', { token: 'reader' });
    expect(answer.status).toBe(200);
    const mine = answer.body.occurrences.filter((o: { entryId: string }) => o.entryId === 'paris-mornings');
    // 09:00 Paris is 08:00 UTC before 2026-03-29 (CET, +01:00) and 07:00 UTC from then on (CEST, +02:00).
    expect(mine.map((o: { start: string; end: string; localStart: string; localEnd: string }) => [o.start, o.end, o.localStart, o.localEnd])).toEqual([
      ['2026-03-27T08:00:00.000Z', '2026-03-27T09:00:00.000Z', '2026-03-27T09:00:00+01:00', '2026-03-27T10:00:00+01:00'],
      ['2026-03-28T08:00:00.000Z', '2026-03-28T09:00:00.000Z', '2026-03-28T09:00:00+01:00', '2026-03-28T10:00:00+01:00'],
      ['2026-03-29T07:00:00.000Z', '2026-03-29T08:00:00.000Z', '2026-03-29T09:00:00+02:00', '2026-03-29T10:00:00+02:00'],
      // The exclusion period 09:20-09:40 cuts the 30th in two.
      ['2026-03-30T07:00:00.000Z', '2026-03-30T07:20:00.000Z', '2026-03-30T09:00:00+02:00', '2026-03-30T09:20:00+02:00'],
      ['2026-03-30T07:40:00.000Z', '2026-03-30T08:00:00.000Z', '2026-03-30T09:40:00+02:00', '2026-03-30T10:00:00+02:00'],
    ]);
    expect(mine[0]).toMatchObject({ title: 'Paris mornings', targets: ['shop/api'], effect: { kind: 'relative', percent: 50 }, priority: 0, timeZone: 'Europe/Paris' });
    // Filtered by target: an entry only for shop/web is not among shop/api's occurrences.
    const web = await api('GET', '/api/calendar/occurrences?from=2026-03-27T00:00:00Z&to=2026-03-31T00:00:00Z&target=shop/web');
    expect(web.body.occurrences.map((o: { entryId: string }) => o.entryId)).not.toContain('paris-mornings');
    // Epoch ms work as well as ISO.
    const epoch = await api('GET', `/api/calendar/occurrences?from=${Date.UTC(2026, 2, 29)}&to=${Date.UTC(2026, 2, 30)}&target=shop/api`);
    expect(epoch.body.occurrences.filter((o: { entryId: string }) => o.entryId === 'paris-mornings').map((o: { localStart: string }) => o.localStart)).toEqual(['2026-03-29T09:00:00+02:00']);
  });

  it('previews planned replicas with and without an entry from the stored forecast (numbers worked out by hand)', async () => {
    // Its own calendar (the entries of the other tests would count as "the calendar as stored"), same metrics store.
    const previewPrefix = `${PREFIX}:preview`;
    const preview = await start(previewPrefix, {}, app.store);
    try {
      const mean = [200, 300, 400, 500, 400, 300];
      await app.store.writeForecast({
        target: 'shop/web',
        issuedAt: T0 - 60_000,
        model: 'ets(A,N,N)',
        startMs: T0,
        stepMs: 300_000,
        mean,
        intervals: [
          { level: 80, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.2) },
          { level: 95, lower: mean.map((m) => m * 0.7), upper: mean.map((m) => m * 1.3) },
        ],
      });
      // A stored ceiling of 4 from 12:15 to 12:25 on every target: part of both sides.
      const cap = { id: 'cap', targets: ['*'], effect: { kind: 'ceiling', replicas: 4 }, timeZone: 'UTC', start: '2026-11-27T12:15', end: '2026-11-27T12:25' };
      expect((await call(preview.base, 'POST', '/api/calendar', { body: cap })).status).toBe(201);
      const stored = await preview.redis.hgetall(`${previewPrefix}:calendar`);

      const answer = await call(preview.base, 'POST', '/api/calendar/preview', { token: 'reader', body: { entry: { ...sale, id: undefined, targets: ['*'] }, days: 1 } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ from: T0, to: T0 + 86_400_000, stepMs: 300_000, method: expect.stringContaining('Left out') });
      const web = answer.body.targets.find((t: { target: string }) => t.target === 'shop/web');
      // P90 = hi80 = 1.2 x mean; headroom 2% (no calibration yet); 100 rps per replica; window 60 s lead + 15 s:
      // ceil([240, 360, 480, 600, 480, 360] x 1.02 / 100) = [3, 4, 5, 7, 5, 4]; the stored ceiling makes
      // 12:15 and 12:20 4; the previewed floor of 6 lifts 12:10 and loses to the ceiling ("cap" < "preview") at 12:15.
      expect(web.points).toEqual([
        { time: T0, without: 3, with: 3 },
        { time: T0 + 300_000, without: 4, with: 4 },
        { time: T0 + 600_000, without: 5, with: 6 },
        { time: T0 + 900_000, without: 4, with: 4 },
        { time: T0 + 1_200_000, without: 4, with: 4 },
        { time: T0 + 1_500_000, without: 4, with: 4 },
      ]);
      expect(web).toMatchObject({ coveredUntil: T0 + 6 * 300_000, forecastModel: 'ets(A,N,N)', forecastIssuedAt: T0 - 60_000 });
      // shop/api has no forecast: said so, with no points.
      expect(answer.body.targets.find((t: { target: string }) => t.target === 'shop/api')).toEqual({ target: 'shop/api', coveredUntil: null, forecastModel: null, forecastIssuedAt: null, points: [] });
      // A preview stores nothing.
      expect(await preview.redis.hgetall(`${previewPrefix}:calendar`)).toEqual(stored);
    } finally {
      await preview.close();
    }
  });

  it('limits writes per client: 429 with Retry-After and the error body, nothing stored', async () => {
    const limitedPrefix = `${PREFIX}:limited`;
    const limited = await start(limitedPrefix, { writesPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await call(limited.base, 'POST', '/api/calendar', { body: { ...sale, id: `w${i}` } })).status).toBe(201);
      const refused = await call(limited.base, 'POST', '/api/calendar', { body: { ...sale, id: 'w3' } });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body).toEqual({ error: 'too_many_requests', message: expect.stringContaining('more than 3 writes per minute'), details: [{ path: '', message: 'limit 3 writes per minute' }] });
      expect(Object.keys(await limited.redis.hgetall(`${limitedPrefix}:calendar`)).sort()).toEqual(['w0', 'w1', 'w2']);
      // Reads are not limited.
      expect((await call(limited.base, 'GET', '/api/calendar')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('two api replicas count writes together through Redis: the limit holds across replicas, not per replica', async () => {
    const sharedPrefix = `${PREFIX}:shared-limit`;
    const [a, b] = [await start(sharedPrefix, { writesPerMinute: 3 }, createMemoryStore(), { sharedLimit: true }), await start(sharedPrefix, { writesPerMinute: 3 }, createMemoryStore(), { sharedLimit: true })];
    try {
      expect((await call(a.base, 'POST', '/api/calendar', { body: { ...sale, id: 's0' } })).status).toBe(201);
      expect((await call(b.base, 'POST', '/api/calendar', { body: { ...sale, id: 's1' } })).status).toBe(201);
      expect((await call(a.base, 'POST', '/api/calendar', { body: { ...sale, id: 's2' } })).status).toBe(201);
      // The fourth write in the minute, on the replica that has seen only one: refused.
      const refused = await call(b.base, 'POST', '/api/calendar', { body: { ...sale, id: 's3' } });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: 'too_many_requests' });
      expect(Object.keys(await a.redis.hgetall(`${sharedPrefix}:calendar`)).sort()).toEqual(['s0', 's1', 's2']);
    } finally {
      const keys = await a.redis.keys(`${sharedPrefix}:*`);
      if (keys.length > 0) await a.redis.del(...keys);
      await a.close();
      await b.close();
    }
  });

  it('takes the body limit from api.bodyLimitBytes and protects /healthz with api.protectOperational', async () => {
    const strictPrefix = `${PREFIX}:strict`;
    const strict = await start(strictPrefix, { bodyLimitBytes: 2_048, protectOperational: true });
    try {
      // 2 KB limit: a 3 KB body is refused (a 200-character title is within the entry's own limits).
      const big = await call(strict.base, 'POST', '/api/calendar', { body: { ...sale, title: 'x'.repeat(200), exclusions: { dates: Array.from({ length: 200 }, () => '2026-12-25') } } });
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining('2048 bytes') });
      expect(await strict.redis.hgetall(`${strictPrefix}:calendar`)).toEqual({});
      expect((await call(strict.base, 'POST', '/api/calendar', { body: sale })).status).toBe(201);

      const open = await call(strict.base, 'GET', '/healthz', { token: null });
      expect(open.status).toBe(401);
      expect(open.body).toMatchObject({ error: 'unauthorized', details: [{ path: 'headers.authorization', message: 'required' }] });
      expect((await call(strict.base, 'GET', '/healthz', { token: 'reader' })).status).toBe(200);
      expect((await call(strict.base, 'GET', '/healthz', { token: 'pusher' })).status).toBe(403);
    } finally {
      await strict.close();
    }
  });

  it('serves the same entries from a new app instance on the same Redis (a restart)', async () => {
    expect((await api('POST', '/api/calendar', { body: { ...sale, id: 'survivor' } })).status).toBe(201);
    const original = (await api('GET', '/api/calendar/survivor')).body;
    const restarted = await start(prefix);
    try {
      const back = await call(restarted.base, 'GET', '/api/calendar/survivor', { token: 'reader' });
      expect(back.status).toBe(200);
      expect(back.body).toEqual(original);
      const edit = await call(restarted.base, 'PUT', '/api/calendar/survivor', { token: 'editor', body: { ...sale, id: 'survivor', title: 'edited elsewhere' }, headers: { 'if-match': '"1"' } });
      expect(edit.status).toBe(200);
      // The first instance sees the other's write at once: nothing is cached per replica.
      expect((await api('GET', '/api/calendar/survivor')).body.meta).toMatchObject({ revision: 2, updatedBy: 'editor' });
    } finally {
      await restarted.close();
    }
  });
});
