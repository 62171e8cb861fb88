/**
 * The capacity lines of a what-if replay for a chart: demand and each policy's replicas over time, downsampled
 * from the replay's one row per minute to at most `maxPoints` buckets of whole minutes. Each bucket keeps its
 * worst case so a short shortfall still shows at any zoom: demand is the bucket's maximum, Ready replicas its
 * minimum, desired replicas its maximum. Pure. Left out: nodes (the summary has node-hours).
 */
import type { SimulationResult } from '../simulator/replay.js';

/** Default and largest number of points per line (the dashboard draws a week in well under a second). */
export const MAX_LINE_POINTS = 2_000;

export interface PolicyLine {
  /** Ready replicas (capacity = ready x capacity per replica), the minimum of each bucket. */
  ready: number[];
  /** Replicas asked for (Ready or starting), the maximum of each bucket. */
  desired: number[];
}

export interface CapacityLines {
  /** Width of a bucket, ms (a whole number of minutes). */
  bucketMs: number;
  /** Epoch ms each bucket starts at. */
  times: number[];
  /** Demand in load units, the maximum of each bucket. */
  demand: number[];
  replicas: Record<string, PolicyLine>;
}

const MINUTE_MS = 60_000;

/** Downsamples the rows of replays over the same minutes (the policies of one what-if). */
export function capacityLines(results: readonly SimulationResult[], maxPoints = MAX_LINE_POINTS): CapacityLines {
  if (!(maxPoints >= 1)) throw new RangeError(`maxPoints must be >= 1, got ${maxPoints}`);
  const base = results[0]?.rows ?? [];
  const perBucket = Math.max(1, Math.ceil(base.length / maxPoints));
  const times: number[] = [];
  const demand: number[] = [];
  for (let i = 0; i < base.length; i += perBucket) {
    times.push(base[i]!.timestamp);
    let peak = 0;
    for (let j = i; j < Math.min(base.length, i + perBucket); j++) peak = Math.max(peak, base[j]!.demand);
    demand.push(peak);
  }
  const replicas: Record<string, PolicyLine> = {};
  for (const result of results) {
    if (result.rows.length !== base.length) throw new RangeError(`policy ${result.policy} has ${result.rows.length} rows, ${results[0]!.policy} ${base.length}`);
    const line: PolicyLine = { ready: [], desired: [] };
    for (let i = 0; i < result.rows.length; i += perBucket) {
      let ready = Infinity;
      let desired = 0;
      for (let j = i; j < Math.min(result.rows.length, i + perBucket); j++) {
        ready = Math.min(ready, result.rows[j]!.readyReplicas);
        desired = Math.max(desired, result.rows[j]!.desiredReplicas);
      }
      line.ready.push(ready);
      line.desired.push(desired);
    }
    replicas[result.policy] = line;
  }
  return { bucketMs: perBucket * MINUTE_MS, times, demand, replicas };
}
