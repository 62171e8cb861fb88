/**
 * `prescale status`: GET /api/status as two tables, the targets (mode, actuation, replicas, model, LSTM training, error budget,
 * last decision) and the node pools; --json prints the response as it came.
 * Left out: watching (run it under `watch`), history (see the dashboard or /api/targets/:ns/:name/decisions).
 */
import type { Command } from 'commander';
import { addConnectionOptions, clientFromFlags, printJson, type ConnectionFlags } from './api-client.js';
import { textTable } from './text-table.js';
import { formatDuration } from '../core/duration.js';
import { age, localTime, localZoneName } from './time-text.js';

/** The parts of the /api/status answer the tables show; everything else passes through to --json. */
export interface StatusResponse {
  now: number;
  targets: {
    id: string;
    mode: string;
    /** direct | hpa | keda (who writes spec.replicas). */
    actuation?: string;
    /** Direct mode: another autoscaler scales the workload, so Prescale does not patch it. */
    conflict?: { reason: string } | null;
    /** What to fix about how the plan reaches the workload. */
    actuationWarnings?: string[];
    workload?: { desiredReplicas: number; readyReplicas: number; rolloutInProgress?: boolean } | null;
    model?: {
      description?: string;
      kind?: string;
      /** The LSTM's training after the Holt-Winters one (ModelInfo.deep). */
      deep?: { state: string; reason: string; lstmMase?: number; scores?: Record<string, number>; champion?: string; progress?: number; stoppedByBudget?: boolean };
    } | null;
    lastDecision?: { time: number; rule: string; desiredReplicas?: number; loop?: string } | null;
    /** The error budget, or the quantile that overrides it. */
    budget?: { control: 'budget' | 'quantile'; quantile: number; budget?: number; windowMs?: number; spent?: number; left?: number; multiplier?: number } | null;
  }[];
  nodePools: { name: string; desiredNodes?: number; readyNodes?: number; pendingPods?: number }[];
}

type TargetRow = StatusResponse['targets'][number];

const share = (x: number) => `${Number((x * 100).toPrecision(3))}%`;

/** "0.1% / 7d, spent 0.02%, left 0.08%, x1.12 on P98", or "P90 (quantile override)". */
function budgetText(t: TargetRow): string {
  const b = t.budget;
  if (!b) return '';
  if (b.control === 'quantile') return `P${b.quantile} (quantile override)`;
  const window = b.windowMs !== undefined ? ` / ${formatDuration(b.windowMs)}` : '';
  return `${share(b.budget ?? 0)}${window}, spent ${share(b.spent ?? 0)}, left ${share(b.left ?? 0)}, x${(b.multiplier ?? 1).toFixed(2)} on P${b.quantile}`;
}

/** "trained: lstm 0.902 vs hw 1.147, snaive 0.841 -> snaive" or "skipped: forecasting.deep is off". */
export function deepText(t: TargetRow): string {
  const deep = t.model?.deep;
  if (!deep) return '';
  if (deep.state === 'training') return `training ${Math.round(100 * (deep.progress ?? 0))}%`;
  if (deep.state !== 'trained') return `${deep.state}${deep.reason ? `: ${deep.reason}` : ''}`;
  const others = Object.entries(deep.scores ?? {})
    .filter(([name]) => name !== 'lstm' && !name.includes('+'))
    .map(([name, mase]) => `${name} ${mase.toFixed(3)}`);
  const lstm = deep.lstmMase !== undefined ? `lstm ${deep.lstmMase.toFixed(3)}` : 'lstm n/a';
  return `trained: ${lstm}${others.length ? ` vs ${others.join(', ')}` : ''} -> ${deep.champion ?? t.model?.kind ?? '?'}${deep.stoppedByBudget ? ' (budget)' : ''}`;
}

function actuationText(t: TargetRow): string {
  const flags = [t.conflict ? 'conflict' : '', t.actuationWarnings?.length ? 'warning' : ''].filter(Boolean);
  return `${t.actuation ?? ''}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`;
}

/** Conflicts and warnings in full, under the table: they say what to fix. */
function actuationNotes(targets: readonly TargetRow[]): string {
  const lines = targets.flatMap((t) => [...(t.conflict ? [`${t.id}: ${t.conflict.reason}`] : []), ...(t.actuationWarnings ?? []).map((w) => `${t.id}: ${w}`)]);
  return lines.length === 0 ? '' : `\n\n${lines.join('\n')}`;
}

export function formatStatus(status: StatusResponse): string {
  const showActuation = status.targets.some((t) => t.actuation !== undefined || t.conflict);
  const targets =
    status.targets.length === 0
      ? 'no targets configured'
      : textTable(status.targets, [
          { header: 'target', value: (t) => t.id },
          { header: 'mode', value: (t) => t.mode },
          ...(showActuation ? [{ header: 'actuation', value: actuationText }] : []),
          { header: 'desired', value: (t) => t.workload?.desiredReplicas },
          { header: 'ready', value: (t) => (t.workload ? `${t.workload.readyReplicas}${t.workload.rolloutInProgress ? ' (rollout)' : ''}` : ''), align: 'right' },
          { header: 'model', value: (t) => t.model?.description ?? t.model?.kind ?? '(none yet)' },
          ...(status.targets.some((t) => t.model?.deep) ? [{ header: 'lstm (validation MASE)', value: deepText }] : []),
          ...(status.targets.some((t) => t.budget) ? [{ header: 'error budget', value: budgetText }] : []),
          { header: 'last decision', value: (t) => (t.lastDecision ? `${localTime(t.lastDecision.time)} (${age(t.lastDecision.time, status.now)})` : '(none in the last hour)') },
          { header: 'rule', value: (t) => t.lastDecision?.rule ?? '' },
        ]) + actuationNotes(status.targets);
  const pools =
    status.nodePools.length === 0
      ? ''
      : `\n\nnode pools\n${textTable(status.nodePools, [
          { header: 'pool', value: (p) => p.name },
          { header: 'desired nodes', value: (p) => p.desiredNodes },
          { header: 'ready nodes', value: (p) => p.readyNodes },
          { header: 'pending pods', value: (p) => p.pendingPods },
        ])}`;
  return `server time ${localTime(status.now)} (times in ${localZoneName()})\n\n${targets}${pools}`;
}

export function registerStatusCommand(program: Command): void {
  addConnectionOptions(
    program.command('status').description('Targets (mode, actuation, replicas, model, last decision) and node pools, from a running Prescale'),
  ).action(async (flags: ConnectionFlags) => {
    const { body } = await clientFromFlags(flags).request<StatusResponse>('GET', '/api/status');
    if (flags.json) printJson(body);
    else process.stdout.write(`${formatStatus(body)}\n`);
  });
}
