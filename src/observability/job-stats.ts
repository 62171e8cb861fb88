/**
 * Job durations and failures per BullMQ queue, kept in Redis so that every API replica can expose them on
 * /metrics although the jobs run in worker processes. Workers record each finished job into fixed histogram
 * buckets (one hash per queue, HINCRBY, one MULTI per job); the API reads all queues in one pipeline per scrape
 * and exposes them as a Prometheus histogram (shared-histogram.ts).
 *
 * Left out: per-job-name or per-target breakdowns (cardinality), and durations of failed attempts (a failure
 * is counted, its duration is not: a timeout and a bad payload would mix in one histogram).
 */
import type { RedisClient } from '../core/redis.js';
import { clusterSafePrefix } from '../core/redis-hash-tag.js';
import type { Worker } from 'bullmq';
import type { Logger } from '../core/logger.js';

/** Upper bounds of the duration buckets, seconds (plus +Inf). A plan tick is milliseconds, a training minutes. */
export const JOB_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** One queue's totals since the hash was created (counters: they only grow). */
export interface QueueJobStats {
  /** Completed jobs per bucket, NOT cumulative: index i counts durations in (bound[i-1], bound[i]]; the last is +Inf. */
  buckets: number[];
  /** Completed jobs. */
  count: number;
  /** Sum of completed jobs' durations, seconds. */
  sumSeconds: number;
  /** Failed attempts (each retry that failed counts once). */
  failures: number;
}

export interface JobStatsStore {
  recordCompleted(queue: string, durationMs: number): Promise<void>;
  recordFailed(queue: string): Promise<void>;
  /** Every named queue's totals, in one round trip; a queue without records has zeros. */
  read(queues: readonly string[]): Promise<Map<string, QueueJobStats>>;
}

/** Index of the bucket a duration falls into (le semantics: a duration equal to a bound belongs to it). */
export function bucketIndex(durationMs: number): number {
  const seconds = durationMs / 1000;
  const i = JOB_DURATION_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
  return i === -1 ? JOB_DURATION_BUCKETS_SECONDS.length : i;
}

function emptyStats(): QueueJobStats {
  return { buckets: new Array<number>(JOB_DURATION_BUCKETS_SECONDS.length + 1).fill(0), count: 0, sumSeconds: 0, failures: 0 };
}

/** Hash `<prefix>:job-stats:<queue>` with fields b0..bN, count, sum_ms, failed; `{prefix}` on a Cluster (read pipelines all queues). */
export function createRedisJobStatsStore(redis: RedisClient, prefix = 'prescale'): JobStatsStore {
  const key = (queue: string) => `${clusterSafePrefix(redis, prefix)}:job-stats:${queue}`;
  return {
    async recordCompleted(queue, durationMs) {
      const ms = Math.max(0, Math.round(durationMs));
      await redis.multi().hincrby(key(queue), `b${bucketIndex(ms)}`, 1).hincrby(key(queue), 'count', 1).hincrby(key(queue), 'sum_ms', ms).exec();
    },
    async recordFailed(queue) {
      await redis.hincrby(key(queue), 'failed', 1);
    },
    async read(queues) {
      const pipeline = redis.pipeline();
      for (const queue of queues) pipeline.hgetall(key(queue));
      const replies = (await pipeline.exec()) ?? [];
      const out = new Map<string, QueueJobStats>();
      queues.forEach((queue, i) => {
        const [error, raw] = replies[i] ?? [null, {}];
        if (error) throw error;
        const hash = (raw ?? {}) as Record<string, string>;
        const stats = emptyStats();
        const int = (field: string) => Number.parseInt(hash[field] ?? '0', 10) || 0;
        stats.buckets = stats.buckets.map((_, b) => int(`b${b}`));
        stats.count = int('count');
        stats.sumSeconds = int('sum_ms') / 1000;
        stats.failures = int('failed');
        out.set(queue, stats);
      });
      return out;
    },
  };
}

/**
 * Records every job a worker finishes. Fire and forget: a Redis hiccup costs a sample, never a job; it is
 * logged at debug level so an outage does not flood the log (the worker's own error listener reports it).
 */
export function recordJobStats(worker: Worker, store: JobStatsStore, logger?: Logger): void {
  const queue = worker.name;
  const lost = (error: unknown) => logger?.debug({ queue, err: (error as Error).message }, 'job stats not recorded');
  worker.on('completed', (job) => {
    // processedOn: when this attempt became active; finishedOn: when it was moved to completed.
    if (job.processedOn === undefined || job.finishedOn === undefined) return;
    store.recordCompleted(queue, job.finishedOn - job.processedOn).catch(lost);
  });
  worker.on('failed', () => {
    store.recordFailed(queue).catch(lost);
  });
}
