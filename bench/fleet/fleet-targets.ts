/**
 * N bench targets made from the bundled 5-minute traces: each a time-shifted and scaled copy of one trace,
 * named as such (`fleet/nasa-shift-3h-x1.7`), its load repeating the trace cyclically on the wall clock.
 */
import { join } from 'node:path';
import { readCsvTrace } from '../../src/core/csv-trace.js';
import { REPO_ROOT } from '../../src/core/paths.js';

const TRACES = [
  { short: 'nasa', file: 'nasa_http_jul1995_5min.csv' },
  { short: 'azure', file: 'azure2019_vm_cpu_total_5min.csv' },
  { short: 'asg', file: 'nab_asg_cpu_5min.csv' },
  { short: 'elb', file: 'nab_elb_request_count_5min.csv' },
  { short: 'twitter', file: 'nab_twitter_amzn_5min.csv' },
] as const;

export const FLEET_NAMESPACE = 'fleet';
export const FLEET_MEASUREMENT = 'fleet_load';
export const FLEET_FIELD = 'value';
const STEP_MS = 300_000;
const HOUR_MS = 3_600_000;

export interface FleetTarget {
  name: string;
  trace: string;
  shiftMs: number;
  scale: number;
  /** Load of one ready pod at saturation: a quarter of the copy's mean, so the fleet runs ~4 replicas each. */
  capacityPerReplica: number;
  /** The copy's load at a wall-clock instant (the trace's step containing it, cyclically). */
  loadAt(timeMs: number): number;
}

let cache: Map<string, number[]> | null = null;
function traceValues(): Map<string, number[]> {
  cache ??= new Map(TRACES.map((t) => [t.short, readCsvTrace(join(REPO_ROOT, 'data', 'traces', t.file)).series.values]));
  return cache;
}

/** Target i: trace i mod 5, shifted by (i / 5) mod 24 hours, scaled by 0.5 + 0.1 * ((i / 120) mod 16): 1,920 distinct copies. */
export function fleetTargets(count: number): FleetTarget[] {
  const values = traceValues();
  return Array.from({ length: count }, (_, i) => {
    const trace = TRACES[i % TRACES.length]!;
    const hours = Math.floor(i / TRACES.length) % 24;
    const scale = Math.round((0.5 + 0.1 * (Math.floor(i / (TRACES.length * 24)) % 16)) * 10) / 10;
    const series = values.get(trace.short)!;
    const mean = series.reduce((a, b) => a + b, 0) / series.length;
    const shiftMs = hours * HOUR_MS;
    return {
      name: `${trace.short}-shift-${hours}h-x${scale}`,
      trace: trace.short,
      shiftMs,
      scale,
      capacityPerReplica: Math.max(1e-6, (scale * mean) / 4),
      loadAt(timeMs: number) {
        const k = Math.floor((timeMs - shiftMs) / STEP_MS);
        const n = series.length;
        return scale * series[((k % n) + n) % n]!;
      },
    };
  });
}
