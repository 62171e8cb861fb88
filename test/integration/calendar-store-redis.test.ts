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
);

it('reports the invalid stored value it skipped', () => {
  expect(invalid).toContain('broken');
});

it('keeps entries in one hash under the prefix, as JSON', async () => {
  const store = createRedisCalendarStore(redis, { prefix: `${PREFIX}:layout` });
  await store.put({ id: 'x', targets: ['*'], effect: { kind: 'absolute', replicas: 4 }, start: '2026-01-01T00:00', end: '2026-01-01T01:00' });
  const raw = await redis.hget(`${PREFIX}:layout:calendar`, 'x');
  expect(JSON.parse(raw!)).toMatchObject({ id: 'x', effect: { kind: 'absolute', replicas: 4 }, timeZone: 'UTC' });
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
