/**
 * A demand trace for the simulator: `timestamp,value` rows read as a step function (the value of a row holds
 * from its timestamp until the next row's, the last one for one more grid step).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { parseCsvTrace } from '../core/csv-trace.js';

export interface DemandTrace {
  /** Where it came from, for messages. */
  source: string;
  /** Epoch ms of each point, strictly increasing. */
  times: number[];
  /** Demand in load units, finite and >= 0. */
  values: number[];
  /** The grid step (median spacing of the points), ms. */
  stepMs: number;
  /** Epoch ms where the trace ends (last point + one step). */
  endMs: number;
}

/**
 * Parses CSV text with the project's trace reader (src/core/csv-trace.ts: same grid, gap filling and
 * `file:line` errors as the scorer), then rejects negative demand at its line.
 */
export function parseTrace(text: string, source: string): DemandTrace {
  const csv = parseCsvTrace(text, source);
  const { series } = csv;
  if (series.values.some((v) => v < 0)) {
    const lines = text.split(/\r?\n/);
    const vCol = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((c) => c.trim().toLowerCase()).indexOf('value');
    const line = lines.findIndex((l, i) => i > 0 && Number(l.split(',')[vCol]) < 0);
    throw new InputError(`value ${lines[line]?.split(',')[vCol]?.trim()} is negative (demand cannot be)`, `${source}:${line + 1}`);
  }
  const times = series.values.map((_, i) => series.startMs + i * series.stepMs);
  return { source, times, values: [...series.values], stepMs: series.stepMs, endMs: times[times.length - 1]! + series.stepMs };
}

export function loadTrace(path: string): DemandTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, path, { cause: error });
  }
  return parseTrace(text, path);
}

/** Index of the point in force at `t` (the last one at or before it), -1 before the trace. */
export function indexAt(trace: DemandTrace, t: number): number {
  const { times } = trace;
  let lo = 0;
  let hi = times.length - 1;
  if (t < times[0]!) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Demand at `t`: 0 before the trace and after its end. */
export function demandAt(trace: DemandTrace, t: number): number {
  if (t >= trace.endMs) return 0;
  const i = indexAt(trace, t);
  return i < 0 ? 0 : trace.values[i]!;
}

/** The largest demand at any moment of [from, to]. */
export function maxDemandOver(trace: DemandTrace, from: number, to: number): number {
  let i = Math.max(0, indexAt(trace, from));
  let best = demandAt(trace, from);
  for (i = i + 1; i < trace.times.length && trace.times[i]! <= to; i++) best = Math.max(best, trace.values[i]!);
  return best;
}

/** The value below which `p` (0..1) of the points fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
