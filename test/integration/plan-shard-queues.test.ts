/**
 * Plan shards' routing (src/kube/plan-shards.ts, jobs/queue-set.ts): with kubernetes.shards S > 1 each target's
 * plan and reactive schedulers live on its shard's plan queue, node pools on shard 0's, and going from one shard
 * to two moves the schedulers (none left on the single plan queue to be consumed by nobody, or by everybody).
 * Real Redis and BullMQ job schedulers.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { shardLeaseName, shardOf } from '../../src/kube/plan-shards.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { planQueueName, QUEUES } from '../../jobs/queues.js';
import { scheduleTable } from '../../jobs/schedule-table.js';
import { upsertSchedules } from '../../jobs/wall-scheduler.js';

const prefix = 'plan-shard-queues';
const config = parseConfig(
  {
    schedule: { plan: '15s', reactive: '15s' },
    targets: Array.from({ length: 40 }, (_, i) => ({ name: `svc-${i}`, namespace: 'fleet', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 50, nodePool: 'general', podRequests: { cpu: 0.5, memoryMiB: 512 } })),
    nodePools: [{ name: 'general', allocatable: { cpu: 4, memoryMiB: 16_000 }, provisioning: '3m', maxNodes: 10, driver: { type: 'simulated' } }],
  },
  {},
);

describe('plan shards', () => {
  it('maps targets to shards stably and about evenly, pools to shard 0, and names Leases and queues', () => {
    const counts = [0, 0, 0, 0];
    for (const t of config.targets) counts[shardOf({ target: `${t.namespace}/${t.name}` }, 4)]!++;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(4);
    expect(shardOf({ target: 'fleet/svc-7' }, 4)).toBe(shardOf({ target: 'fleet/svc-7' }, 4));
    expect(shardOf({ pool: 'general' }, 4)).toBe(0);
    expect(shardOf({ target: 'fleet/svc-7' }, 1)).toBe(0);
    expect([shardLeaseName('prescale-leader', 0, 1), shardLeaseName('prescale-leader', 3, 4)]).toEqual(['prescale-leader', 'prescale-leader-3']);
    expect([planQueueName(0, 1), planQueueName(1, 2)]).toEqual([QUEUES.plan, `${QUEUES.plan}-1`]);
  });

  describe('on Redis', () => {
    let redis: Redis;
    let single: QueueSet;
    let sharded: QueueSet;
    beforeAll(async () => {
      redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
      single = new QueueSet(redis, prefix);
      sharded = new QueueSet(redis, prefix, 2);
      await sharded.obliterate();
      await single.obliterate();
    });
    afterAll(async () => {
      await sharded.obliterate();
      await Promise.all([single.close(), sharded.close()]);
      await redis.quit();
    });

    it('registers each target\'s plan ticks on its shard\'s queue and moves them there from the single plan queue', async () => {
      const table = scheduleTable(config);
      await upsertSchedules(single, table);
      expect((await single.queues[QUEUES.plan].getJobSchedulers()).length).toBe(config.targets.length * 2 + 1);

      const moved = await upsertSchedules(sharded, table);
      expect(moved.removed).toBe(config.targets.length * 2 + 1);
      expect(await sharded.queues[QUEUES.plan].getJobSchedulers()).toEqual([]);
      const [zero, one] = await Promise.all(sharded.planShardQueues.map(async (q) => (await q.getJobSchedulers()).map((s) => s.key)));
      expect(zero!.length + one!.length).toBe(config.targets.length * 2 + 1);
      expect(zero).toContain('pool.general');
      for (const t of config.targets) {
        const id = `${t.namespace}/${t.name}`;
        const mine = shardOf({ target: id }, 2) === 0 ? zero! : one!;
        expect(mine).toEqual(expect.arrayContaining([`plan.${id}`, `reactive.${id}`]));
      }
      // The ticks queued follow: a tick of a shard-1 target is on shard 1's queue only.
      const target = config.targets.map((t) => `${t.namespace}/${t.name}`).find((id) => shardOf({ target: id }, 2) === 1)!;
      const job = await sharded.add('plan', { at: 1_000, target, loop: 'plan' });
      expect(job.queueName).toBe(planQueueName(1, 2));
    });
  });
});
