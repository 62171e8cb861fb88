/**
 * A demand trace for the simulator: `timestamp,value` rows read as a step function (the value of a row holds
 * from its timestamp until the next row's, the last one for one more grid step).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';

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

/** Parses CSV text; every bad row fails with `source:line` and the reason. */
export function parseTrace(text: string, source: string): DemandTrace {
  const lines = text.split(/\r?\n/);
  const times: number[] = [];
  const values: number[] = [];
  let headerSeen = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    if (!headerSeen) {
      headerSeen = true;
      if (line.replace(/\s/g, '').toLowerCase() !== 'timestamp,value') {
        throw new InputError(`expected the header "timestamp,value", got "${line.slice(0, 60)}"`, where);
      }
      continue;
    }
    const cells = line.split(',');
    if (cells.length !== 2) throw new InputError(`expected 2 columns (timestamp,value), got ${cells.length}`, where);
    const time = Date.parse(cells[0]!.trim());
    if (!Number.isFinite(time)) throw new InputError(`"${cells[0]}" is not an ISO-8601 timestamp`, where);
    const raw = cells[1]!.trim();
    const value = raw === '' ? NaN : Number(raw);
    if (!Number.isFinite(value)) throw new InputError(`value "${raw}" is not a number`, where);
    if (value < 0) throw new InputError(`value ${value} is negative (demand cannot be)`, where);
    if (times.length > 0 && time <= times[times.length - 1]!) {
      throw new InputError(`timestamp ${cells[0]} is not after the previous row's`, where);
    }
    times.push(time);
    values.push(value);
  }
  if (times.length < 2) throw new InputError('a trace needs at least two rows', source);
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  const stepMs = gaps[Math.floor(gaps.length / 2)]!;
  return { source, times, values, stepMs, endMs: times[times.length - 1]! + stepMs };
}

export function loadTrace(path: string): DemandTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the trace: ${(error as Error).message}`, path, { cause: error });
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
