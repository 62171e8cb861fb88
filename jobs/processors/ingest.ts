import type { Job } from 'bullmq';
import { ingestTrace, type IngestResult } from '../../src/metrics/ingest-trace.js';
import type { JobDeps } from '../deps.js';
import type { JobPayload } from '../queues.js';

/** Loads a CSV trace into the store; a bad row is an InputError, which the worker makes unrecoverable. */
export function ingestProcessor(deps: JobDeps) {
  return async (job: Job<JobPayload<'ingest'>>): Promise<IngestResult> => {
    const { file, measurement, field, tags, shiftMs, fromMs, toMs } = job.data;
    const result = await ingestTrace(deps.store, {
      file,
      measurement,
      field,
      tags,
      shiftMs,
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
      onProgress: (written, total) => job.updateProgress({ fraction: written / total, message: `wrote ${written} of ${total} points` }),
    });
    deps.logger.info({ file, measurement, points: result.points }, 'trace ingested');
    return result;
  };
}
