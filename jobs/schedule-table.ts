import type { PrescaleConfig } from '../src/config/schema.js';
import { forecastSubjects } from '../src/config/subjects.js';
import { targetId } from '../src/config/targets.js';
import type { JobName } from './queues.js';
import { scheduleOffsetMs } from './schedule-offset.js';

/** One recurring job: what runs, for whom, how often. Wall-time and replay schedulers share this table. */
export interface ScheduledJob {
  /** Stable id of the schedule (the BullMQ job scheduler id). */
  id: string;
  name: JobName;
  everyMs: number;
  /**
   * Wall time only: the job falls due at this offset within its period (jobs/schedule-offset.ts), not all at the
   * instant of registration. Absent: due at once when registered, then every period from then (train and collect:
   * a new target trains at start-up). The replay ignores it: it runs on the period's grid, in JOB_ORDER.
   */
  offsetMs?: number;
  data: { target?: string; pool?: string; loop?: 'plan' | 'reactive' };
}

/** A recurring job spread over its period by its id. */
const spread = (job: Omit<ScheduledJob, 'offsetMs'>): ScheduledJob => ({ ...job, offsetMs: scheduleOffsetMs(job.id, job.everyMs) });

/**
 * Collect, then per target train, forecast, plan, the reactive loop and live accuracy; per node pool, pool planning.
 * Forecast, plan, reactive, accuracy and pool ticks are spread over their periods; train and collect run at once.
 */
export function scheduleTable(config: PrescaleConfig): ScheduledJob[] {
  const s = config.schedule;
  const jobs: ScheduledJob[] = [{ id: 'collect', name: 'collect', everyMs: s.collect, data: {} }];
  // Models and forecasts for every subject: target loads and node-pool hardware metrics.
  for (const { id } of forecastSubjects(config)) {
    jobs.push(
      { id: `train.${id}`, name: 'train', everyMs: s.train, data: { target: id } },
      spread({ id: `forecast.${id}`, name: 'forecast', everyMs: s.forecast, data: { target: id } }),
    );
  }
  for (const target of config.targets) {
    const id = targetId(target);
    jobs.push(
      spread({ id: `plan.${id}`, name: 'plan', everyMs: s.plan, data: { target: id, loop: 'plan' } }),
      spread({ id: `reactive.${id}`, name: 'plan', everyMs: s.reactive, data: { target: id, loop: 'reactive' } }),
      spread({ id: `accuracy.${id}`, name: 'accuracy', everyMs: s.accuracy, data: { target: id } }),
    );
  }
  for (const pool of config.nodePools) jobs.push(spread({ id: `pool.${pool.name}`, name: 'plan-pool', everyMs: s.plan, data: { pool: pool.name } }));
  return jobs;
}

/** The order jobs due at the same instant run in: data first, then models, forecasts, plans, pools, accuracy. */
export const JOB_ORDER: JobName[] = ['collect', 'ingest', 'train', 'forecast', 'plan', 'plan-pool', 'accuracy'];
