/**
 * The BullMQ schedule end to end against real Redis on the replay clock: ingest, train, forecast, plan and the
 * reactive loop run through real queues and workers; the same processors as production, only the ticking is
 * replayed. Metrics go to the in-memory store (the InfluxDB round trip has its own integration test).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import { ServiceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { tracePath } from '../../src/core/paths.js';
import { connectRedis } from '../../src/core/redis.js';
import { selectChampion } from '../../src/forecasting/champion.js';
import type { FittedModel } from '../../src/forecasting/forecaster.js';
import { loadModel } from '../../src/forecasting/forecasters.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { MetricsStore } from '../../src/metrics/metrics-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import type { JobDeps, ModelRepository } from '../../jobs/deps.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { ReplayScheduler } from '../../jobs/replay-scheduler.js';
import { scheduleTable } from '../../jobs/schedule-table.js';
import { upsertSchedules } from '../../jobs/wall-scheduler.js';
import { startWorkers } from '../../jobs/workers.js';

const DAY = 86_400_000;
const NASA = tracePath('nasa_http_jul1995_5min.csv');
/** 1995-07-02T00:00Z: the first whole day of the NASA trace. */
const FIRST_DAY = Date.UTC(1995, 6, 2);
const REPLAY_START = FIRST_DAY + 3 * DAY;

/** Artefacts kept in memory, loaded back through the real artefact loader (as the folder store does). */
function memoryModels(): ModelRepository {
  const saved = new Map<string, string[]>();
  return {
    async saveVersion(target, artefact) {
      const versions = saved.get(target) ?? saved.set(target, []).get(target)!;
      versions.push(JSON.stringify(artefact));
      return { version: versions.length, promoted: true };
    },
    async load(target) {
      const versions = saved.get(target);
      if (!versions?.length) return null;
      return { version: versions.length, model: (await loadModel(JSON.parse(versions.at(-1)!))) as FittedModel };
    },
  };
}

