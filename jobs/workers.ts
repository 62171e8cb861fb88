import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { JobDeps } from './deps.js';
import { accuracyProcessor } from './processors/accuracy.js';
import { collectProcessor } from './processors/collect.js';
import { forecastProcessor } from './processors/forecast.js';
import { ingestProcessor } from './processors/ingest.js';
import { planPoolProcessor } from './processors/plan-pool.js';
import { planProcessor } from './processors/plan.js';
import { trainProcessor } from './processors/train.js';
import { trainDeepProcessor } from './processors/train-deep.js';
import { whatIfProcessor } from './processors/what-if.js';
import { DEFAULT_JOB_OPTIONS, isPlanQueue, jobId, payloadSchemas, QUEUES, type JobName, type PlanQueueName, type QueueName } from './queues.js';
import { isRetryable } from '../src/core/errors.js';
import { serialPerSubject } from './plan-serial.js';
import { recordJobStats } from '../src/observability/job-stats.js';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Concurrency per queue; training is CPU-bound, and planning must be serial (see below). */
  concurrency?: Partial<Record<QueueName, number>>;
  /** Which queues to consume. Default all. A plan queue (or a shard's: planQueueName) belongs to its Lease holder only. */
  queues?: (QueueName | PlanQueueName)[];
}

/**
 * Plan-queue jobs in flight per process (ticks of different targets; see DEFAULT_CONCURRENCY). A tick is a few
 * ms of CPU and ~8 Redis/InfluxDB round trips: at 1,000 targets (133 ticks/s) and ~0.3 s per tick on a loaded
 * machine, ~40 must be in flight (bench:fleet plan-only phase: 16 slots carried ~50 ticks/s, latency-bound).
 */
export const PLAN_CONCURRENCY = 64;

/**
 * Default concurrency. Planning runs PLAN_CONCURRENCY jobs at once, but never two ticks of one target, and a
 * node-pool tick alone (plan-serial.ts): the plan and reactive ticks of a target read and write the same
 * scaling state, and only the Lease holder consumes the plan queue. One slot left the leader waiting on Redis
 * and InfluxDB: bench:fleet at 1,000 targets fell behind the 15 s period. Training is CPU-bound: one slot per process.
 */
const DEFAULT_CONCURRENCY: Record<QueueName, number> = {
  [QUEUES.ingest]: 4,
  [QUEUES.train]: 1,
  // One LSTM training at a time per process: tfjs uses every core.
  [QUEUES.trainDeep]: 1,
  [QUEUES.forecast]: 4,
  [QUEUES.plan]: PLAN_CONCURRENCY,
  // One replay at a time per process: it is CPU-bound like training.
  [QUEUES.whatIf]: 1,
};

type Processor = (job: Job) => Promise<unknown>;

/** The plan job's subject: ticks of one target run one at a time; a pool tick (no target) runs alone. */
const planSubject = (job: Job): string | null => (job.name === 'plan' && typeof job.data?.target === 'string' ? job.data.target : null);

/**
 * Validates the payload (bad input is unrecoverable: no retries), resolves `at` to now for jobs from
 * wall-time schedulers, and turns non-retryable domain errors into UnrecoverableError.
 */
function guarded(deps: JobDeps, processors: Partial<Record<JobName, Processor>>): Processor {
  return async (job) => {
    const name = job.name as JobName;
    const processor = processors[name];
    const schema = payloadSchemas[name];
    if (!processor || !schema) throw new UnrecoverableError(`no processor for job "${job.name}" on this queue`);
    const parsed = schema.safeParse(job.data);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new UnrecoverableError(`invalid ${name} payload: ${detail}`);
    }
    job.data = { ...parsed.data, at: parsed.data.at ?? deps.clock.now() };
    try {
      return await processor(job);
    } catch (error) {
      if (error instanceof UnrecoverableError || isRetryable(error)) throw error;
      throw new UnrecoverableError((error as Error).message);
    }
  };
}

/** Starts one worker per queue. Every worker has an `error` listener (BullMQ's production advice). */
export function startWorkers(deps: JobDeps, options: WorkerOptions): Worker[] {
  // The train job adds LSTM trainings; the deep job asks how many Holt-Winters trainings are pending. Each queue
  // handle is made on first use and closed with the worker that uses it.
  const handle = (name: QueueName) => {
    let queue: Queue | undefined;
    return { get: () => (queue ??= new Queue(name, { connection: options.connection, prefix: options.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS })), close: () => queue?.close() };
  };
  const deepQueue = handle(QUEUES.trainDeep);
  const trainQueue = handle(QUEUES.train);
  const queueDeep = async (target: string, at: number) => {
    const data = { at, target };
    const id = jobId('train-deep', data);
    // Not retried: a training that failed fails the same way again; the next Holt-Winters training queues another.
    await deepQueue.get().add('train-deep', data, { jobId: id, attempts: 1 });
    return id;
  };
  const pendingHoltWinters = async () => {
    const counts = await trainQueue.get().getJobCounts('waiting', 'active', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  const closeWith: Partial<Record<QueueName, () => unknown>> = { [QUEUES.train]: deepQueue.close, [QUEUES.trainDeep]: trainQueue.close };
  const byQueue: Record<QueueName, Partial<Record<JobName, Processor>>> = {
    [QUEUES.ingest]: { collect: collectProcessor(deps) as Processor, ingest: ingestProcessor(deps) as Processor },
    [QUEUES.train]: { train: trainProcessor(deps, { queueDeep }) as Processor },
    [QUEUES.trainDeep]: { 'train-deep': trainDeepProcessor(deps, { pendingHoltWinters }) as Processor },
    [QUEUES.forecast]: { forecast: forecastProcessor(deps) as Processor, accuracy: accuracyProcessor(deps) as Processor },
    [QUEUES.plan]: { plan: planProcessor(deps) as Processor, 'plan-pool': planPoolProcessor(deps) as Processor },
    [QUEUES.whatIf]: { 'what-if': whatIfProcessor(deps) as Processor },
  };
  const wanted = options.queues ?? (Object.keys(byQueue) as QueueName[]);
  return wanted.map((queue) => {
    // A shard's plan queue runs what the plan queue runs (src/kube/plan-shards.ts).
    const kind: QueueName = isPlanQueue(queue) ? QUEUES.plan : (queue as QueueName);
    const processor = guarded(deps, byQueue[kind]);
    const worker = new Worker(queue, kind === QUEUES.plan ? serialPerSubject(processor, planSubject) : processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency?.[kind] ?? DEFAULT_CONCURRENCY[kind],
    });
    worker.on('error', (error) => deps.logger.error({ queue, err: error }, 'worker error'));
    const close = closeWith[kind];
    if (close) worker.on('closed', () => void Promise.resolve(close()).catch(() => undefined));
    if (deps.jobStats) recordJobStats(worker, deps.jobStats, deps.logger);
    worker.on('failed', (job, error) =>
      deps.logger.warn({ queue, job: job?.id, name: job?.name, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
    );
    return worker;
  });
}
