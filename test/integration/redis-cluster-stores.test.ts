/**
 * Every Redis store on a real three-node Redis Cluster: the CalendarStore contract (Lua scripts and MULTIs over
 * two hashes), the state store, the published plan store, applied ticks (SET NX, a Lua release, SCAN over
 * every master), the last-known store (pipelined scripts), scaling-event counters and job statistics
 * (pipelines over several hashes), the what-if cache; each under an untagged prefix, which the store
 * hash-tags itself on a Cluster. Each prefix is its own slot, so the stores here spread over the three nodes.
 * Also: the config's cluster section, the runtime on a Cluster, and a clear error when no node answers.
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { InputError, ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedisClient, scanKeys } from '../../src/core/redis.js';
import { hashTagged, hashTagOf } from '../../src/core/redis-hash-tag.js';
import { createRedisEventCounters } from '../../src/observability/event-counters.js';
import { createRedisJobStatsStore } from '../../src/observability/job-stats.js';
import type { PublishedPlan } from '../../src/publish/published-plan.js';
import { createRedisPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { createRuntime } from '../../src/runtime.js';
import type { TargetScalingState } from '../../src/scaling/engine.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createRedisAppliedTicks } from '../../src/state/applied-ticks.js';
import { createRedisLastKnownStore } from '../../src/state/last-known.js';
import { createRedisStateStore, type ModelInfo } from '../../src/state/state-store.js';
import { createRedisWhatIfCache } from '../../src/what-if/what-if-cache.js';
import type { WhatIfResult } from '../../src/what-if/what-if.js';
import { calendarStoreContract } from '../contract/calendar-store.contract.js';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster.js';

const PREFIX = `cluster-it-${process.pid}`;
let redisCluster: RedisClusterHandle;
let redis: Cluster;
let made = 0;

beforeAll(async () => {
  redisCluster = await startRedisCluster();
  redis = await redisCluster.connect();
});

afterAll(async () => {
  // BullMQ aside, a passed Cluster is the caller's to quit; then the three redis-server pids are killed.
  await redis?.quit();
  await redisCluster?.stop();
});

const slotOf = (key: string) => redis.cluster('KEYSLOT', key);
/** Every key under `{prefix}` and the slots they hash to. */
async function keysUnder(prefix: string): Promise<{ keys: string[]; slots: Set<number> }> {
  const keys = await scanKeys(redis, `{${prefix}}:*`);
  return { keys, slots: new Set(await Promise.all(keys.map(slotOf))) };
}

const prefixes = new WeakMap<object, string>();
calendarStoreContract(
  'redis cluster',
  async () => {
    const prefix = `${PREFIX}:calendar-${++made}`;
    const store = createRedisCalendarStore(redis, { prefix });
    prefixes.set(store, prefix);
    return store;
  },
  async (store, id) => {
    await redis.hset(`{${prefixes.get(store)}}:calendar`, id, '{"id": "broken", "not": "an entry"}');
  },
  async (store, entry) => {
    await redis.hset(`{${prefixes.get(store)}}:calendar`, entry.id, JSON.stringify(entry));
  },
);

