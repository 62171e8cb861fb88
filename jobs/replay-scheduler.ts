import type { Job, QueueEvents } from 'bullmq';
import type { ReplayClock } from '../src/core/clock.js';
import type { QueueSet } from './queue-set.js';
import { QUEUE_OF, type QueueName } from './queues.js';
import { JOB_ORDER, type ScheduledJob } from './schedule-table.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export interface ReplayProgress {
  at: number;
  jobs: number;
  fraction: number;
}

/**
 * Drives the schedule table on a replay clock: at each due instant it advances the clock, adds the due jobs
 * through the real queues (ids from their logical time, so nothing runs twice) and waits for them, in
 * JOB_ORDER (collect -> train, and the LSTM trainings they queue -> forecast -> plan -> pools), before moving on. The same processors run as in
 * production; only the ticking differs, which is what lets a week of history replay in seconds.
 */
export class ReplayScheduler {
  private events: Record<QueueName, QueueEvents> | null = null;
  private jobsRun = 0;

  constructor(
    private readonly queues: QueueSet,
    private readonly table: ScheduledJob[],
    private readonly clock: ReplayClock,
    /** Longest a single job may take before the replay fails (real milliseconds). */
    private readonly jobTimeoutMs = 120_000,
  ) {}

  /** Connects the completion listeners; call before runUntil. */
  async ready(): Promise<void> {
    this.events ??= await this.queues.events();
  }

  /** Runs every due job in (clock.now(), endMs]; the first instant also runs when it is on the grid. */
  async runUntil(endMs: number, onInstant?: (progress: ReplayProgress) => Promise<void> | void): Promise<number> {
    await this.ready();
    const startMs = this.clock.now();
    // Instants are multiples of each job's period, so schedules stay aligned like BullMQ's `every`; stepping by
    // the periods' greatest common divisor visits every instant at which some job is due.
    const tick = this.table.map((j) => j.everyMs).reduce(gcd);
    let at = Math.ceil(startMs / tick) * tick;
    while (at <= endMs) {
      if (at > this.clock.now()) this.clock.advanceTo(at);
      const due = this.table.filter((j) => at % j.everyMs === 0);
      for (const name of JOB_ORDER) {
        const group = due.filter((j) => j.name === name);
        if (group.length === 0) continue;
        const added: Job[] = [];
        for (const job of group) added.push(await this.queues.add(job.name, { ...job.data, at }));
        const events = this.events![QUEUE_OF[name]];
        const results = await Promise.all(added.map((job) => job.waitUntilFinished(events, this.jobTimeoutMs)));
        this.jobsRun += added.length;
        // The LSTM trainings the train jobs queued run before the forecasts of this instant, as they would have
        // finished in wall time long before the next one: the replay stays deterministic.
        if (name === 'train') this.jobsRun += await this.waitForDeepTrainings(results);
      }
      await onInstant?.({ at, jobs: this.jobsRun, fraction: (at - startMs) / Math.max(1, endMs - startMs) });
      at += tick;
    }
    if (this.clock.now() < endMs) this.clock.advanceTo(endMs);
    return this.jobsRun;
  }

  private async waitForDeepTrainings(results: unknown[]): Promise<number> {
    const ids = results.map((r) => (r as { deepJob?: string } | null)?.deepJob).filter((id): id is string => typeof id === 'string');
    const queue = this.queues.queueOf('train-deep');
    const jobs = (await Promise.all(ids.map((id) => queue.getJob(id)))).filter((job) => job !== undefined);
    // A failed LSTM training leaves the Holt-Winters champion in place (its status says why): the replay goes on.
    await Promise.all(jobs.map((job) => job.waitUntilFinished(this.events![QUEUE_OF['train-deep']], this.jobTimeoutMs).catch(() => undefined)));
    return jobs.length;
  }

  async close(): Promise<void> {
    if (this.events) await Promise.all(Object.values(this.events).map((e) => e.close()));
    this.events = null;
  }
}
