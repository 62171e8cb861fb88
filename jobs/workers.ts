import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { JobDeps } from './deps.js';
import { collectProcessor } from './processors/collect.js';
import { forecastProcessor } from './processors/forecast.js';
import { ingestProcessor } from './processors/ingest.js';
import { planPoolProcessor } from './processors/plan-pool.js';
import { planProcessor } from './processors/plan.js';
import { trainProcessor } from './processors/train.js';
import { payloadSchemas, QUEUES, type JobName, type QueueName } from './queues.js';
import { isRetryable } from '../src/core/errors.js';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Concurrency per queue; training is CPU-bound, so it gets one slot unless told otherwise. */
  concurrency?: Partial<Record<QueueName, number>>;
}

type Processor = (job: Job) => Promise<unknown>;

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
  const byQueue: Record<QueueName, Partial<Record<JobName, Processor>>> = {
    [QUEUES.ingest]: { collect: collectProcessor(deps) as Processor, ingest: ingestProcessor(deps) as Processor },
    [QUEUES.train]: { train: trainProcessor(deps) as Processor },
    [QUEUES.forecast]: { forecast: forecastProcessor(deps) as Processor },
    [QUEUES.plan]: { plan: planProcessor(deps) as Processor, 'plan-pool': planPoolProcessor(deps) as Processor },
  };
  return (Object.entries(byQueue) as [QueueName, Partial<Record<JobName, Processor>>][]).map(([queue, processors]) => {
    const worker = new Worker(queue, guarded(deps, processors), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency?.[queue] ?? (queue === QUEUES.train ? 1 : 4),
    });
    worker.on('error', (error) => deps.logger.error({ queue, err: error }, 'worker error'));
    worker.on('failed', (job, error) =>
      deps.logger.warn({ queue, job: job?.id, name: job?.name, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
    );
    return worker;
  });
}
