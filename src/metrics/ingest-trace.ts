import { readCsvTrace } from '../core/csv-trace.js';
import type { MetricPoint, MetricsStore, Tags } from './metrics-store.js';

/** Lines per write: large enough to be fast, small enough to report progress. */
export const INGEST_BATCH = 5_000;

export interface IngestOptions {
  file: string;
  measurement: string;
  field: string;
  tags: Tags;
  /** Shift every timestamp by this many ms (to replay a historical trace on another timeline). */
  shiftMs?: number;
  /** Only points with shifted time in [fromMs, toMs). */
  fromMs?: number;
  toMs?: number;
  onProgress?: (written: number, total: number) => void | Promise<void>;
}

export interface IngestResult {
  points: number;
  first: number | null;
  last: number | null;
}

/**
 * Loads a `timestamp,value` CSV trace into the store. The whole file is read and validated before the first
 * write (a bad row throws InputError at `file:line`), so bad input leaves the store untouched.
 */
export async function ingestTrace(store: MetricsStore, options: IngestOptions): Promise<IngestResult> {
  const { startMs, stepMs, values } = readCsvTrace(options.file).series;
  const shift = options.shiftMs ?? 0;
  const points: MetricPoint[] = [];
  values.forEach((value, i) => {
    const time = startMs + i * stepMs + shift;
    if ((options.fromMs === undefined || time >= options.fromMs) && (options.toMs === undefined || time < options.toMs)) {
      points.push({ measurement: options.measurement, tags: options.tags, fields: { [options.field]: value }, time });
    }
  });
  for (let i = 0; i < points.length; i += INGEST_BATCH) {
    await store.writePoints(points.slice(i, i + INGEST_BATCH));
    await options.onProgress?.(Math.min(points.length, i + INGEST_BATCH), points.length);
  }
  return { points: points.length, first: points[0]?.time ?? null, last: points.at(-1)?.time ?? null };
}