describe('Redis stores on a three-node Redis Cluster', () => {
  it('is a real cluster: the two calendar hashes without a hash tag would be in different slots, and a MULTI over them is refused', async () => {
    expect(await slotOf('plain:calendar')).not.toBe(await slotOf('plain:calendar:meta'));
    await expect(redis.multi().hget('plain:calendar', 'x').hget('plain:calendar:meta', 'x').exec()).rejects.toThrow(/same slot|CROSSSLOT/i);
    const masters = redis.nodes('master');
    expect(masters).toHaveLength(3);
  });

  it('hash-tagged prefixes put every key in one slot, by the rule Redis itself applies (CLUSTER KEYSLOT)', async () => {
    for (const prefix of ['prescale', '{acme}-prescale', 'a{b', 'a{}b', 'x}y{z']) {
      const tagged = hashTagged(prefix);
      const slots = new Set(await Promise.all(['calendar', 'calendar:meta', 'prescale-plan:wait', 'applied-tick:plan.shop/web.1'].map((k) => slotOf(`${tagged}:${k}`))));
      expect(slots.size, `${prefix} -> ${tagged}`).toBe(1);
      expect(await slotOf(`${tagged}:calendar`)).toBe(await slotOf(hashTagOf(tagged)!));
    }
    expect(hashTagged('{acme}-prescale')).toBe('{acme}-prescale');
    expect(hashTagged('prescale')).toBe('{prescale}');
  });

  it('calendar: both hashes under the hash-tagged prefix in one slot, the entry JSON as on one Redis', async () => {
    const prefix = `${PREFIX}:calendar-layout`;
    const store = createRedisCalendarStore(redis, { prefix });
    await store.create({ id: 'x', targets: ['*'], effect: { kind: 'absolute', replicas: 4 }, start: '2026-01-01T00:00', end: '2026-01-01T01:00' }, { author: 'alice', at: 0 });
    expect(JSON.parse((await redis.hget(`{${prefix}}:calendar`, 'x'))!)).toMatchObject({ id: 'x', effect: { kind: 'absolute', replicas: 4 } });
    expect(JSON.parse((await redis.hget(`{${prefix}}:calendar:meta`, 'x'))!)).toMatchObject({ revision: 1, createdBy: 'alice' });
    expect(await redis.exists(`${prefix}:calendar`)).toBe(0);
    const { keys, slots } = await keysUnder(prefix);
    expect(keys.sort()).toEqual([`{${prefix}}:calendar`, `{${prefix}}:calendar:meta`]);
    expect(slots.size).toBe(1);
    // Bad input is refused and leaves the stored entry as it was.
    await expect(store.replace('x', { id: 'x', targets: [], effect: { kind: 'absolute', replicas: -1 } }, 1, { author: 'bob', at: 1 })).rejects.toBeInstanceOf(InputError);
    expect((await store.get('x'))?.meta.revision).toBe(1);
  });

  it('calendar: of eight concurrent replaces at one revision from separate Cluster clients exactly one wins', async () => {
    const prefix = `${PREFIX}:calendar-race`;
    const clients = await Promise.all(Array.from({ length: 8 }, () => redisCluster.connect()));
    const entry = { id: 'race', targets: ['*'], effect: { kind: 'floor', replicas: 1 }, start: '2026-01-01T00:00', end: '2026-01-01T01:00' };
    await createRedisCalendarStore(redis, { prefix }).create(entry, { author: 'setup', at: 0 });
    const results = await Promise.all(
      clients.map((client, i) => createRedisCalendarStore(client, { prefix }).replace('race', { ...entry, effect: { kind: 'floor', replicas: i + 2 } }, 1, { author: `writer-${i}`, at: 1 })),
    );
    await Promise.all(clients.map((c) => c.quit()));
    const winners = results.flatMap((r) => (r.ok ? [r.stored] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'stale')).toHaveLength(7);
    expect(await createRedisCalendarStore(redis, { prefix }).get('race')).toEqual(winners[0]);
  });

  it('state store: every kind of state reads back, the interventions list stays capped, all in one slot', async () => {
    const prefix = `${PREFIX}:state`;
    const state = createRedisStateStore(redis, prefix);
    const scaling: TargetScalingState = { mode: 'predictive', recommendations: [{ time: 1, replicas: 3 }], changes: [], reactiveUntil: null, level: { ratio: 1.1, at: 5 } };
    const info: ModelInfo = { target: 'shop/web', kind: 'hw', description: 'ets(A,Ad,A)[288]', version: 2, trainedAt: 10, trainedUntil: 9, scores: { hw: { mase: 0.5 } }, historyDays: 7, requiredHistoryDays: 2, notes: [] };
    await state.setScalingState('shop/web', scaling);
    await state.setModelInfo(info);
    await state.setModelInfo({ ...info, target: 'shop/api' });
    await state.setPlannedPods('shop/web', { replicasAhead: 7, at: 10 });
    await state.setModelInUse({ target: 'shop/web', source: 'stored', version: 2, description: 'ets', reason: '', at: 11 });
    for (let i = 0; i < 3; i++) await state.addIntervention({ target: 'shop/web', time: i, fromReplicas: 2, toReplicas: 3 + i, rule: 'reactive: cpu' });
    expect(await state.getScalingState('shop/web')).toEqual(scaling);
    expect((await state.listModelInfo()).map((m) => m.target).sort()).toEqual(['shop/api', 'shop/web']);
    expect(await state.getPlannedPods('shop/web')).toEqual({ replicasAhead: 7, at: 10 });
    expect((await state.getModelInUse('shop/web'))?.version).toBe(2);
    expect((await state.listInterventions('shop/web')).map((i) => i.toReplicas)).toEqual([3, 4, 5]);
    expect(await state.getScalingState('shop/none')).toBeNull();
    const { keys, slots } = await keysUnder(prefix);
    expect(keys.sort()).toEqual([`{${prefix}}:interventions:shop/web`, `{${prefix}}:model-in-use`, `{${prefix}}:models`, `{${prefix}}:planned-pods`, `{${prefix}}:scaling`]);
    expect(slots.size).toBe(1);
  });

  it('published plans: put, get, all; a value that does not parse is skipped', async () => {
    const prefix = `${PREFIX}:published`;
    const published = createRedisPublishedPlanStore(redis, prefix);
    const plan = (target: string, plannedReplicas: number) =>
      ({ target, at: 1, loop: 'plan', actuation: 'direct', mode: 'predictive', plannedReplicas, desiredReplicas: 2, readyReplicas: 2, quantile: 90, podLeadMs: 60_000, predictedNow: null, predictedAhead: null, forecastIssuedAt: null, rule: 'plan' }) as PublishedPlan;
    await published.put(plan('shop/web', 5));
    await published.put(plan('shop/api', 7));
    await redis.hset(`{${prefix}}:published`, 'shop/bad', 'not json');
    expect((await published.get('shop/web'))?.plannedReplicas).toBe(5);
    expect(await published.get('shop/bad')).toBeUndefined();
    const all = await published.all();
    expect([...all.keys()].sort()).toEqual(['shop/api', 'shop/web']);
    expect(all.get('shop/api')?.plannedReplicas).toBe(7);
  });

  it('applied ticks: one claim per tick, release only of our own, list found by SCAN over every master', async () => {
    const prefix = `${PREFIX}:ticks`;
    const a = createRedisAppliedTicks(redis, prefix, 'replica-a');
    const b = createRedisAppliedTicks(redis, prefix, 'replica-b');
    const first = await a.claim('plan.shop/web.1', { subject: 'shop/web', value: 4, at: 1 });
    expect(first.claimed).toBe(true);
    const second = await b.claim('plan.shop/web.1', { subject: 'shop/web', value: 5, at: 2 });
    expect(second).toEqual({ claimed: false, by: { tick: 'plan.shop/web.1', subject: 'shop/web', value: 4, by: 'replica-a', at: 1 } });
    await b.claim('plan.shop/api.1', { subject: 'shop/api', value: 3, at: 3 });
    // Ticks of another prefix (another slot, likely another node) stay out of this list.
    await createRedisAppliedTicks(redis, `${PREFIX}:other-ticks`, 'replica-c').claim('plan.shop/x.1', { subject: 'shop/x', value: 1, at: 1 });
    expect((await a.list()).map((t) => `${t.tick}@${t.by}`).sort()).toEqual(['plan.shop/api.1@replica-b', 'plan.shop/web.1@replica-a']);
    if (!first.claimed) throw new Error('unreachable: asserted above');
    await first.release();
    expect((await a.list()).map((t) => t.tick)).toEqual(['plan.shop/api.1']);
  });

  it('last known: loads of several targets in one pipeline, an older sample never replaces a newer one; forecasts', async () => {
    const prefix = `${PREFIX}:last`;
    const lastKnown = createRedisLastKnownStore(redis, prefix);
    const target = (name: string) => ({ name, namespace: 'shop', load: { measurement: 'http', field: 'rps', tags: { service: name } } }) as never;
    const point = (service: string, time: number, rps: number) => ({ measurement: 'http', tags: { service }, fields: { rps }, time });
    await lastKnown.recordLoads([target('web'), target('api')], [point('web', 100, 5), point('api', 100, 9)]);
    await lastKnown.recordLoads([target('web')], [point('web', 50, 1)]);
    expect(await lastKnown.latestLoad('shop/web', 120, 60)).toEqual({ time: 100, value: 5 });
    expect(await lastKnown.latestLoad('shop/api', 120, 60)).toEqual({ time: 100, value: 9 });
    const forecast = { target: 'shop/web', issuedAt: 1, model: 'hw', startMs: 0, stepMs: 60_000, mean: [1, 2], intervals: [{ level: 95, lower: [0, 1], upper: [2, 3] }] };
    await lastKnown.putForecast(forecast);
    expect(await lastKnown.getForecast('shop/web')).toEqual(forecast);
  });

  it('counters and job statistics: a MULTI per record, one pipeline over every queue to read', async () => {
    const prefix = `${PREFIX}:stats`;
    const events = createRedisEventCounters(redis, prefix);
    await events.increment('shop/web', ['reactive_trigger', 'forecast_above_max']);
    await events.increment('shop/web', ['reactive_trigger']);
    expect((await events.all()).get('shop/web')).toEqual({ reactive_trigger: 2, forecast_above_max: 1 });
    const jobStats = createRedisJobStatsStore(redis, prefix);
    await jobStats.recordCompleted('prescale-plan', 40);
    await jobStats.recordCompleted('prescale-train', 4_000);
    await jobStats.recordFailed('prescale-train');
    const read = await jobStats.read(['prescale-plan', 'prescale-train', 'prescale-forecast']);
    expect([read.get('prescale-plan')?.count, read.get('prescale-train')?.failures, read.get('prescale-forecast')?.count]).toEqual([1, 1, 0]);
    expect(read.get('prescale-train')?.sumSeconds).toBe(4);
    expect((await keysUnder(prefix)).slots.size).toBe(1);
  });

  it('what-if cache: a result reads back and expires', async () => {
    const prefix = `${PREFIX}:what-if`;
    const cache = createRedisWhatIfCache(redis, prefix, 60);
    const result = { id: 'shop.web.3d.1000' } as WhatIfResult;
    await cache.set(result);
    expect(await cache.get('shop.web.3d.1000')).toEqual(result);
    expect(await redis.ttl(`{${prefix}}:what-if:shop.web.3d.1000`)).toBeGreaterThan(50);
  });
});

