/**
 * Queue names, job names and payloads. Every job carries `at`: the logical time it is for (epoch ms). Job ids
 * derive from (kind, target, at), so the same job added twice (two schedulers, a retry of the scheduler
 * itself, a replay) runs once.
 */
import { z } from 'zod';

export const QUEUES = {
  /** Metrics collection (metrics.k8s.io -> InfluxDB) and CSV trace ingest. */
  ingest: 'prescale-ingest',
  /** Model training, per target; slow, so it has its own queue and never delays planning. */
  train: 'prescale-train',
  /**
   * LSTM training, per target, queued after each Holt-Winters training (jobs/processors/train-deep.ts): a
   * minute of every core, so a queue of its own, one at a time per process, after the Holt-Winters trainings.
   */
  trainDeep: 'prescale-train-deep',
  /** Forecast refresh, per target. */
  forecast: 'prescale-forecast',
  /** Planning and applying, per target, plus the reactive fast loop. */
  plan: 'prescale-plan',
  /** What-if replays asked for through the API: minutes of CPU each, so they never hold up the others. */
  whatIf: 'prescale-what-if',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** A plan queue: the one queue, or shard k's with `kubernetes.shards` > 1 (src/kube/plan-shards.ts). */
export type PlanQueueName = typeof QUEUES.plan | `${typeof QUEUES.plan}-${number}`;

/** Shard k's plan queue; with one shard, the plan queue itself. BullMQ queue names carry no ':'. */
export function planQueueName(shard: number, shards: number): PlanQueueName {
  return shards <= 1 ? QUEUES.plan : `${QUEUES.plan}-${shard}`;
}

export const isPlanQueue = (name: string): name is PlanQueueName => name === QUEUES.plan || /^prescale-plan-\d+$/.test(name);

/** One thing per queue (a Queue, a QueueEvents, a worker), made by `make`. */
export function perQueue<T>(make: (name: QueueName) => T): Record<QueueName, T> {
  return Object.fromEntries(Object.values(QUEUES).map((name) => [name, make(name)])) as Record<QueueName, T>;
}

/** Absent on jobs from wall-time job schedulers: then the job is for the moment it runs. */
const at = z.number().int().nonnegative().optional();
const target = z.string().min(1);

export const payloadSchemas = {
  collect: z.object({ at }).strict(),
  ingest: z
    .object({
      at,
      file: z.string().min(1),
      measurement: z.string().min(1),
      field: z.string().min(1),
      tags: z.record(z.string(), z.string()).default({}),
      /** Shift every timestamp by this many ms (to replay a historical trace on another timeline). */
      shiftMs: z.number().int().default(0),
      /** Only rows with shifted time in [fromMs, toMs). */
      fromMs: z.number().optional(),
      toMs: z.number().optional(),
    })
    .strict(),
  train: z.object({ at, target }).strict(),
  /** `at` is the Holt-Winters training's: the LSTM trains on the same history and is scored on the same origins. */
  'train-deep': z.object({ at, target }).strict(),
  forecast: z.object({ at, target }).strict(),
  plan: z.object({ at, target, loop: z.enum(['plan', 'reactive']).default('plan') }).strict(),
  'plan-pool': z.object({ at, pool: z.string().min(1) }).strict(),
  /** Live accuracy of the forecasts as issued one pod lead ahead, per target (jobs/processors/accuracy.ts). */
  accuracy: z.object({ at, target }).strict(),
  /** A what-if replay of a target's stored history; `endMs` is the data's end, on the grid (src/what-if/what-if-id.ts). */
  'what-if': z.object({ at, target, days: z.number().int().min(1).max(14), endMs: z.number().int().positive() }).strict(),
} as const;

export type JobName = keyof typeof payloadSchemas;
/** A validated payload, with `at` resolved to the logical time of the job. */
export type JobPayload<N extends JobName> = Omit<z.output<(typeof payloadSchemas)[N]>, 'at'> & { at: number };

export const QUEUE_OF: Record<JobName, QueueName> = {
  collect: QUEUES.ingest,
  ingest: QUEUES.ingest,
  train: QUEUES.train,
  'train-deep': QUEUES.trainDeep,
  forecast: QUEUES.forecast,
  plan: QUEUES.plan,
  'plan-pool': QUEUES.plan,
  accuracy: QUEUES.forecast,
  'what-if': QUEUES.whatIf,
};

/** Deterministic job id: the same logical job is only ever queued once. BullMQ ids must not contain ':'. */
export function jobId(name: JobName, payload: { at?: number; target?: string; pool?: string; loop?: string; file?: string }): string {
  const subject = payload.target ?? payload.pool ?? payload.file?.replace(/[^A-Za-z0-9._-]/g, '_') ?? 'all';
  const loop = payload.loop && payload.loop !== 'plan' ? `-${payload.loop}` : '';
  return `${name}${loop}.${subject}.${payload.at ?? 'now'}`;
}

/** Options shared by every job: retries with exponential backoff for transient I/O, bounded history in Redis. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { count: 500 },
  removeOnFail: { count: 1_000 },
} as const;
