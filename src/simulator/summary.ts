/**
 * The scores of a replay, computed from its per-minute rows only, so that anyone scoring OUT.csv from
 * outside gets the same numbers:
 * - under-provisioned minutes: rows where demand > capacity (capacity per replica x Ready replicas);
 * - replica-hours: replicas asked for (Ready or starting), summed over minutes / 60;
 * - slack: 1 - served load / capacity of Ready replicas, served = min(demand, capacity).
 */
import type { SimulationRow } from './replay.js';

export interface PolicySummary {
  policy: string;
  minutes: number;
  underProvisionedMinutes: number;
  replicaHours: number;
  /** 0..1. */
  slack: number;
  nodeHours: number;
}

export function summarize(policy: string, rows: readonly SimulationRow[]): PolicySummary {
  let under = 0;
  let replicaMinutes = 0;
  let nodeMinutes = 0;
  let served = 0;
  let capacity = 0;
  for (const row of rows) {
    if (row.demand > row.capacity) under++;
    replicaMinutes += row.desiredReplicas;
    nodeMinutes += row.nodes;
    served += Math.min(row.demand, row.capacity);
    capacity += row.capacity;
  }
  return {
    policy,
    minutes: rows.length,
    underProvisionedMinutes: under,
    replicaHours: replicaMinutes / 60,
    slack: capacity > 0 ? 1 - served / capacity : 0,
    nodeHours: nodeMinutes / 60,
  };
}

export const CSV_HEADER = 'timestamp,policy,demand,desired_replicas,ready_replicas,capacity,nodes,mode';

export function rowToCsv(row: SimulationRow): string {
  return [new Date(row.timestamp).toISOString(), row.policy, fmt(row.demand), row.desiredReplicas, row.readyReplicas, fmt(row.capacity), row.nodes, row.mode].join(',');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(10)));
}

/** A fixed-width table of summaries, one line per policy. */
export function formatSummaryTable(summaries: readonly PolicySummary[]): string {
  const header = ['policy', 'under-provisioned min', 'replica-hours', 'slack', 'node-hours'];
  const lines = summaries.map((s) => [s.policy, String(s.underProvisionedMinutes), s.replicaHours.toFixed(1), `${(s.slack * 100).toFixed(1)}%`, s.nodeHours.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [render(header), ...lines.map(render)].join('\n');
}
