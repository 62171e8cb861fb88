/**
 * BullMQ on a real three-node Redis Cluster: the runtime built from a config with `redis.cluster` (the
 * hash-tagged prefix, the Cluster client, every Redis store on it), real queues and workers, and an hour of the
 * schedule replayed (ingest, train, forecast, plan, reactive) as test/integration/jobs-replay.test.ts does
 * on one redis-server. Metrics stay in memory (InfluxDB has its own tests); models go to a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { ReplayClock } from '../../src/core/clock.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { silentLogger } from '../../src/core/logger.js';
import { tracePath } from '../../src/core/paths.js';
import { scanKeys } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import type { MetricsStore } from '../../src/metrics/metrics-store.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { JobDeps } from '../../jobs/deps.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { QUEUES } from '../../jobs/queues.js';
import { ReplayScheduler } from '../../jobs/replay-scheduler.js';
import { scheduleTable } from '../../jobs/schedule-table.js';
import { startWorkers } from '../../jobs/workers.js';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster.js';

const DAY = 86_400_000;
const NASA = tracePath('nasa_http_jul1995_5min.csv');
const FIRST_DAY = Date.UTC(1995, 6, 2);
const REPLAY_START = FIRST_DAY + 3 * DAY;
const ID = 'shop/web';

describe('BullMQ jobs on a real Redis Cluster (three nodes)', () => {
  const clock = new ReplayClock(REPLAY_START);
  const trace = new Map<number, number>();
  let redisCluster: RedisClusterHandle;
  let config: PrescaleConfig;
  let runtime: Runtime;
  let store: MetricsStore;
  let deps: JobDeps;
  let queues: QueueSet;
  let workers: Worker[];
  let modelsDir: string;

  beforeAll(async () => {
    redisCluster = await startRedisCluster();
    config = parseConfig(
      {
        influx: { url: inject('influxUrl'), database: `it_redis_cluster_jobs_${process.pid}` },
        redis: { cluster: redisCluster.seeds, prefix: 'prescale-cluster-it' },
        // Hourly training, so that a one-hour replay sees a retrain.
        schedule: { train: '1h', forecast: '5m', plan: '1m', reactive: '15s', collect: '30s' },
        history: '7d',
        horizon: '2h',
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http_requests', field: 'requests', tags: { service: 'web' } }, capacityPerReplica: 20, minReplicas: 2, maxReplicas: 120, podStartup: '90s', model: 'snaive' }],
      },
      {},
    );
    const { series } = readCsvTrace(NASA);
    series.values.forEach((v, i) => trace.set(series.startMs + i * series.stepMs, v));
    modelsDir = mkdtempSync(join(tmpdir(), 'prescale-cluster-models-'));
    runtime = await createRuntime(config, {
      clock,
      logger: silentLogger,
      cluster: SimulatedCluster.fromConfig(clock, config, { replicas: { [ID]: 4 } }),
      modelsDir,
      collect: async (at) => {
        const bucket = Math.floor(at / 300_000) * 300_000;
        const value = trace.get(bucket);
        return value === undefined ? [] : [{ measurement: 'http_requests', tags: { service: 'web' }, fields: { requests: value }, time: bucket }];
      },
    });
    store = createMemoryStore();
    deps = { ...runtime.deps, store };
    queues = new QueueSet(runtime.redis, config.redis.prefix);
    workers = startWorkers(deps, { connection: runtime.redis, prefix: config.redis.prefix });
  });

  afterAll(async () => {
    await Promise.all(workers?.map((w) => w.close()) ?? []);
    await queues?.close();
    await runtime?.close();
    await redisCluster?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('hash-tags the configured prefix and connects a Cluster', () => {
    expect(config.redis.prefix).toBe('{prescale-cluster-it}');
    expect(runtime.redis.isCluster).toBe(true);
  });

  it('ingests, then replays an hour: trains, forecasts, plans every minute and runs the reactive loop every 15 s', async () => {
    const ingest = await queues.add('ingest', { at: REPLAY_START, file: NASA, measurement: 'http_requests', field: 'requests', tags: { service: 'web' }, fromMs: FIRST_DAY, toMs: REPLAY_START });
    const events = await queues.events();
    expect(await ingest.waitUntilFinished(events[QUEUES.ingest], 30_000)).toMatchObject({ points: 3 * 288 });
    await Promise.all(Object.values(events).map((e) => e.close()));

    const replay = new ReplayScheduler(queues, scheduleTable(config), clock);
    await replay.ready();
    const end = REPLAY_START + 3_600_000;
    const jobs = await replay.runUntil(end);
    await replay.close();
    const minutes = 60;
    // collect every 30 s, reactive every 15 s, plan every minute, forecast and accuracy every 5 min, train every hour; both ends included.
    expect(jobs).toBe(minutes * 2 + 1 + (minutes * 4 + 1) + (minutes + 1) + 2 * (minutes / 5 + 1) + 2);
    expect(clock.now()).toBe(end);

    // Training and forecasting ran through the Cluster-backed state store.
    const info = await runtime.state.getModelInfo(ID);
    expect(info?.kind).toBe('snaive');
    expect(info?.trainedAt).toBe(end);
    expect((await store.readForecast(ID, end - 3_600_000, end)).length).toBe(12);
    const decisions = await store.readDecisions(ID, REPLAY_START, end + 1);
    expect(decisions.filter((d) => d.loop === 'plan')).toHaveLength(minutes + 1);
    expect(decisions.filter((d) => d.loop === 'reactive')).toHaveLength(minutes * 4 + 1);
    const lastApplied = decisions.filter((d) => d.applied).at(-1);
    expect(lastApplied).toBeDefined();
    expect((await deps.cluster.getWorkload({ namespace: 'shop', name: 'web', kind: 'Deployment' })).desiredReplicas).toBe(lastApplied!.desiredReplicas);
    // Plan ticks published their plan and kept the last forecast, on the Cluster.
    expect((await runtime.published.get(ID))?.target).toBe(ID);
    expect(await runtime.deps.lastKnown?.getForecast(ID)).not.toBeNull();

    // Every key Prescale and BullMQ wrote carries the hash tag and so sits in one slot, whichever node holds it.
    const keys = await scanKeys(runtime.redis, '*');
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !k.startsWith('{prescale-cluster-it}:'))).toEqual([]);
    expect(keys.some((k) => k.startsWith(`{prescale-cluster-it}:${QUEUES.plan}:`))).toBe(true);
    expect(keys).toContain('{prescale-cluster-it}:scaling');
    const slots = new Set(await Promise.all(keys.slice(0, 50).map((k) => runtime.redis.cluster('KEYSLOT', k))));
    expect(slots.size).toBe(1);
  }, 120_000);
});
