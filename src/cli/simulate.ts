import { renameSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../core/errors.js';
import { DEFAULT_UNDER_PROVISIONED_BUDGET, MAX_UNDER_PROVISIONED_BUDGET } from '../config/schema.js';
import { formatDuration, parseDurationMs } from '../core/duration.js';
import { POLICY_NAMES, simulate, type PolicyName, type SimulationResult } from '../simulator/replay.js';
import { CSV_HEADER, formatSummaryTable, rowToCsv, summarize, type PolicySummary } from '../simulator/summary.js';
import { loadTrace } from '../simulator/trace.js';

/**
 * `prescale simulate`: replays a `timestamp,value` demand trace through the simulated cluster under the
 * prescale, hpa and oracle policies, writes one CSV row per minute and policy
 * (timestamp,policy,demand,desired_replicas,ready_replicas,capacity,nodes,mode) and prints, per policy,
 * under-provisioned minutes, replica-hours and slack. Other tools score it from outside: keep the flags,
 * the header and the printed names as they are.
 */

export interface SimulateCommandOptions {
  series: string;
  capacityPerReplica: string;
  targetUtilization: string;
  podStartup: string;
  nodeStartup: string;
  policy: string;
  /** Forecast quantile the prescale policy sizes each step for, percent: the expert override of the error budget. */
  quantile?: string;
  /**
   * Error budget the prescale policy's controller spends: share of minutes allowed short of capacity (default the
   * config default, DEFAULT_UNDER_PROVISIONED_BUDGET). With --quantile it is an error: one knob or the other.
   */
  budget?: string;
  out: string;
  progress?: boolean;
}

export interface SimulateCommandResult {
  summaries: PolicySummary[];
  results: SimulationResult[];
  /** What the command prints on stdout. */
  report: string;
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InputError(`expected a number > 0, got "${text}"`, flag);
  return value;
}

function duration(text: string, flag: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new InputError(`expected a duration like "90s", "5m" or a number of seconds, got "${text}"`, flag);
  return ms;
}

/** The logic behind the command, callable from tests and the benchmark. */
export async function runSimulateCommand(
  opts: SimulateCommandOptions,
  onProgress?: (fraction: number, label: string) => void,
): Promise<SimulateCommandResult> {
  const capacityPerReplica = positiveNumber(opts.capacityPerReplica, '--capacity-per-replica');
  const targetUtilization = positiveNumber(opts.targetUtilization, '--target-utilization');
  if (targetUtilization > 1) throw new InputError(`expected a fraction in (0, 1], got "${opts.targetUtilization}"`, '--target-utilization');
  const podStartupMs = duration(opts.podStartup, '--pod-startup');
  const nodeStartupMs = duration(opts.nodeStartup, '--node-startup');
  if (opts.quantile !== undefined && opts.budget !== undefined) {
    throw new InputError('give --budget or --quantile, not both (--quantile is the expert override that turns the error budget off)', '--budget');
  }
  let budget: number | undefined;
  if (opts.budget !== undefined) {
    budget = Number(opts.budget);
    if (opts.budget.trim() === '' || !Number.isFinite(budget) || budget <= 0 || budget > MAX_UNDER_PROVISIONED_BUDGET) {
      throw new InputError(`expected a share of minutes above 0 and up to ${MAX_UNDER_PROVISIONED_BUDGET}, e.g. 0.001 (= 0.1%), got "${opts.budget}"`, '--budget');
    }
  }
  let quantile: number | undefined;
  if (opts.quantile !== undefined) {
    quantile = Number(opts.quantile);
    if (opts.quantile.trim() === '' || !Number.isFinite(quantile) || quantile < 50 || quantile > 99) {
      throw new InputError(`expected a percentile from 50 to 99, got "${opts.quantile}"`, '--quantile');
    }
  }
  const policies: PolicyName[] = opts.policy === 'all' ? [...POLICY_NAMES] : [opts.policy as PolicyName];
  if (!policies.every((p) => (POLICY_NAMES as readonly string[]).includes(p))) {
    throw new InputError(`unknown policy "${opts.policy}"; choose from ${[...POLICY_NAMES, 'all'].join(', ')}`, '--policy');
  }
  const trace = loadTrace(opts.series);
  // As the service sizes by default: the error budget, unless the quantile overrides it.
  const underProvisionedBudget = quantile === undefined ? (budget ?? DEFAULT_UNDER_PROVISIONED_BUDGET) : undefined;

  const results: SimulationResult[] = [];
  for (const [i, policy] of policies.entries()) {
    onProgress?.(i / policies.length, policy);
    results.push(
      await simulate(policy, {
        trace,
        capacityPerReplica,
        targetUtilization,
        podStartupMs,
        nodeStartupMs,
        ...(quantile !== undefined ? { quantile } : {}),
        ...(underProvisionedBudget !== undefined ? { underProvisionedBudget } : {}),
        onProgress: (f) => onProgress?.((i + f) / policies.length, policy),
      }),
    );
  }
  onProgress?.(1, 'writing');

  // Written beside the target and renamed: a failed run never leaves a half-written file.
  const lines = [CSV_HEADER];
  for (const result of results) for (const row of result.rows) lines.push(rowToCsv(row));
  const tmp = `${opts.out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${lines.join('\n')}\n`);
    renameSync(tmp, opts.out);
  } catch (error) {
    throw new InputError(`cannot write the output (${(error as NodeJS.ErrnoException).code ?? String(error)})`, opts.out, { cause: error });
  }

  const summaries = results.map((r) => summarize(r.policy, r.rows));
  const first = results[0]!.rows[0];
  const last = results[0]!.rows[results[0]!.rows.length - 1];
  const report = [
    `${opts.series}: ${first ? new Date(first.timestamp).toISOString() : '-'} .. ${last ? new Date(last.timestamp).toISOString() : '-'} ` +
      `(${summaries[0]!.minutes} minutes), capacity per replica ${capacityPerReplica}, target utilisation ${targetUtilization}, ` +
      `pod start-up ${formatDuration(podStartupMs)}, node start-up ${formatDuration(nodeStartupMs)}`,
    ...(policies.includes('prescale')
      ? [
          quantile !== undefined
            ? `sizing: the prescale policy sizes at the forecast P${quantile} (--quantile: the error budget is off)`
            : `sizing: the prescale policy spends an error budget of ${Number((underProvisionedBudget! * 100).toPrecision(3))}% of minutes short of capacity${budget === undefined ? ' (the default; --budget sets it)' : ''}`,
        ]
      : []),
    '',
    formatSummaryTable(summaries),
    '',
    ...results.flatMap((r) => r.notes.map((n) => `${r.policy}: ${n}`)),
    `${lines.length - 1} rows written to ${opts.out}`,
  ].join('\n');
  return { summaries, results, report };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Replay a timestamp,value demand trace through the simulated cluster (15 s ticks, pods and nodes with start-up ' +
        'times) under the prescale, hpa and oracle policies; write one row per minute and policy and print ' +
        'under-provisioned minutes, replica-hours and slack per policy.',
    )
    .requiredOption('--series <file>', 'timestamp,value CSV; value = demand in load units (a step function of the points)')
    .requiredOption('--capacity-per-replica <n>', 'load one Ready replica serves')
    .option('--target-utilization <u>', "the reactive autoscaler's target utilisation (HPA AverageValue = u x N)", '0.8')
    .option('--pod-startup <duration>', 'pod scheduled -> Ready', '90s')
    .option('--node-startup <duration>', 'node asked for -> Ready', '210s')
    .addOption(new Option('--policy <policy>', 'policy to replay').choices([...POLICY_NAMES, 'all']).default('all'))
    .option('--budget <share>', `error budget of the prescale policy: share of minutes allowed short of capacity, e.g. 0.001 = 0.1% (default ${DEFAULT_UNDER_PROVISIONED_BUDGET})`)
    .option('--quantile <p>', 'expert override: forecast quantile (percent, 50-99) the prescale policy sizes each step for, with the error budget off; not with --budget')
    .requiredOption('--out <file>', 'CSV to write: timestamp,policy,demand,desired_replicas,ready_replicas,capacity,nodes,mode')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (opts: SimulateCommandOptions) => {
      const bar =
        opts.progress !== false && process.stderr.isTTY
          ? new cliProgress.SingleBar(
              { stream: process.stderr, format: 'simulate [{bar}] {percentage}% | {label}', hideCursor: false, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      bar?.start(1000, 0, { label: 'reading' });
      try {
        const { report } = await runSimulateCommand(opts, (fraction, label) => bar?.update(Math.round(fraction * 1000), { label }));
        bar?.stop();
        process.stdout.write(`${report}\n`);
      } finally {
        bar?.stop();
      }
    });
}
