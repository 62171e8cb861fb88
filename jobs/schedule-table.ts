import type { PrescaleConfig } from '../src/config/schema.js';
import { forecastSubjects } from '../src/config/subjects.js';
import { targetId } from '../src/config/targets.js';
import type { JobName } from './queues.js';

/** One recurring job: what runs, for whom, how often. Wall-time and replay schedulers share this table. */
export interface ScheduledJob {
  /** Stable id of the schedule (the BullMQ job scheduler id). */
  id: string;
  name: JobName;
  everyMs: number;
  data: { target?: string; pool?: string; loop?: 'plan' | 'reactive' };
}

/** Collect, then per target train, forecast, plan, the reactive loop and live accuracy; per node pool, pool planning. */
export function scheduleTable(config: PrescaleConfig): ScheduledJob[] {
  const s = config.schedule;
  const jobs: ScheduledJob[] = [{ id: 'collect', name: 'collect', everyMs: s.collect, data: {} }];
  // Models and forecasts for every subject: target loads and node-pool hardware metrics.
  for (const { id } of forecastSubjects(config)) {
    jobs.push(
      { id: `train.${id}`, name: 'train', everyMs: s.train, data: { target: id } },
      { id: `forecast.${id}`, name: 'forecast', everyMs: s.forecast, data: { target: id } },
    );
  }
  for (const target of config.targets) {
    const id = targetId(target);
    jobs.push(
      { id: `plan.${id}`, name: 'plan', everyMs: s.plan, data: { target: id, loop: 'plan' } },
      { id: `reactive.${id}`, name: 'plan', everyMs: s.reactive, data: { target: id, loop: 'reactive' } },
      { id: `accuracy.${id}`, name: 'accuracy', everyMs: s.accuracy, data: { target: id } },
    );
  }
  for (const pool of config.nodePools) jobs.push({ id: `pool.${pool.name}`, name: 'plan-pool', everyMs: s.plan, data: { pool: pool.name } });
  return jobs;
}

/** The order jobs due at the same instant run in: data first, then models, forecasts, plans, pools, accuracy. */
export const JOB_ORDER: JobName[] = ['collect', 'ingest', 'train', 'forecast', 'plan', 'plan-pool', 'accuracy'];
