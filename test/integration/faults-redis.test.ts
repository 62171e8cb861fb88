/**
 * Redis SIGKILLed and restarted while the workers run, with AOF on (`--appendonly yes --appendfsync everysec`,
 * the setting a Redis for Prescale should run with: at most the last second of writes is lost on a crash).
 * The test's own redis-server (test/support/own-services.ts), real BullMQ workers (jobs/workers.ts) and job
 * schedulers (jobs/wall-scheduler.ts), the Redis state and calendar stores; the simulated cluster with a log of
 * every scale call is the witness. What a user cares about:
 *  - a training job running when Redis dies finishes once Redis is back (and its model info is stored);
 *  - the job schedulers keep producing jobs after the restart;
 *  - calendar entries and scaling state written before the crash are intact;
 *  - a plan tick interrupted by the crash right after it scaled is not applied twice, and the same tick
 *    queued again (a scheduler replica, a retry) does not run again.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterActuator } from '../../src/cluster/cluster.js';
import { SimulatedCluster } from '../../src/cluster/simulated-cluster.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ReplayClock, wallClock } from '../../src/core/clock.js';
import { connectRedis } from '../../src/core/redis.js';
import { seasonalNaiveForecaster } from '../../src/forecasting/seasonal-naive.js';
import { createMemoryStore } from '../../src/metrics/memory-store.js';
import { createRedisCalendarStore } from '../../src/scaling/redis-calendar-store.js';
import { createRedisStateStore } from '../../src/state/state-store.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { QUEUES } from '../../jobs/queues.js';
import { upsertSchedules } from '../../jobs/wall-scheduler.js';
import { startWorkers } from '../../jobs/workers.js';
import { testJobDeps } from '../support/job-deps.js';
import { ownRedis, type OwnService } from '../support/own-services.js';

const STEP = 300_000;
const prefix = 'faults-redis';
let server: OwnService;
let redis: Redis;

beforeAll(async () => {
  server = await ownRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
  redis = await connectRedis(server.url);
  redis.on('error', () => undefined); // reconnecting while the server is down is the point of the test
}, 20_000);

afterAll(async () => {
  redis.disconnect();
  await server.dispose();
}, 20_000);

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis killed and restarted under the workers (AOF everysec)', () => {
  it('jobs resume, schedules continue, calendar and scaling state survive, nothing is applied twice', { timeout: 55_000 }, async () => {
    const config = parseConfig({ step: '5m', redis: { url: server.url, prefix }, targets: [{ name: 'web', namespace: 'shop', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 2, maxReplicas: 50 }] }, {});
    const now = Date.now();
    const store = createMemoryStore();
    // Two days of history for training, and live load: 1,000 rps wants more than the 3 replicas running.
    // The newest point starts the current step, so at the ticks below (up to 30 s later) live load is at most
    // one step and 30 s old, well inside the planner's 10-minute staleness limit whatever the time of day.
    await store.writePoints(Array.from({ length: 577 }, (_, i) => ({ measurement: 'http', tags: {}, fields: { rps: 1_000 + 100 * Math.sin((2 * Math.PI * i) / 288) }, time: Math.floor(now / STEP) * STEP - (576 - i) * STEP })));
    const state = createRedisStateStore(redis, prefix);
    const calendar = createRedisCalendarStore(redis, { prefix });
    const sim = SimulatedCluster.fromConfig(wallClock, config, { replicas: { 'shop/web': 3 } });
    const scaled: { to: number; at: number }[] = [];
    let crashDuringScale = false;
    const cluster: ClusterActuator = {
      getWorkload: (ref) => sim.getWorkload(ref),
      async scaleWorkload(ref, replicas) {
        await sim.scaleWorkload(ref, replicas);
        scaled.push({ to: replicas, at: Date.now() });
        // Redis dies right after the scale went out, before the job could record anything.
        if (crashDuringScale) {
          crashDuringScale = false;
          await server.stop('SIGKILL');
          await sleep(300);
          await server.start();
        }
      },
      restartWorkload: (ref, reason) => sim.restartWorkload(ref, reason),
      getNodePool: (pool) => sim.getNodePool(pool),
      scaleNodePool: (pool, nodes) => sim.scaleNodePool(pool, nodes),
      listAutoscalers: (namespace) => sim.listAutoscalers(namespace),
    };
    let collects = 0;
    let trainingEntered = false;
    let releaseTraining!: () => void;
    const training = new Promise<void>((resolve) => (releaseTraining = resolve));
    const deps = {
      ...testJobDeps(config, new ReplayClock(now), { store, state, cluster }),
      clock: wallClock,
      calendarEntries: (target: string) => calendar.list(target),
      collect: async () => {
        collects += 1;
        return [];
      },
      // Training that is still running when Redis dies (the fit itself is seasonal naive: quick once released).
      train: async (series: Parameters<typeof seasonalNaiveForecaster.fit>[0]) => {
        trainingEntered = true;
        await training;
        return { model: await seasonalNaiveForecaster.fit(series), kind: 'snaive', scores: {}, notes: [] };
      },
      models: { saveVersion: async () => ({ version: 1, promoted: true }), load: async () => null },
    };
    const queues = new QueueSet(redis, prefix);
    let workers: Worker[] = [];
    try {
      // Connection errors while Redis is down are expected: listened to, so they do not crash the run.
      for (const queue of Object.values(queues.queues)) queue.on('error', () => undefined);
      await queues.obliterate();
      workers = startWorkers(deps, { connection: redis, prefix, queues: [QUEUES.ingest, QUEUES.train, QUEUES.plan] });

      // Before the crash: a calendar entry, one applied plan tick (scaling state), a scheduler, a training job running.
      await calendar.create({ id: 'launch', targets: ['shop/web'], effect: { kind: 'floor', replicas: 4 }, start: '2026-12-01T09:00', end: '2026-12-01T18:00' }, { author: 'ops', at: now });
      const events = await queues.events();
      for (const e of Object.values(events)) e.on('error', () => undefined);
      const t1 = Math.floor(now / 1_000) * 1_000;
      const first = await queues.add('plan', { at: t1, target: 'shop/web', loop: 'plan' });
      await first.waitUntilFinished(events[QUEUES.plan], 10_000);
      expect(scaled).toHaveLength(1);
      const stateBefore = await state.getScalingState('shop/web');
      expect(stateBefore).not.toBeNull();
      await upsertSchedules(queues, [{ id: 'collect', name: 'collect', everyMs: 300, data: {} }]);
      await until(() => collects >= 2, 10_000, 'scheduled collects');
      const trainJob = await queues.add('train', { at: t1, target: 'shop/web' });
      await until(() => trainingEntered, 10_000, 'training started');
      await sleep(1_500); // everysec: what was written a second ago is on disk

      // Redis is SIGKILLed in the middle of training and comes back from its AOF.
      await server.stop('SIGKILL');
      await sleep(500);
      await server.start();
      const collectsAtRestart = collects;
      releaseTraining();

      // Training finishes and its result is stored.
      await until(async () => (await queues.queueOf('train').getJob(trainJob.id!))?.finishedOn !== undefined, 20_000, 'training job finished');
      expect(await (await queues.queueOf('train').getJob(trainJob.id!))!.getState()).toBe('completed');
      expect(await state.getModelInfo('shop/web')).toMatchObject({ target: 'shop/web', kind: 'snaive' });
      // The scheduler keeps producing jobs.
      await until(() => collects >= collectsAtRestart + 3, 10_000, 'scheduled collects after the restart');
      expect((await queues.queueOf('collect').getJobSchedulers()).map((s) => s.key)).toEqual(['collect']);
      // Calendar and scaling state as they were.
      expect((await calendar.get('launch'))?.entry).toMatchObject({ id: 'launch', effect: { kind: 'floor', replicas: 4 } });
      expect((await calendar.list('shop/web')).map((e) => e.id)).toEqual(['launch']);
      const stateAfterRestart = await state.getScalingState('shop/web');
      expect(stateAfterRestart).toEqual(stateBefore);

      // The same tick queued again (a second scheduler replica, a retry of the scheduler) does not run again.
      await queues.add('plan', { at: t1, target: 'shop/web', loop: 'plan' });
      await sleep(500);
      expect(scaled).toHaveLength(1);

      // A tick whose Redis dies right after it scaled: one scale, whatever BullMQ does with the interrupted job.
      sim.scaleWorkload({ kind: 'Deployment', namespace: 'shop', name: 'web' }, 3).catch(() => undefined);
      await sleep(50);
      crashDuringScale = true;
      const t2 = t1 + 30_000;
      const second = await queues.add('plan', { at: t2, target: 'shop/web', loop: 'plan' });
      await until(async () => (await queues.queueOf('plan').getJob(second.id!))?.finishedOn !== undefined, 30_000, 'interrupted plan job finished');
      await sleep(500);
      const afterCrash = scaled.slice(1);
      const secondJob = await queues.queueOf('plan').getJob(second.id!);
      expect(afterCrash, `plan job ${second.id}: ${await secondJob?.getState()}, attempts ${secondJob?.attemptsMade}, ${secondJob?.failedReason ?? JSON.stringify(secondJob?.returnvalue)}`).toHaveLength(1);
      expect((await sim.getWorkload({ kind: 'Deployment', namespace: 'shop', name: 'web' })).desiredReplicas).toBe(afterCrash[0]!.to);
      expect((await state.getScalingState('shop/web'))!.recommendations.at(-1)!.time).toBe(t2);
      await Promise.all(Object.values(events).map((e) => e.close()));
    } finally {
      await Promise.all(workers.map((w) => w.close(true)));
      await queues.obliterate().catch(() => undefined);
      await queues.close();
    }
  });
});
