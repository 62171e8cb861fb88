import type { ScheduledJob } from '../../jobs/schedule-table.js';

/**
 * How many plan-queue ticks the schedule makes due in [fromMs, toMs): per scheduler, the instants k * every +
 * offset in the window (BullMQ's `every` + `offset`, jobs/wall-scheduler.ts). A scheduler without an offset is
 * due every period from its registration, so it counts the whole periods in the window.
 */
export function dueTicks(table: ScheduledJob[], fromMs: number, toMs: number): number {
  let due = 0;
  for (const job of table) {
    if (job.name !== 'plan' && job.name !== 'plan-pool') continue;
    if (job.offsetMs === undefined) due += Math.floor((toMs - fromMs) / job.everyMs);
    else due += Math.max(0, Math.ceil((toMs - job.offsetMs) / job.everyMs) - Math.ceil((fromMs - job.offsetMs) / job.everyMs));
  }
  return due;
}
