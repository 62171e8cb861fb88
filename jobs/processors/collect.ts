import type { Job } from 'bullmq';
import type { JobDeps } from '../deps.js';
import type { JobPayload } from '../queues.js';

/**
 * Writes the live metrics of `at` (pods and nodes from metrics.k8s.io, or the replayed trace) to the store, and
 * each target's newest load sample to Redis first (deps.lastKnown): the plan job's live load while InfluxDB is away.
 */
export function collectProcessor(deps: JobDeps) {
  return async (job: Job<JobPayload<'collect'>>): Promise<{ points: number }> => {
    const points = await deps.collect(job.data.at);
    if (points.length > 0) await deps.lastKnown?.recordLoads(deps.config.targets, points);
    if (points.length > 0) await deps.store.writePoints(points);
    return { points: points.length };
  };
}