describe('config and runtime with redis.cluster', () => {
  const base = { targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 10, maxReplicas: 20 }] };

  it('takes seed nodes as a list or a comma string (PRESCALE_REDIS_CLUSTER) and hash-tags the prefix', () => {
    expect(parseConfig({ ...base, redis: { cluster: ['10.0.0.1:6379', '[::1]:7000'] } }, {}).redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: '{prescale}', cluster: ['10.0.0.1:6379', '[::1]:7000'] });
    expect(parseConfig(base, { PRESCALE_REDIS_CLUSTER: 'a:7000, b:7001' }).redis.cluster).toEqual(['a:7000', 'b:7001']);
    expect(parseConfig({ ...base, redis: { cluster: ['a:1'], prefix: '{acme}-prescale' } }, {}).redis.prefix).toBe('{acme}-prescale');
    // Without a cluster the prefix and with it every key stay as they were.
    expect(parseConfig(base, {}).redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'prescale' });
  });

  it.each([
    [{ cluster: ['10.0.0.1'] }, /^ {2}redis\.cluster\[0\]: expected host:port/m],
    [{ cluster: ['10.0.0.1:70000'] }, /^ {2}redis\.cluster\[0\]: expected host:port/m],
    [{ cluster: [] }, /^ {2}redis\.cluster: list at least one seed node/m],
    [{ cluster: ['a:1'], url: 'redis://:pw@a:1/2' }, /^ {2}redis\.url: a Redis Cluster has only database 0/m],
    [{ cluster: ['a:1'], prefix: '' }, /^ {2}redis\.prefix: must not be empty/m],
  ])('refuses %j naming the field', (redisSection, message) => {
    expect(() => parseConfig({ ...base, redis: redisSection }, {})).toThrow(message);
  });

  it('the runtime connects a Cluster and its stores write under the hash-tagged prefix; /readyz sees it', async () => {
    const prefix = `${PREFIX}-runtime`;
    const config = parseConfig({ ...base, influx: { url: inject('influxUrl'), database: `it_cluster_stores_${process.pid}` }, redis: { cluster: redisCluster.seeds.slice(0, 1), prefix } }, {});
    const clock = new ReplayClock(Date.UTC(2026, 0, 1));
    const runtime = await createRuntime(config, { clock, logger: silentLogger, cluster: SimulatedCluster.fromConfig(clock, config), modelsDir: '/nonexistent-unused' });
    try {
      expect(runtime.redis.isCluster).toBe(true);
      // One seed is enough: the client learns the other two masters from it.
      expect((runtime.redis as Cluster).nodes('master')).toHaveLength(3);
      await runtime.state.setPlannedPods('shop/web', { replicasAhead: 3, at: 1 });
      await runtime.calendar.create({ id: 'sale', targets: ['*'], effect: { kind: 'floor', replicas: 9 }, start: '2026-01-01T00:00', end: '2026-01-02T00:00' }, { author: 'ops', at: 1 });
      const { keys, slots } = await keysUnder(prefix);
      expect(keys.sort()).toEqual([`{${prefix}}:calendar`, `{${prefix}}:calendar:meta`, `{${prefix}}:planned-pods`]);
      expect(slots.size).toBe(1);
      expect((await runtime.readiness()).status).toBe('ready');
    } finally {
      await runtime.close();
    }
  });

  it('no node answering: a retryable ServiceError naming the seed nodes, within the timeout', async () => {
    const t0 = Date.now();
    const error = await connectRedisClient({ url: 'redis://:s3cret-pw@127.0.0.1', cluster: ['127.0.0.1:1', '127.0.0.1:2'] }, 1_000).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).retryable).toBe(true);
    expect((error as ServiceError).message).toMatch(/^redis at cluster 127\.0\.0\.1:1,127\.0\.0\.1:2: cannot connect/);
    expect((error as ServiceError).message).not.toContain('s3cret-pw');
  });
});
