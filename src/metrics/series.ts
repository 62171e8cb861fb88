/**
 * The regular grid every read comes back on, and the gap policies that fill its empty cells. Pure and
 * synchronous: both Influx adapters ask the server for per-cell aggregates with empty cells left empty
 * (InfluxQL `fill(null)`, Flux `createEmpty: true`) and fill them here, so every adapter fills gaps the same way.
 */
import { InputError } from '../core/errors.js';
import type { Aggregate, EpochMs, GapPolicy, GridSeries } from './metrics-store.js';

/** Above this many cells a read is almost certainly a mistake (1 year at 1 minute is 525,600). */
export const MAX_GRID_CELLS = 1_000_000;

/** How far before a range `previous` looks for a value to fill its leading cells from. */
export const SEED_LOOKBACK_MS = 7 * 86_400_000;

export const GAP_POLICIES: readonly GapPolicy[] = ['null', 'previous', 'zero', 'linear'];
export const AGGREGATES: readonly Aggregate[] = ['mean', 'max', 'min', 'sum', 'last'];

/** The grid cell that holds `time`: cells are aligned to the Unix epoch, like InfluxQL `GROUP BY time()` and Flux windows. */
export function alignDown(time: EpochMs, stepMs: number): EpochMs {
  return Math.floor(time / stepMs) * stepMs;
}

export interface Grid {
  startMs: EpochMs;
  stepMs: number;
  /** Number of cells: the last one is the cell that holds `to - 1`. */
  length: number;
}

/** The grid for [from, to): starts at `from` aligned down to the step. Throws InputError for a nonsensical range. */
export function gridFor(from: EpochMs, to: EpochMs, stepMs: number): Grid {
  if (!Number.isFinite(stepMs) || !Number.isInteger(stepMs) || stepMs <= 0) {
    throw new InputError(`expected a positive whole number of milliseconds, got ${stepMs}`, 'stepMs');
  }
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new InputError(`expected finite epoch milliseconds, got from=${from} to=${to}`, 'from/to');
  if (to <= from) throw new InputError(`expected from < to, got from=${from} to=${to}`, 'from/to');
  const startMs = alignDown(from, stepMs);
  const length = Math.ceil((to - startMs) / stepMs);
  if (length > MAX_GRID_CELLS) {
    throw new InputError(`the range holds ${length} cells of ${stepMs} ms, more than ${MAX_GRID_CELLS}: use a larger step`, 'stepMs');
  }
  return { startMs, stepMs, length };
}

/** Places (time, value) cells returned by a server onto the grid; cells the server did not return stay null. */
export function placeOnGrid(grid: Grid, cells: Iterable<{ time: EpochMs; value: number | null }>): (number | null)[] {
  const values: (number | null)[] = new Array<number | null>(grid.length).fill(null);
  for (const { time, value } of cells) {
    const index = Math.round((time - grid.startMs) / grid.stepMs);
    if (index < 0 || index >= grid.length || value === null || !Number.isFinite(value)) continue;
    values[index] = value;
  }
  return values;
}

/** Aggregates raw samples into the grid's cells (what the server does with GROUP BY time()); empty cells are null. */
export function aggregateOnGrid(grid: Grid, samples: Iterable<{ time: EpochMs; value: number }>, aggregate: Aggregate): (number | null)[] {
  const sums = new Float64Array(grid.length);
  const counts = new Uint32Array(grid.length);
  const picks: (number | null)[] = new Array<number | null>(grid.length).fill(null);
  const pickTimes = new Float64Array(grid.length).fill(-Infinity);
  for (const { time, value } of samples) {
    const index = Math.floor((time - grid.startMs) / grid.stepMs);
    if (index < 0 || index >= grid.length) continue;
    counts[index]! += 1;
    sums[index]! += value;
    const current = picks[index] ?? null;
    if (aggregate === 'max' && (current === null || value > current)) picks[index] = value;
    if (aggregate === 'min' && (current === null || value < current)) picks[index] = value;
    // Ties on time: the later sample wins, like a later write of the same point.
    if (aggregate === 'last' && time >= pickTimes[index]!) {
      picks[index] = value;
      pickTimes[index] = time;
    }
  }
  const values: (number | null)[] = new Array<number | null>(grid.length).fill(null);
  for (let i = 0; i < grid.length; i++) {
    if (counts[i] === 0) continue;
    if (aggregate === 'mean') values[i] = sums[i]! / counts[i]!;
    else if (aggregate === 'sum') values[i] = sums[i]!;
    else values[i] = picks[i]!;
  }
  return values;
}

/**
 * Fills empty cells by `policy`, with InfluxQL's `fill()` semantics:
 * - `null`: left as they are;
 * - `zero`: 0 (counters: nothing happened);
 * - `previous`: the last value before the gap carried forward; cells before the first value take `seed` (the last
 *   value before the range, when the caller has it) and stay null without one;
 * - `linear`: a straight line between the values either side of a gap; cells before the first and after the last
 *   value stay null (nothing to interpolate towards: callers decide whether to drop or extend them).
 * Never invents a value from nothing, so missing data stays visible to the forecasters.
 */
export function fillGaps(values: readonly (number | null)[], policy: GapPolicy, seed?: number | null): (number | null)[] {
  const out = values.slice();
  if (policy === 'null') return out;
  if (policy === 'zero') return out.map((v) => v ?? 0);
  if (policy === 'previous') {
    let carry = seed ?? null;
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (v === null || v === undefined) out[i] = carry;
      else carry = v;
    }
    return out;
  }
  let lastIndex = -1;
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (v === null || v === undefined) continue;
    if (lastIndex >= 0 && i - lastIndex > 1) {
      const from = out[lastIndex] as number;
      const slope = (v - from) / (i - lastIndex);
      for (let j = lastIndex + 1; j < i; j++) out[j] = from + slope * (j - lastIndex);
    }
    lastIndex = i;
  }
  return out;
}

/** A grid series from already aggregated cells, with the gap policy applied. */
export function toGridSeries(grid: Grid, cells: (number | null)[], policy: GapPolicy, seed?: number | null): GridSeries {
  return { startMs: grid.startMs, stepMs: grid.stepMs, values: fillGaps(cells, policy, seed) };
}

/** Whether filling the leading cells of this grid would use a value from before the range (`previous` only). */
export function needsSeed(cells: readonly (number | null)[], policy: GapPolicy): boolean {
  return policy === 'previous' && cells.length > 0 && cells[0] === null;
}
