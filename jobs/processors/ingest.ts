import { UnrecoverableError, type Job } from 'bullmq';
import { InputError } from '../../src/core/errors.js';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import type { MetricPoint } from '../../src/metrics/metrics-store.js';
import type { JobDeps } from '../deps.js';
import type { JobPayload } from '../queues.js';

/** Lines per InfluxDB write: large enough to be fast, small enough to report progress. */
const BATCH = 5_000;

/**
 * Loads a `timestamp,value` CSV trace into the store. The whole file is validated before the first write,
 * so a bad row (reported as file:line) leaves the store untouched.
 */
export function ingestProcessor(deps: JobDeps) {
  return async (job: Job<JobPayload<'ingest'>>): Promise<{ points: number; first: number | null; last: number | null }> => {
    const { file, measurement, field, tags, shiftMs, fromMs, toMs } = job.data;
    let trace;
    try {
      trace = readCsvTrace(file);
    } catch (error) {
      if (error instanceof InputError) throw new UnrecoverableError(error.message);
      throw error;
    }
    const { startMs, stepMs, values } = trace.series;
    const points: MetricPoint[] = [];
    values.forEach((value, i) => {
      const time = startMs + i * stepMs + shiftMs;
      if ((fromMs === undefined || time >= fromMs) && (toMs === undefined || time < toMs)) points.push({ measurement, tags, fields: { [field]: value }, time });
    });
    for (let i = 0; i < points.length; i += BATCH) {
      await deps.store.writePoints(points.slice(i, i + BATCH));
      await job.updateProgress({ fraction: Math.min(1, (i + BATCH) / points.length), message: `wrote ${Math.min(points.length, i + BATCH)} of ${points.length} points` });
    }
    deps.logger.info({ file, measurement, points: points.length }, 'trace ingested');
    return { points: points.length, first: points[0]?.time ?? null, last: points.at(-1)?.time ?? null };
  };
}
