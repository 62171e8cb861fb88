/** The regular grid and the gap policies (pure). Synthetic cells throughout: these are edge cases. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { aggregateOnGrid, alignDown, fillGaps, gridFor, needsSeed, placeOnGrid, MAX_GRID_CELLS } from '../../src/metrics/series.js';

const MIN = 60_000;

describe('gridFor', () => {
  it('aligns the start down to the epoch-aligned cell and covers [from, to)', () => {
    const t = Date.UTC(2026, 0, 1, 10, 7, 30);
    const grid = gridFor(t, t + 10 * MIN, 5 * MIN);
    expect(grid.startMs).toBe(Date.UTC(2026, 0, 1, 10, 5));
    // 10:05 .. 10:17:30 exclusive -> cells 10:05, 10:10, 10:15
    expect(grid.length).toBe(3);
    expect(alignDown(Date.UTC(2026, 0, 1, 10, 5), 5 * MIN)).toBe(Date.UTC(2026, 0, 1, 10, 5));
  });

  it('rejects an empty or reversed range, a bad step and an absurd cell count', () => {
    expect(() => gridFor(10, 10, 1)).toThrow(InputError);
    expect(() => gridFor(20, 10, 1)).toThrow('from < to');
    expect(() => gridFor(0, 10, 0)).toThrow('stepMs');
    expect(() => gridFor(0, 10, 1.5)).toThrow('stepMs');
    expect(() => gridFor(0, Number.NaN, 1)).toThrow('finite');
    expect(() => gridFor(0, MAX_GRID_CELLS + 1, 1)).toThrow('larger step');
  });
});

describe('placeOnGrid and aggregateOnGrid', () => {
  const grid = { startMs: 0, stepMs: 10, length: 3 };

  it('places server cells by time and ignores cells outside the grid or non-finite', () => {
    expect(placeOnGrid(grid, [{ time: 10, value: 2 }, { time: -10, value: 9 }, { time: 30, value: 9 }, { time: 20, value: Number.NaN }])).toEqual([null, 2, null]);
  });

  it('aggregates raw samples per cell like GROUP BY time()', () => {
    const samples = [{ time: 1, value: 4 }, { time: 9, value: 2 }, { time: 5, value: 6 }, { time: 25, value: 1 }];
    expect(aggregateOnGrid(grid, samples, 'mean')).toEqual([4, null, 1]);
    expect(aggregateOnGrid(grid, samples, 'sum')).toEqual([12, null, 1]);
    expect(aggregateOnGrid(grid, samples, 'max')).toEqual([6, null, 1]);
    expect(aggregateOnGrid(grid, samples, 'min')).toEqual([2, null, 1]);
    // last is by time, not by arrival order: t=9 holds 2.
    expect(aggregateOnGrid(grid, samples, 'last')).toEqual([2, null, 1]);
  });

  it('keeps negative values and zeros (no truthiness bugs)', () => {
    const samples = [{ time: 0, value: -3 }, { time: 1, value: 0 }];
    expect(aggregateOnGrid(grid, samples, 'max')).toEqual([0, null, null]);
    expect(aggregateOnGrid(grid, samples, 'min')).toEqual([-3, null, null]);
  });
});

describe('fillGaps', () => {
  const holes = [null, 1, null, null, 4, null];

  it('null leaves the cells alone and does not mutate its input', () => {
    const input = holes.slice();
    expect(fillGaps(input, 'null')).toEqual(holes);
    fillGaps(input, 'linear');
    expect(input).toEqual(holes);
  });

  it('zero fills every empty cell with 0', () => {
    expect(fillGaps(holes, 'zero')).toEqual([0, 1, 0, 0, 4, 0]);
  });

  it('previous carries forward; leading cells take the seed, else stay null', () => {
    expect(fillGaps(holes, 'previous')).toEqual([null, 1, 1, 1, 4, 4]);
    expect(fillGaps(holes, 'previous', 7)).toEqual([7, 1, 1, 1, 4, 4]);
  });

  it('linear interpolates between neighbours and leaves the ends null', () => {
    expect(fillGaps(holes, 'linear')).toEqual([null, 1, 2, 3, 4, null]);
    expect(fillGaps([0, null, null, null, -8], 'linear')).toEqual([0, -2, -4, -6, -8]);
    expect(fillGaps(holes, 'linear', 7)).toEqual([null, 1, 2, 3, 4, null]);
  });

  it('an all-empty range stays null unless previous has a seed to carry', () => {
    expect(fillGaps([null, null], 'previous')).toEqual([null, null]);
    expect(fillGaps([null, null], 'linear')).toEqual([null, null]);
    expect(fillGaps([null, null], 'previous', 3)).toEqual([3, 3]);
    expect(fillGaps([null, null], 'zero')).toEqual([0, 0]);
  });

  it('needsSeed only when previous would have to fill the first cell', () => {
    expect(needsSeed([null, 1], 'previous')).toBe(true);
    expect(needsSeed([null, 1], 'linear')).toBe(false);
    expect(needsSeed([null, null], 'previous')).toBe(true);
    expect(needsSeed([null, 1], 'zero')).toBe(false);
    expect(needsSeed([1, null], 'previous')).toBe(false);
    expect(needsSeed([], 'previous')).toBe(false);
  });
});
