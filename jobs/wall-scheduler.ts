import type { QueueSet } from './queue-set.js';
import type { ScheduledJob } from './schedule-table.js';

/**
 * Registers the schedule table as BullMQ job schedulers (`upsertJobScheduler`: idempotent, so every
 * scheduler replica can run it at start-up), and removes schedulers of targets no longer configured.
 * A job with `offsetMs` falls due at that offset within its period (BullMQ `every` + `offset`: the job id's
 * instant is the due instant, offset included); one without runs at once, then every period from then.
 */
export async function upsertSchedules(queues: QueueSet, table: ScheduledJob[]): Promise<{ upserted: number; removed: number; rephased: number }> {
  const existing = new Map<string, { offset?: number; every?: number }>();
  for (const queue of queues.all()) for (const s of await queue.getJobSchedulers()) existing.set(`${queue.name}|${s.key}`, s);
  let rephased = 0;
  for (const job of table) {
    const queue = queues.queueOf(job.name, job.data);
    const before = existing.get(`${queue.name}|${job.id}`);
    // BullMQ keeps a scheduler's phase across upserts: one registered before its offset (or with another) would
    // keep falling due where it was, so it is registered anew.
    if (job.offsetMs !== undefined && before && (before.offset !== job.offsetMs || before.every !== job.everyMs)) {
      await queue.removeJobScheduler(job.id);
      rephased++;
    }
    const repeat = job.offsetMs !== undefined ? { every: job.everyMs, offset: job.offsetMs } : { every: job.everyMs };
    await queue.upsertJobScheduler(job.id, repeat, { name: job.name, data: job.data });
  }
  // By queue too: a change of kubernetes.shards moves a target's ticks to another plan queue.
  const wanted = new Set(table.map((j) => `${queues.queueOf(j.name, j.data).name}|${j.id}`));
  let removed = 0;
  for (const queue of queues.all()) {
    for (const scheduler of await queue.getJobSchedulers()) {
      const id = scheduler.key;
      if (!wanted.has(`${queue.name}|${id}`)) {
        await queue.removeJobScheduler(id);
        removed++;
      }
    }
  }
  return { upserted: table.length, removed, rephased };
}
