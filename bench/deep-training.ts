/**
 * One target's full training as the service runs it, per bundled trace: the Holt-Winters job's champion
 * (selectChampion, auto's candidates), then the deep job's (the current members, Holt-Winters and the LSTM,
 * weighted combinations, within the default 60 s budget), on the trace's first 28 days (config history) with a
 * one-day horizon; then the time of one forecast (a day ahead) from the final champion.
 *
 *   npx tsx bench/deep-training.ts [--only NAME]        (npm run bench:deep)
 * Wall seconds depend on what else the machine runs; "cpu" is the process CPU time. Not reproducible when the
 * budget stops the LSTM (the last column says so).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvTrace } from '../src/core/csv-trace.js';
import { REPO_ROOT } from '../src/core/paths.js';
import { sliceSeries } from '../src/forecasting/backtest.js';
import { selectChampion } from '../src/forecasting/champion.js';
import { DEFAULT_DEEP_BUDGET } from '../src/config/schema.js';
import { parseDurationMs } from '../src/core/duration.js';
import { deepCandidates, deepEnsembleWeights } from '../src/forecasting/deep-training.js';
import '../src/forecasting/forecasters.js';

const TRACES = join(REPO_ROOT, 'data', 'traces');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const cpuSeconds = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1e6).toFixed(1);
const budgetMs = parseDurationMs(DEFAULT_DEEP_BUDGET)!;

console.log('| trace | history | Holt-Winters job: champion, s (cpu) | deep job: champion | LSTM vs HW job champion (validation MASE) | deep job s | total s (cpu) | forecast ms | budget |');
console.log('|---|---|---|---|---|---:|---:|---:|---|');
for (const file of readdirSync(TRACES).filter((f) => f.endsWith('.csv') && (!only || f.includes(only))).sort()) {
  const full = readCsvTrace(join(TRACES, file)).series;
  const perDay = Math.round(86_400_000 / full.stepMs);
  const n = Math.min(full.values.length, 28 * perDay);
  const series = sliceSeries(full, 0, n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const hw = await selectChampion(series, { horizon: perDay });
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  const deep = await selectChampion(series, { horizon: perDay, candidates: deepCandidates(hw.kind), ensembleWeights: deepEnsembleWeights, deadlineMs: Date.now() + budgetMs });
  const t2 = performance.now();
  const cpu2 = process.cpuUsage(cpu0);
  const p0 = performance.now();
  for (let i = 0; i < 20; i++) deep.model.predict(perDay);
  const forecastMs = (performance.now() - p0) / 20;
  const lstm = deep.scores['lstm']?.['mase'];
  const stopped = [...deep.notes, ...deep.model.predict(1).notes].some((note) => /time budget/.test(note));
  console.log(
    `| ${file.replace(/\.csv$/, '')} | ${(n / perDay).toFixed(0)} d | ${hw.kind}, ${((t1 - t0) / 1000).toFixed(1)} (${cpuSeconds(cpu1)}) | ${deep.kind} | ${lstm?.toFixed(3) ?? 'n/a'} vs ${hw.backtestMase?.toFixed(3) ?? 'n/a'} | ${((t2 - t1) / 1000).toFixed(1)} | ${((t2 - t0) / 1000).toFixed(1)} (${cpuSeconds(cpu2)}) | ${forecastMs.toFixed(1)} | ${stopped ? 'stopped the LSTM' : 'not reached'} |`,
  );
}
