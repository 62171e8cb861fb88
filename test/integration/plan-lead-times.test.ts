/**
 * The plan job with measured lead times (jobs/lead-times.ts, src/scaling/lead-time.ts): pod start-up times read
 * by the real Kubernetes observer (src/kube/lead-times.ts) from the strict fake API replace the configured
 * `podStartup` and widen the plan's lead window, so a rise beyond the configured lead is planned for now; when
 * the observer fails the plan falls back to the last measured value, and without one to the configured value.
 * Scaling state in real Redis; metrics in the in-memory store (its contract covers InfluxDB).
 *
 * Left out: node provisioning lead times (the same lookup, covered by the plan-pool job test).
 */
import type { Job } from 'bullmq';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import type { LeadTimeObserver } from '../../src/cluster/cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { explicitKubeConfig } from '../../src/kube/kube-config.js';
import { KubeLeadTimeObserver } from '../../src/kube/lead-times.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createMemoryPublishedPlanStore } from '../../src/publish/published-plan-store.js';
import { chooseLeadTime } from '../../src/scaling/lead-time.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { planProcessor } from '../../jobs/processors/plan.js';
import type { JobPayload } from '../../jobs/queues.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { testJobDeps } from '../support/job-deps.js';
import { deployment, pod } from '../support/kube-objects.js';

const T0 = Date.UTC(2026, 10, 23, 10); // a Monday, 10:00 UTC
const STEP = 300_000;
const CONFIGURED_MS = 90_000;
/** Measured pod start-ups (created -> Ready), 10 to 12 minutes: slow image pulls. */
const STARTUPS_MS = [600_000, 630_000, 660_000, 690_000, 705_000, 720_000];

describe('plan job with measured lead times (fake Kubernetes API, real Redis)', () => {
  let redis: Redis;
  let fake: FakeKubeApi;
  const prefix = `plan-lead-it-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    redis = await connectRedis(inject('redisUrl'));
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  beforeEach(async () => {
    fake = await FakeKubeApi.start();
    fake.seed(deployment({ namespace: 'shop', name: 'web', replicas: 5 }));
    STARTUPS_MS.forEach((ms, i) =>
      fake.seed(pod({ namespace: 'shop', name: `web-${i}`, labels: { app: 'web' }, phase: 'Running', createdAt: T0 - 86_400_000 + i * 3_600_000, readyAt: T0 - 86_400_000 + i * 3_600_000 + ms })),
    );
  });
  afterEach(async () => {
    await fake.close();
  });

  function setup(observer?: LeadTimeObserver, logger: Logger = silentLogger) {
    const config = parseConfig(
      { targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50, podStartup: '90s' }] },
      {},
    );
    const clock = new ReplayClock(T0);
    const store = createMemoryStore();
    const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    const published = createMemoryPublishedPlanStore();
    const deps = testJobDeps(config, clock, {
      store,
      state,
      logger,
      published,
      cluster: SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 5 } }),
      ...(observer ? { leadTimes: observer } : {}),
    });
    const tick = planProcessor(deps);
    const run = () => tick({ data: { at: clock.now(), target: 'shop/web', loop: 'plan' } } as Job<JobPayload<'plan'>>);
    const prepare = async () => {
      // A trusted model whose forecast is flat at 400 rps until 10:10, then 2000 rps: a rise 10 minutes out,
      // beyond the configured lead (90 s) but within the measured one (about 12 minutes).
      await state.setModelInfo({ target: 'shop/web', kind: 'hw', description: 'ets(A,N,A)[288]', version: 1, trainedAt: T0 - 3_600_000, trainedUntil: T0, scores: {}, backtestMase: 0.5, naiveMase: 1, historyDays: 20, requiredHistoryDays: 1, notes: [] });
      const mean = Array.from({ length: 24 }, (_, i) => (i < 2 ? 400 : 2000));
      await store.writeForecast({ target: 'shop/web', issuedAt: T0 - STEP, model: 'ets(A,N,A)[288]', startMs: T0, stepMs: STEP, mean, intervals: [{ level: 80, lower: mean.map((m) => m * 0.9), upper: mean.map((m) => m * 1.1) }, { level: 95, lower: mean.map((m) => m * 0.8), upper: mean.map((m) => m * 1.2) }] });
      await store.writePoints([{ measurement: 'http', tags: {}, fields: { rps: 380 }, time: T0 }]);
    };
    return { run, prepare, clock, store, published };
  }

  const observer = (retry = { maxAttempts: 1 }) => new KubeLeadTimeObserver({ kubeConfig: explicitKubeConfig({ server: fake.url, token: fake.token }), nodePools: [], retry });

  it('plans with the configured lead time while nothing is measured', async () => {
    const { run, prepare, published } = setup();
    await prepare();
    const result = await run();
    expect((await published.get('shop/web'))?.podLeadMs).toBe(CONFIGURED_MS);
    // The rise at 10:10 lies beyond now + 90 s lead + 15 s plan interval + one step: sized for 400 rps.
    expect(result.to).toBeLessThanOrEqual(7);
  });

  it('plans with the measured P90 from the cluster, which brings the rise 10 minutes out into this tick', async () => {
    const { run, prepare, published, store } = setup(observer());
    await prepare();
    const result = await run();
    const expected = chooseLeadTime(CONFIGURED_MS, STARTUPS_MS);
    expect(expected.source).toBe('measured');
    const plan = await published.get('shop/web');
    expect(plan?.podLeadMs).toBe(expected.ms);
    expect(plan!.podLeadMs).toBeGreaterThan(10 * 60_000);
    // Sized for the 2000 rps ahead: up as fast as the step limit allows (5 -> 10 per tick).
    expect(result.to).toBe(10);
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision!.notes).toContain(`pod lead time measured P90 of ${STARTUPS_MS.length} samples`);
    expect(fake.requestsTo('GET', '/api/v1/namespaces/shop/pods').length).toBeGreaterThan(0);
  });

  it('falls back to the configured lead time when measuring fails, and says so in the log', async () => {
    const warnings: string[] = [];
    const logger: Logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const failing: LeadTimeObserver = {
      podStartupSamples: async () => {
        throw new Error('synthetic: the API server is unreachable');
      },
      nodeProvisioningSamples: async () => {
        throw new Error('synthetic: the API server is unreachable');
      },
    };
    const { run, prepare, published, store } = setup(failing, logger);
    await prepare();
    const result = await run();
    expect((await published.get('shop/web'))?.podLeadMs).toBe(CONFIGURED_MS);
    expect(result.to).toBeLessThanOrEqual(7);
    expect(warnings).toContain('could not read lead-time samples');
    const [decision] = await store.readDecisions('shop/web', T0, T0 + 1);
    expect(decision!.notes ?? '').not.toContain('measured');
  });

  it('keeps the last measured lead time when the API stops answering later', async () => {
    const { run, prepare, published, clock } = setup(observer());
    await prepare();
    await run();
    const measured = (await published.get('shop/web'))!.podLeadMs;
    expect(measured).toBe(chooseLeadTime(CONFIGURED_MS, STARTUPS_MS).ms);
    await fake.close();
    // Past the 5-minute refresh: the observer is asked again, fails (connection refused), the last value stays.
    clock.advanceBy(6 * 60_000);
    await run();
    expect((await published.get('shop/web'))!.podLeadMs).toBe(measured);
    fake = await FakeKubeApi.start(); // afterEach closes it
  });
});
