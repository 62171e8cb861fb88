/**
 * Node-pool planning as the worker runs it (state in real Redis): request packing of the pods the targets
 * planned, forecast node utilisation, pending pods, and drivers that must not act.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { forecastSubjects } from '../../src/config/subjects.js';
import { ReplayClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectRedis } from '../../src/core/redis.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import type { JobDeps } from '../../jobs/deps.js';
import { planPoolProcessor } from '../../jobs/processors/plan-pool.js';
import type { JobPayload } from '../../jobs/queues.js';
import { scheduleTable } from '../../jobs/schedule-table.js';

const T0 = Date.UTC(2026, 10, 23, 10);
const STEP = 300_000;

describe('node-pool plan job (real Redis state)', () => {
  let redis: Redis;
  const prefix = `pool-it-${process.pid}-${Date.now()}`;
  beforeAll(async () => void (redis = await connectRedis(inject('redisUrl'))));
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  function setup(driver: Record<string, unknown> = { type: 'simulated' }) {
    const config = parseConfig(
      {
        targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, maxReplicas: 100, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 1024 } }],
        nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16384 }, daemonOverhead: { cpu: 0.2, memoryMiB: 512 }, minNodes: 1, maxNodes: 20, cpu: { measurement: 'k8s_node', field: 'cpu_utilization', tags: { pool: 'general' } }, driver }],
      },
      {},
    );
    const clock = new ReplayClock(T0);
    const cluster = SimulatedCluster.fromConfig(clock, config, { replicas: { 'shop/web': 7 }, nodes: { general: 1 } });
    const store = createMemoryStore();
    const state = createRedisStateStore(redis, `${prefix}-${Math.random().toString(36).slice(2)}`);
    const deps: JobDeps = {
      config, clock, logger: silentLogger, store, state, cluster,
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => null },
      train: async () => { throw new Error('not used'); },
      calendarEntries: async () => [], collect: async () => [], isLeader: () => true,
    };
    const tick = planPoolProcessor(deps);
    const run = () => tick({ data: { at: clock.now(), pool: 'general' } } as Job<JobPayload<'plan-pool'>>);
    return { config, clock, cluster, store, state, run };
  }

  it('schedules training and forecasts for the pool\'s hardware metrics like load', () => {
    const { config } = setup();
    expect(forecastSubjects(config).map((s) => s.id)).toEqual(['shop/web', 'nodepool/general/cpu']);
    expect(scheduleTable(config).filter((j) => j.data.target === 'nodepool/general/cpu').map((j) => j.name)).toEqual(['train', 'forecast']);
  });

  it('packs the pods the targets planned ahead onto nodes and applies it', async () => {
    const { run, state, cluster, store } = setup();
    await state.setPlannedPods('shop/web', { replicasAhead: 30, at: T0 });
    const result = await run();
    // room per node 3.8 cores / 15872 MiB: 7 pods of 0.5 cores; 30 pods -> 5 nodes
    expect(result).toMatchObject({ from: 1, to: 5, applied: true, rule: 'pack 30 pods: 5 nodes' });
    expect((await cluster.getNodePool('general')).desiredNodes).toBe(5);
    const [decision] = await store.readDecisions('nodepool/general', T0, T0 + 1);
    expect(decision).toMatchObject({ nodePool: 'general', previousNodes: 1, desiredNodes: 5, applied: true });
  });

  it('follows forecast node CPU when it asks for more than packing', async () => {
    const { run, state, store, clock } = setup();
    await state.setPlannedPods('shop/web', { replicasAhead: 7, at: T0 });
    await run(); // 1 node Ready, 1 asked
    const n = 12;
    await store.writeForecast({ target: 'nodepool/general/cpu', issuedAt: T0, model: 'ets', startMs: T0, stepMs: STEP, mean: Array(n).fill(1.5), intervals: [{ level: 80, lower: Array(n).fill(1.4), upper: Array(n).fill(1.6) }, { level: 95, lower: Array(n).fill(1.3), upper: Array(n).fill(1.7) }] });
    clock.advanceBy(60_000);
    const result = await run();
    expect(result.rule).toMatch(/^node cpu forecast P90/);
    expect(result.to).toBeGreaterThanOrEqual(2); // 1 node at 150-160% of target 80%
  });

  it('plans but never acts for driver "none"', async () => {
    const { run, state, cluster, store } = setup({ type: 'none' });
    await state.setPlannedPods('shop/web', { replicasAhead: 30, at: T0 });
    const result = await run();
    expect(result).toMatchObject({ to: 5, applied: false });
    expect((await cluster.getNodePool('general')).desiredNodes).toBe(1);
    const [decision] = await store.readDecisions('nodepool/general', T0, T0 + 1);
    expect(decision!.notes).toContain('driver none: not applied');
  });
});
