import type { QueueSet } from './queue-set.js';
import type { ScheduledJob } from './schedule-table.js';

/**
 * Registers the schedule table as BullMQ job schedulers (`upsertJobScheduler`: idempotent, so every
 * scheduler replica can run it at start-up), and removes schedulers of targets no longer configured.
 */
export async function upsertSchedules(queues: QueueSet, table: ScheduledJob[]): Promise<{ upserted: number; removed: number }> {
  for (const job of table) {
    await queues.queueOf(job.name).upsertJobScheduler(job.id, { every: job.everyMs }, { name: job.name, data: job.data });
  }
  const wanted = new Set(table.map((j) => j.id));
  let removed = 0;
  for (const queue of Object.values(queues.queues)) {
    for (const scheduler of await queue.getJobSchedulers()) {
      const id = scheduler.key;
      if (!wanted.has(id)) {
        await queue.removeJobScheduler(id);
        removed++;
      }
    }
  }
  return { upserted: table.length, removed };
}
