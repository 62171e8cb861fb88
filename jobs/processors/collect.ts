import type { Job } from 'bullmq';
import type { JobDeps } from '../deps.js';
import type { JobPayload } from '../queues.js';

/** Writes the live metrics of `at` (pods and nodes from metrics.k8s.io, or the replayed trace) to the store. */
export function collectProcessor(deps: JobDeps) {
  return async (job: Job<JobPayload<'collect'>>): Promise<{ points: number }> => {
    const points = await deps.collect(job.data.at);
    if (points.length > 0) await deps.store.writePoints(points);
    return { points: points.length };
  };
}