describe('BullMQ jobs on the replay clock (real Redis)', () => {
  const prefix = `prescale-it-${process.pid}-${Date.now()}`;
  const config = parseConfig(
    {
      // Train hourly so that a one-hour replay sees a retrain (a six-hour replay was ~2,700 jobs: 60 s on a busy machine).
      schedule: { train: '1h', forecast: '5m', plan: '1m', reactive: '15s', collect: '30s' },
      history: '7d',
      horizon: '2h',
      targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests', tags: { service: 'web' } }, capacityPerReplica: 20, minReplicas: 2, maxReplicas: 120, podStartup: '90s', model: 'snaive' }],
    },
    {},
  );
  const id = 'shop/web';
  const clock = new ReplayClock(REPLAY_START);
  const trace: { t: number; v: number }[] = [];
  let redis: Redis;
  let store: MetricsStore;
  let queues: QueueSet;
  let deps: JobDeps;
  let workers: ReturnType<typeof startWorkers>;
  let failWritesOnce = false;

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
    const memory = createMemoryStore();
    // A store whose next write fails like a dropped connection, to prove transient errors are retried.
    store = {
      ...memory,
      writePoints: async (points) => {
        if (failWritesOnce) {
          failWritesOnce = false;
          throw new ServiceError('influxdb', 'test', 'connection reset (synthetic fault)');
        }
        return memory.writePoints(points);
      },
    };
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { [id]: 4 } });
    deps = {
      config,
      clock,
      logger: silentLogger,
      store,
      state: createRedisStateStore(redis, prefix),
      cluster,
      models: memoryModels(),
      train: async (series, fit) => selectChampion(series, { ...fit, horizon: 24, candidates: ['snaive'], baseline: false }),
      calendarEntries: async () => [],
      collect: async (at) => {
        const bucket = Math.floor(at / 300_000) * 300_000;
        const point = trace.find((p) => p.t === bucket);
        return point ? [{ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: point.v }, time: bucket }] : [];
      },
      isLeader: () => true,
    };
    queues = new QueueSet(redis, prefix);
    workers = startWorkers(deps, { connection: redis, prefix });
    const { readCsvTrace } = await import('../../src/core/csv-trace.js');
    const { series } = readCsvTrace(NASA);
    series.values.forEach((v, i) => trace.push({ t: series.startMs + i * series.stepMs, v }));
  });

  afterAll(async () => {
    await Promise.all(workers?.map((w) => w.close()) ?? []);
    await queues?.obliterate();
    await queues?.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis?.quit();
  });

  it('ingests a real trace through the queue, retrying a transient write failure', async () => {
    failWritesOnce = true;
    const events = await queues.events();
    const job = await queues.add('ingest', { at: REPLAY_START, file: NASA, measurement: 'http_requests', field: 'requests', tags: { service: 'web' }, fromMs: FIRST_DAY, toMs: REPLAY_START });
    const result = (await job.waitUntilFinished(events['prescale-ingest'], 30_000)) as { points: number };
    await Promise.all(Object.values(events).map((e) => e.close()));
    expect(result.points).toBe(3 * 288);
    expect((await queues.queueOf('ingest').getJob(job.id!))?.attemptsMade).toBe(2); // one failed attempt, then a successful one
    const grid = await store.readSeries({ measurement: 'http_requests', field: 'requests', tags: { service: 'web' }, from: FIRST_DAY, to: REPLAY_START, stepMs: 300_000, gap: 'null' });
    expect(grid.values.filter((v) => v === null)).toHaveLength(0);
    expect(grid.values[0]).toBe(trace.find((p) => p.t === FIRST_DAY)!.v);
  });

  it('fails a job with a bad payload at once, naming the field, without retries', async () => {
    const events = await queues.events();
    const job = await queues.queueOf('plan').add('plan', { at: REPLAY_START, target: 42 });
    await expect(job.waitUntilFinished(events['prescale-plan'], 10_000)).rejects.toThrow(/invalid plan payload: target/);
    const failed = (await queues.queueOf('plan').getJob(job.id!)) as Job;
    expect(failed.attemptsMade).toBe(1);
    const unknown = await queues.add('train', { at: REPLAY_START, target: 'shop/nope' });
    await expect(unknown.waitUntilFinished(events['prescale-train'], 10_000)).rejects.toThrow(/unknown target "shop\/nope"/);
    await Promise.all(Object.values(events).map((e) => e.close()));
    expect(UnrecoverableError).toBeDefined();
  });

  it('replays an hour: trains, forecasts, plans every minute and runs the reactive loop every 15 s', async () => {
    const replay = new ReplayScheduler(queues, scheduleTable(config), clock);
    await replay.ready();
    const instants: number[] = [];
    const end = REPLAY_START + 3_600_000;
    const jobs = await replay.runUntil(end, ({ at }) => void instants.push(at));
    await replay.close();
    // collect every 30 s, reactive every 15 s, plan every minute, forecast and accuracy every 5 min, train every hour; both ends included.
    const minutes = 60;
    expect(jobs).toBe(minutes * 2 + 1 + (minutes * 4 + 1) + (minutes + 1) + 2 * (minutes / 5 + 1) + 2);
    expect(instants[0]).toBe(REPLAY_START);
    expect(clock.now()).toBe(end);

    const info = await deps.state.getModelInfo(id);
    expect(info?.kind).toBe('snaive');
    expect(info?.trainedAt).toBe(end); // retrained at the 1 h mark
    const forecast = await store.readForecast(id, end - 3_600_000, end);
    expect(forecast.length).toBe(12);
    expect(forecast.every((p) => Number.isFinite(p.mean) && p.hi95! >= p.mean)).toBe(true);

    const decisions = await store.readDecisions(id, REPLAY_START, end + 1);
    const planTicks = decisions.filter((d) => d.loop === 'plan');
    expect(planTicks.length).toBe(minutes + 1);
    expect(decisions.filter((d) => d.loop === 'reactive').length).toBe(minutes * 4 + 1);
    expect(decisions.every((d) => d.rule.length > 0 && Number.isInteger(d.desiredReplicas))).toBe(true);
    // The cluster followed the plans: at the end it runs what the last applied decision asked for.
    const lastApplied = decisions.filter((d) => d.applied).at(-1);
    const workload = await deps.cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' });
    expect(lastApplied).toBeDefined();
    expect(workload.desiredReplicas).toBe(lastApplied!.desiredReplicas);
    expect(workload.desiredReplicas).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('visits every instant at which a job is due, also when periods are not multiples of each other', async () => {
    const start = Math.ceil(clock.now() / 3_600_000) * 3_600_000 + 3_600_000;
    clock.advanceTo(start);
    const table = [
      { id: 'c', name: 'collect' as const, everyMs: 20_000, data: {} },
      { id: 'f', name: 'forecast' as const, everyMs: 30_000, data: { target: id } },
    ];
    const replay = new ReplayScheduler(queues, table, clock);
    await replay.ready();
    const seen: number[] = [];
    const jobs = await replay.runUntil(start + 60_000, ({ at }) => void seen.push(at - start));
    await replay.close();
    expect(jobs).toBe(4 + 3); // collect at 0, 20, 40, 60 s; forecast at 0, 30, 60 s
    expect(seen).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it('queues a logical job once however often it is added', async () => {
    const at = REPLAY_START + 7 * 3_600_000;
    const events = await queues.events();
    const [a, b] = [await queues.add('forecast', { at, target: id }), await queues.add('forecast', { at, target: id })];
    expect(a.id).toBe(b.id);
    await a.waitUntilFinished(events['prescale-forecast'], 10_000);
    await Promise.all(Object.values(events).map((e) => e.close()));
    expect(await queues.queueOf('forecast').getJobCountByTypes('completed')).toBeGreaterThan(0);
  });

  it('registers wall-time job schedulers idempotently and removes stale ones', async () => {
    const table = scheduleTable(config);
    await queues.queueOf('plan').upsertJobScheduler('plan.shop/removed', { every: 60_000 }, { name: 'plan', data: { target: 'shop/removed' } });
    const first = await upsertSchedules(queues, table);
    const second = await upsertSchedules(queues, table);
    expect(first).toEqual({ upserted: table.length, removed: 1, rephased: 0 });
    expect(second).toEqual({ upserted: table.length, removed: 0, rephased: 0 });
    const all = (await Promise.all(Object.values(queues.queues).map((q) => q.getJobSchedulers()))).flat();
    expect(all.map((s) => s.key).sort()).toEqual(table.map((j) => j.id).sort());
    expect(all.find((s) => s.key === `reactive.${id}`)?.every).toBe(15_000);
    for (const queue of Object.values(queues.queues)) for (const s of await queue.getJobSchedulers()) await queue.removeJobScheduler(s.key);
  });
});
