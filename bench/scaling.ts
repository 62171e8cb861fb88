/**
 * `npm run bench:scaling [-- --traces elb,nasa] [-- --budget 0.001 | --quantile 95]`
 *
 * Replays every trace in data/traces through the simulated cluster under the prescale, hpa and oracle
 * policies (pod start-up 90 s, node start-up 210 s, target utilisation 0.8, 15 s ticks) and prints, per
 * trace and policy, under-provisioned minutes, replica-hours and slack, with the targets of issue 4 for
 * prescale: under-provisioned minutes <= 0.2 x the HPA's, replica-hours <= 1.0 x the HPA's, slack <= 25%.
 *
 * Prescale is sized as the service sizes a target by default: the error-budget controller at the default budget
 * (DEFAULT_UNDER_PROVISIONED_BUDGET, 1% of minutes), or `--budget`; `--quantile` is the expert override (a fixed
 * quantile, no controller), as targets[].quantile is.
 *
 * Capacity per replica per trace: p95(demand) / 25 to two significant digits, so that the peak needs
 * roughly 20-40 replicas; printed in the table. Takes a minute or two: run it once, not in a loop.
 */
import { basename, join } from 'node:path';
import { DEFAULT_UNDER_PROVISIONED_BUDGET } from '../src/config/schema.js';
import { POLICY_NAMES, simulate } from '../src/simulator/replay.js';
import { summarize, type PolicySummary } from '../src/simulator/summary.js';
import { loadTrace } from '../src/simulator/trace.js';
import { capacityFor, traceFiles, TRACES_DIR } from './replay-setup.js';

const TARGETS = { underRatio: 0.2, replicaHoursRatio: 1.0, slack: 0.25 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = arg('--traces')?.split(',');
/** The prescale policy's forecast quantile (target.quantile), to sweep the cost/risk trade-off; default the config default. */
const quantile = arg('--quantile') !== undefined ? Number(arg('--quantile')) : undefined;
if (quantile !== undefined && !(quantile >= 50 && quantile <= 99)) throw new Error(`--quantile: expected a percentile from 50 to 99, got "${arg('--quantile')}"`);
const budgetArg = arg('--budget');
if (budgetArg !== undefined && quantile !== undefined) throw new Error('--budget and --quantile: give one (a quantile switches the error-budget controller off)');
const budget = budgetArg !== undefined ? Number(budgetArg) : DEFAULT_UNDER_PROVISIONED_BUDGET;
if (!(budget > 0 && budget < 1)) throw new Error(`--budget: expected a share of minutes between 0 and 1 (0.01 = 1%), got "${budgetArg}"`);
const sizing = quantile !== undefined ? { quantile } : { underProvisionedBudget: budget };
const files = traceFiles(only);

const lines: string[] = [];
const header = ['trace', 'N', 'policy', 'under-prov min', 'x HPA', 'replica-h', 'x HPA', 'slack', 'node-h', 'mode minutes', 'targets'];
const table: string[][] = [];
let allPass = true;
const started = performance.now();
for (const file of files) {
  const trace = loadTrace(join(TRACES_DIR, file));
  const n = capacityFor(trace.values);
  const summaries = new Map<string, PolicySummary>();
  const modes = new Map<string, string>();
  const wall = new Map<string, number>();
  const notes: string[] = [];
  for (const policy of POLICY_NAMES) {
    const t0 = performance.now();
    const result = await simulate(policy, { trace, capacityPerReplica: n, ...sizing });
    wall.set(policy, (performance.now() - t0) / 1000);
    summaries.set(policy, summarize(policy, result.rows));
    const counts = new Map<string, number>();
    for (const row of result.rows) counts.set(row.mode, (counts.get(row.mode) ?? 0) + 1);
    modes.set(policy, [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([m, c]) => `${m} ${c}`).join(', '));
    notes.push(...result.notes.map((note) => `${policy}: ${note}`));
  }
  const hpa = summaries.get('hpa')!;
  for (const policy of POLICY_NAMES) {
    const s = summaries.get(policy)!;
    const underRatio = hpa.underProvisionedMinutes > 0 ? s.underProvisionedMinutes / hpa.underProvisionedMinutes : s.underProvisionedMinutes === 0 ? 0 : Infinity;
    const rhRatio = s.replicaHours / hpa.replicaHours;
    let verdict = '';
    if (policy === 'prescale') {
      const checks = [
        underRatio <= TARGETS.underRatio ? 'under ok' : 'UNDER FAIL',
        rhRatio <= TARGETS.replicaHoursRatio ? 'cost ok' : 'COST FAIL',
        s.slack <= TARGETS.slack ? 'slack ok' : 'SLACK FAIL',
      ];
      if (checks.some((c) => c.includes('FAIL'))) allPass = false;
      verdict = checks.join(', ');
    }
    table.push([
      basename(file, '.csv'),
      String(n),
      policy,
      String(s.underProvisionedMinutes),
      underRatio.toFixed(2),
      s.replicaHours.toFixed(0),
      rhRatio.toFixed(2),
      `${(s.slack * 100).toFixed(1)}%`,
      s.nodeHours.toFixed(0),
      modes.get(policy)!,
      verdict,
    ]);
  }
  lines.push(`${file}: ${hpa.minutes} minutes; wall ${POLICY_NAMES.map((p) => `${p} ${wall.get(p)!.toFixed(1)} s`).join(', ')}; ${notes.join('; ')}`);
  process.stderr.write(`${lines[lines.length - 1]}\n`);
}

const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const render = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
console.log(render(header));
for (const row of table) console.log(render(row));
console.log('');
for (const line of lines) console.log(line);
console.log(`\nprescale sized ${quantile !== undefined ? `at the fixed P${quantile}` : `by the error-budget controller, budget ${budget * 100}% of minutes`}`);
console.log(`\ntargets for prescale: under-provisioned minutes <= ${TARGETS.underRatio} x HPA, replica-hours <= ${TARGETS.replicaHoursRatio} x HPA, slack <= ${TARGETS.slack * 100}%`);
console.log(`${allPass ? 'ALL TARGETS MET' : 'SOME TARGETS MISSED'} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
