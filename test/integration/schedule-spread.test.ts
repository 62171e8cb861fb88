/**
 * The wall-time schedule spreads each target's plan, reactive, forecast and accuracy ticks over their period
 * (jobs/schedule-offset.ts), so a fleet's ticks do not all fall due in the instant the schedulers are registered,
 * while every target's first training still runs at once. Real Redis and BullMQ job schedulers: the due instant
 * is read back from the jobs BullMQ queued (the id's instant, as bench:fleet measures plan lag from it, and the
 * job's own timestamp + delay).
 */
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { PrescaleConfig } from '../../src/config/schema.js';
import { QueueSet } from '../../jobs/queue-set.js';
import { scheduleTable } from '../../jobs/schedule-table.js';
import { upsertSchedules } from '../../jobs/wall-scheduler.js';

const TARGETS = 300;
const prefix = 'schedule-spread';

function fleetConfig(n: number): PrescaleConfig {
  return parseConfig(
    {
      step: '5m',
      schedule: { train: '6h', forecast: '1m', plan: '15s', reactive: '15s', accuracy: '5m' },
      targets: Array.from({ length: n }, (_, i) => ({ name: `svc-${i}`, namespace: 'fleet', load: { measurement: 'http', field: 'rps' }, capacityPerReplica: 100, minReplicas: 1, maxReplicas: 50 })),
    },
    {},
  );
}

/** The most due instants that fall in any window of `widthMs`. */
function densest(instants: number[], widthMs: number): number {
  const sorted = [...instants].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= widthMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const dueOf = (job: Job) => Number(job.id!.split(':').pop());

describe('schedule table offsets', () => {
  it('spreads plan ticks of 1,000 targets over the 15 s period, stably; train and collect have none', () => {
    const table = scheduleTable(fleetConfig(1_000));
    const plans = table.filter((j) => j.id.startsWith('plan.'));
    expect(plans).toHaveLength(1_000);
    for (const j of plans) expect(j.offsetMs).toBeGreaterThan(0);
    for (const j of plans) expect(j.offsetMs).toBeLessThan(15_000);
    // Uniform would put 67 in each second; all in one instant is what the burst looked like.
    expect(densest(plans.map((j) => j.offsetMs!), 1_000)).toBeLessThan(110);
    expect(scheduleTable(fleetConfig(1_000)).map((j) => j.offsetMs)).toEqual(table.map((j) => j.offsetMs));
    expect(table.filter((j) => j.name === 'train' || j.name === 'collect').every((j) => j.offsetMs === undefined)).toBe(true);
  });
});

describe('wall-time job schedulers with offsets (real Redis)', () => {
  let redis: Redis;
  let queues: QueueSet;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queues = new QueueSet(redis, prefix);
    await queues.obliterate();
  });

  afterAll(async () => {
    await queues.obliterate();
    await queues.close();
    await redis.quit();
  });

  it('queues the ticks spread over their period, the first trainings at once, and keeps the phase on a second upsert', async () => {
    const config = fleetConfig(TARGETS);
    // A scheduler registered before offsets existed (due at its upsert instant) is phased anew.
    await queues.queueOf('plan').upsertJobScheduler('plan.fleet/svc-0', { every: 15_000 }, { name: 'plan', data: { target: 'fleet/svc-0', loop: 'plan' } });
    const before = Date.now();
    const result = await upsertSchedules(queues, scheduleTable(config));
    const after = Date.now();
    expect(result.rephased).toBe(1);

    const all = await queues.queueOf('plan').getJobs(['delayed', 'wait', 'active', 'completed']);
    // The old scheduler's first job was due at once and stays queued (it is a tick like any other); its next ones follow the offset.
    const planJobs = all.filter((j) => j.timestamp >= before);
    expect(all.length - planJobs.length).toBe(1);
    expect(planJobs).toHaveLength(TARGETS * 2);
    expect(planJobs.filter((j) => j.id!.startsWith('repeat:plan.fleet/svc-0:'))).toHaveLength(1);
    const due = planJobs.map(dueOf);
    for (const [i, job] of planJobs.entries()) {
      // The id's instant (what plan lag is measured from) is when the job becomes ready.
      expect(Math.abs(job.timestamp + (job.opts.delay ?? 0) - due[i]!)).toBeLessThanOrEqual(5);
      expect(due[i]!).toBeGreaterThan(before - 15_000);
      expect(due[i]!).toBeLessThanOrEqual(after + 15_000);
    }
    // 600 plan and reactive ticks over 15 s: 40 a second if uniform; unspread, all 600 within the upsert time.
    expect(densest(due, 1_000)).toBeLessThan(80);
    const forecastDue = (await queues.queueOf('forecast').getJobs(['delayed', 'wait'])).filter((j) => j.name === 'forecast').map(dueOf);
    expect(forecastDue).toHaveLength(TARGETS);
    expect(densest(forecastDue, 4_000)).toBeLessThan(60);

    // Every target's first training is due now, not up to 6 h later.
    const trainJobs = await queues.queueOf('train').getJobs(['delayed', 'wait', 'active', 'completed']);
    expect(trainJobs).toHaveLength(TARGETS);
    for (const job of trainJobs) expect(dueOf(job)).toBeLessThanOrEqual(after);
    expect(await queues.queueOf('train').getDelayedCount()).toBe(0);

    // A second replica's upsert (or a restart) changes nothing: same jobs, same instants.
    const again = await upsertSchedules(queues, scheduleTable(config));
    expect(again.rephased).toBe(0);
    const planAgain = (await queues.queueOf('plan').getJobs(['delayed', 'wait', 'active', 'completed'])).filter((j) => j.timestamp >= before);
    expect(planAgain.map(dueOf).sort()).toEqual([...due].sort());
  });
});
