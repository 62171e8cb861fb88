import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ServiceError } from '../../src/core/errors.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { calendarStoreContract } from '../contract/calendar-store.contract.js';

// A unique prefix per store made, so tests never see each other's entries; all removed at the end.
const PREFIX = `test-calendar-${process.pid}-${Date.now()}`;
let redis: Redis;
let made = 0;
const invalid: string[] = [];

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const prefixes = new WeakMap<object, string>();
calendarStoreContract(
  'redis',
  async () => {
    const prefix = `${PREFIX}:${++made}`;
    const store = createRedisCalendarStore(redis, { prefix, onInvalid: (id) => invalid.push(id) });
    prefixes.set(store, prefix);
    return store;
  },
  async (store, id) => {
    await redis.hset(`${prefixes.get(store)}:calendar`, id, '{"id": "broken", "not": "an entry"}');
  },
  async (store, entry) => {
    // What the store wrote before revisions: the entry JSON alone, no meta hash.
    await redis.hset(`${prefixes.get(store)}:calendar`, entry.id, JSON.stringify(entry));
  },
);

it('reports the invalid stored value it skipped', () => {
  expect(invalid).toContain('broken');
});

it('keeps entries in one hash under the prefix, as JSON, and their meta in a second hash', async () => {
  const store = createRedisCalendarStore(redis, { prefix: `${PREFIX}:layout` });
  await store.create({ id: 'x', targets: ['*'], effect: { kind: 'absolute', replicas: 4 }, start: '2026-01-01T00:00', end: '2026-01-01T01:00' }, { author: 'alice', at: 0 });
  const raw = await redis.hget(`${PREFIX}:layout:calendar`, 'x');
  // The entry JSON alone, as before revisions: older processes keep reading it during a rolling update.
  expect(JSON.parse(raw!)).toEqual({ id: 'x', targets: ['*'], title: '', effect: { kind: 'absolute', replicas: 4 }, priority: 0, timeZone: 'UTC', start: '2026-01-01T00:00', end: '2026-01-01T01:00', exclusions: { dates: [], periods: [] } });
  expect(JSON.parse((await redis.hget(`${PREFIX}:layout:calendar:meta`, 'x'))!)).toMatchObject({ revision: 1, createdBy: 'alice' });
});

it('many concurrent replaces at one revision from separate connections: exactly one wins', async () => {
  const prefix = `${PREFIX}:race`;
  const clients = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const client = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      return client;
    }),
  );
  const entry = { id: 'race', targets: ['*'], effect: { kind: 'floor', replicas: 1 }, start: '2026-01-01T00:00', end: '2026-01-01T01:00' };
  await createRedisCalendarStore(redis, { prefix }).create(entry, { author: 'setup', at: 0 });
  const results = await Promise.all(
    clients.map((client, i) => createRedisCalendarStore(client, { prefix }).replace('race', { ...entry, effect: { kind: 'floor', replicas: i + 2 } }, 1, { author: `writer-${i}`, at: 1 })),
  );
  await Promise.all(clients.map((c) => c.quit()));
  const winners = results.flatMap((r) => (r.ok ? [r.stored] : []));
  expect(winners).toHaveLength(1);
  expect(results.filter((r) => !r.ok && r.reason === 'stale')).toHaveLength(7);
  const back = (await createRedisCalendarStore(redis, { prefix }).get('race'))!;
  expect(back).toEqual(winners[0]);
  expect(back.meta.revision).toBe(2);
});

it('a Redis that does not answer gives a retryable ServiceError naming the address', async () => {
  const dead = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  const store = createRedisCalendarStore(dead, { prefix: `${PREFIX}:dead` });
  const error = await store.list().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).retryable).toBe(true);
  expect((error as ServiceError).message).toMatch(/^redis at 127\.0\.0\.1:1: calendar store list failed/);
  dead.disconnect();
});
