/**
 * The error-budget controller inside replays (prescale policy): misses measured from the simulated cluster
 * move its multiplier, within its bounds, and the share of short minutes follows the budget.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/core/paths.js';
import type { TickInput } from '../../src/scaling/engine.js';
import { planTick } from '../../src/scaling/planner.js';
import { simulate } from '../../src/simulator/replay.js';
import { loadTrace } from '../../src/simulator/trace.js';

const DAY = 86_400_000;

// NASA HTTP (July 1995): days 2 to 6 replayed; the forecasts train on everything before now.
const trace = loadTrace(join(REPO_ROOT, 'data', 'traces', 'nasa_http_jul1995_5min.csv'));
const window = { fromMs: trace.times[0]! + 2 * DAY, toMs: trace.times[0]! + 6 * DAY };
const feed = { candidates: ['hw'] };
const bounds = { minMultiplier: 0.7, maxMultiplier: 2 };

async function replay(budget: number | undefined, quantile?: number) {
  const multipliers: number[] = [];
  const spy = (input: TickInput) => {
    if (input.budget) multipliers.push(input.budget.multiplier);
    return planTick(input);
  };
  const result = await simulate('prescale', {
    trace,
    capacityPerReplica: 20,
    ...window,
    feed,
    planTick: spy,
    ...(budget !== undefined ? { underProvisionedBudget: budget, budgetOptions: bounds } : {}),
    ...(quantile !== undefined ? { quantile } : {}),
  });
  const predictive = result.rows.filter((r) => r.mode !== 'learning');
  const short = predictive.filter((r) => r.demand > r.capacity).length;
  const replicaMinutes = predictive.reduce((a, r) => a + r.desiredReplicas, 0);
  return { multipliers, shortShare: short / predictive.length, replicaMinutes, notes: result.notes };
}

describe('prescale replay with an error budget', () => {
  it('tightens when misses outrun a tiny budget, relaxes under a loose one, never past its bounds, and lands near the budget', async () => {
    const [tight, loose, fixed] = [await replay(0.0001), await replay(0.05), await replay(undefined, 98)];
    expect(fixed.multipliers).toEqual([]);
    // The fixed P98 misses more than 0.01% of minutes: the controller climbs.
    expect(fixed.shortShare).toBeGreaterThan(0.0001);
    expect(Math.max(...tight.multipliers)).toBeGreaterThan(1.2);
    expect(tight.multipliers.at(-1)).toBeGreaterThan(1);
    // It has 5% of minutes to spend: it relaxes below the P98's sizing.
    expect(loose.multipliers.at(-1)).toBeLessThan(0.95);
    expect(Math.min(...loose.multipliers)).toBeLessThan(0.9);
    for (const m of [...tight.multipliers, ...loose.multipliers]) {
      expect(m).toBeGreaterThanOrEqual(bounds.minMultiplier);
      expect(m).toBeLessThanOrEqual(bounds.maxMultiplier);
    }
    expect(tight.replicaMinutes).toBeGreaterThan(fixed.replicaMinutes);
    expect(loose.replicaMinutes).toBeLessThan(fixed.replicaMinutes);
    expect(tight.shortShare).toBeLessThan(fixed.shortShare);
    // Measured share of short minutes near the budget where it is reachable (5% is; 0.01% is below the floor of spikes no forecast sees).
    expect(loose.shortShare).toBeGreaterThan(0.05 * 0.5);
    expect(loose.shortShare).toBeLessThan(0.05 * 1.5);
    expect(loose.notes.some((n) => n.startsWith('error budget 5% of minutes'))).toBe(true);
  }, 240_000);
});
