/**
 * The replay set-up the scaling benchmarks share (bench:scaling, bench:frontier): the bundled traces and the
 * capacity per replica each is replayed with.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/core/paths.js';
import { percentile } from '../src/simulator/trace.js';

export const TRACES_DIR = join(REPO_ROOT, 'data', 'traces');

/** Capacity per replica: p95(demand) / 25 to two significant digits, so that the peak needs roughly 20-40 replicas. */
export function capacityFor(values: readonly number[]): number {
  return Number((percentile(values, 0.95) / 25).toPrecision(2));
}

/** The bundled trace files (sorted), those whose name contains one of `only` when given. */
export function traceFiles(only?: readonly string[]): string[] {
  return readdirSync(TRACES_DIR)
    .filter((f) => f.endsWith('.csv'))
    .filter((f) => !only || only.some((o) => f.includes(o)))
    .sort();
}
