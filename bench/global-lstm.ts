/**
 * Global LSTM benchmark (issue 10, item 3): leave-one-out over the six bundled traces (data/traces, the same
 * files as ../shared/data). For each held-out trace the global network is trained on the other five traces'
 * training parts (EVALUATION.md split) and never sees the held-out one. Then:
 *
 * 1. Cold start: the held-out trace's first k = 1, 3, 7 days are all a model may be fitted on. Forecasts one
 *    hour ahead from origins o = k*m + j*h (j = 0 .. m/h - 1: every hour of day k+1), each using only
 *    y[0 .. o-1] (models are re-filtered to the origin with `update`, never refitted: EVALUATION.md's rule).
 *    MASE = mean |y - yhat| / scale with scale = the trace's EVALUATION.md scale (in-sample seasonal naive
 *    MAE over the official training part): a fixed denominator per trace, so numbers compare across k and
 *    with the reference table; no model sees it. Models: seasonal naive (y[t - m], m = 1 day: needs a day),
 *    naive (last value), our snaive forecaster, our hw (Holt-Winters champion candidate) fitted on the k days,
 *    the per-target LSTM fitted on the k days (it needs 5 days: k = 7 only), the global network alone
 *    conditioned on the k days ("network only"), the global model as served (the network blended with the
 *    target's day-ago and hour-ago values by its self-check on the last hours before each origin,
 *    self-check.ts; "network share" is the network's mean blend weight over the origins), and the global
 *    model fine-tuned on the k days (fineTuneGlobalLstm; --no-fine-tune skips it).
 * 2. Full history: the EVALUATION.md split of the held-out trace at 1 h and 1 d: the global model conditioned
 *    on the training part (never trained on it), fine-tuned on it, and the per-target hw (and LSTM with --lstm).
 *
 *   npm run bench:global [-- --only nasa] [--days 1,3,7] [--config '{"maxEpochs":6}'] [--lstm] [--cold-only] [--out FILE] [--cache DIR]
 * --cache DIR keeps each fold's trained network (by config) and reuses it on the next run.
 * --days takes fractions too (0.25 = the first 6 hours; seasonal naive is n/a under a day).
 *   npm run bench:global -- --save-bundled     # trains on all six training parts, saves models/global/
 * Progress goes to stderr; the tables to stdout (and FILE).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvTrace } from '../src/core/csv-trace.js';
import { tracePath } from '../src/core/paths.js';
import { maseScale } from '../src/forecasting/accuracy.js';
import { daySeason, rollForecasts, sliceSeries, splitSizes } from '../src/forecasting/backtest.js';
import type { FittedModel, RegularSeries } from '../src/forecasting/forecaster.js';
import { disposeModel } from '../src/forecasting/forecasters.js';
import { DEFAULT_GLOBAL_LSTM_CONFIG } from '../src/forecasting/global-lstm/config.js';
import type { FittedGlobalLstm } from '../src/forecasting/global-lstm/fitted.js';
import { loadGlobalLstm } from '../src/forecasting/global-lstm/artefact.js';
import type { ModelArtefact } from '../src/forecasting/forecaster.js';
import { saveBundledGlobalLstm } from '../src/forecasting/global-lstm/bundled.js';
import { fineTuneGlobalLstm, trainGlobalLstm, type NamedSeries } from '../src/forecasting/global-lstm/train.js';
import { holtWintersForecaster } from '../src/forecasting/holt-winters.js';
import { createLstmForecaster } from '../src/forecasting/lstm.js';
import { seasonalNaiveForecaster } from '../src/forecasting/seasonal-naive.js';

const FILES = [
  'azure2019_vm_cpu_total_5min',
  'nab_asg_cpu_5min',
  'nab_elb_request_count_5min',
  'nab_nyc_taxi_30min',
  'nab_twitter_amzn_5min',
  'nasa_http_jul1995_5min',
];

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Trace {
  name: string;
  series: RegularSeries;
  season: number;
  hour: number;
  nTrain: number;
  scale: number;
}

function loadTrace(name: string): Trace {
  const { series } = readCsvTrace(tracePath(`${name}.csv`));
  const season = daySeason(series.stepMs);
  const { nTrain } = splitSizes(series.values.length, season);
  return { name, series, season, hour: Math.max(1, Math.round(3_600_000 / series.stepMs)), nTrain, scale: maseScale(series.values, nTrain, season) };
}

const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

/** Progress lines for a long fit: every message, and the fraction every 10% at most. */
function progressPrinter(label: string): (fraction: number, message?: string) => void {
  let shown = -1;
  return (fraction, message) => {
    if (message) log(`${label}: ${message}`);
    else if (Math.floor(fraction * 10) > shown) {
      shown = Math.floor(fraction * 10);
      log(`${label}: ${(fraction * 100).toFixed(0)}%`);
    }
  };
}

/** MASE of a model's h-step forecasts from `origins`, re-filtered between origins (model has seen y[0 .. origins[0]-1] or less). */
function rollingMase(model: FittedModel, series: RegularSeries, origins: number[], h: number, scale: number, networkShares?: number[]): number {
  let sum = 0;
  let n = 0;
  for (const { origin, forecast } of rollForecasts(model, series, origins, h, [80])) {
    // The global model's self-check note gives the network's blend weight (no note: the network alone).
    const note = forecast.notes?.find((x) => x.startsWith('self-check'));
    networkShares?.push(note ? Number(/network ([\d.]+)/.exec(note)![1]) : 1);
    forecast.mean.forEach((yhat, k) => {
      sum += Math.abs(series.values[origin + k]! - yhat);
      n++;
    });
  }
  return sum / n / scale;
}

/** MASE of a forecast rule that reads the series directly (seasonal naive, naive). */
function ruleMase(series: RegularSeries, origins: number[], h: number, scale: number, rule: (origin: number, k: number) => number): number {
  let sum = 0;
  let n = 0;
  for (const o of origins) {
    for (let k = 0; k < h; k++) {
      sum += Math.abs(series.values[o + k]! - rule(o, k));
      n++;
    }
  }
  return sum / n / scale;
}

async function scored(label: string, fit: () => Promise<FittedModel>, score: (model: FittedModel) => number): Promise<number> {
  try {
    const model = await fit();
    try {
      return score(model);
    } finally {
      disposeModel(model);
    }
  } catch (error) {
    log(`${label}: n/a (${error instanceof Error ? error.message : String(error)})`);
    return Number.NaN;
  }
}

/**
 * The network trained without `held`: from `--cache DIR` when a run with the same config saved it there (the
 * folds are the slow part; experiments on what is done with a trained network need not repeat them).
 */
async function leaveOneOut(held: string, list: NamedSeries[], config: object, cacheDir: string | undefined): Promise<{ global: FittedGlobalLstm; cached: boolean }> {
  const file = cacheDir ? join(cacheDir, `without-${held}.json`) : undefined;
  if (file && existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { config: object; artefact: ModelArtefact };
    if (JSON.stringify(cached.config) === JSON.stringify(config)) {
      log(`global without ${held}: cached ${file}`);
      return { global: await loadGlobalLstm(cached.artefact), cached: true };
    }
  }
  const global = await trainGlobalLstm(list, config, { onProgress: progressPrinter(`global without ${held}`) });
  if (file) {
    mkdirSync(cacheDir!, { recursive: true });
    writeFileSync(file, JSON.stringify({ config, artefact: global.toArtefact() }));
  }
  return { global, cached: false };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

async function main() {
  const only = argument('--only');
  // --days none: only the full-history table.
  const days = (argument('--days') ?? '1,3,7').split(',').map(Number).filter((k) => k > 0);
  const config = { ...DEFAULT_GLOBAL_LSTM_CONFIG, ...(JSON.parse(argument('--config') ?? '{}') as object) };
  const withLstm = process.argv.includes('--lstm');
  const cacheDir = argument('--cache');
  const withFineTune = !process.argv.includes('--no-fine-tune');
  const traces = FILES.map(loadTrace);
  const started = new Date().toISOString();

  if (process.argv.includes('--save-bundled')) {
    const list: NamedSeries[] = traces.map((t) => ({ id: t.name, series: sliceSeries(t.series, 0, t.nTrain) }));
    const t0 = performance.now();
    const global = await trainGlobalLstm(list, config, { onProgress: progressPrinter('global (all six)') });
    const saved = await saveBundledGlobalLstm(global);
    log(`saved ${saved} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    global.dispose();
    return;
  }

  const coldRows: string[] = [];
  const fullRows: string[] = [];
  const trainRows: string[] = [];
  for (const held of traces.filter((t) => !only || t.name.includes(only))) {
    const list: NamedSeries[] = traces.filter((t) => t !== held).map((t) => ({ id: t.name, series: sliceSeries(t.series, 0, t.nTrain) }));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const { global, cached } = await leaveOneOut(held.name, list, config, cacheDir);
    const cpu = process.cpuUsage(cpu0);
    trainRows.push(`| ${held.name} | ${cached ? 'cached' : ((performance.now() - t0) / 1000).toFixed(0)} | ${cached ? 'cached' : ((cpu.user + cpu.system) / 1e6).toFixed(0)} | ${global.params.metrics.epochs} (best ${global.params.metrics.bestEpoch}) | ${fmt(global.params.metrics.initialValidationLoss!)} -> ${fmt(global.params.metrics.validationLoss!)} |`);
    const { series, season: m, hour: h, scale } = held;

    for (const k of days) {
      const known = Math.round(k * m);
      const origins = Array.from({ length: Math.floor(m / h) }, (_, j) => known + j * h);
      const history = sliceSeries(series, 0, known);
      // Under a day seasonal naive has nothing to repeat: n/a.
      const snaive = known >= m ? ruleMase(series, origins, h, scale, (o, j) => series.values[o + j - m]!) : Number.NaN;
      const naive = ruleMase(series, origins, h, scale, (o) => series.values[o - 1]!);
      const ours = await scored('snaive', () => seasonalNaiveForecaster.fit(history), (model) => rollingMase(model, series, origins, h, scale));
      const hw = await scored('hw', () => holtWintersForecaster.fit(history), (model) => rollingMase(model, series, origins, h, scale));
      const lstm = await scored(`lstm ${held.name} ${k}d`, () => createLstmForecaster().fit(history, { seed: 1 }), (model) => rollingMase(model, series, origins, h, scale));
      const networkOnly = await scored('network only', async () => global.conditionOn(history.values, history.startMs, history.stepMs, undefined, { selfCheck: false }), (model) => rollingMase(model, series, origins, h, scale));
      let share = Number.NaN;
      const conditioned = await scored('global', async () => global.conditionOn(history.values, history.startMs, history.stepMs), (model) => {
        const shares: number[] = [];
        const mase = rollingMase(model, series, origins, h, scale, shares);
        share = shares.reduce((a, b) => a + b, 0) / shares.length;
        return mase;
      });
      const tuned = withFineTune ? await scored('fine-tuned', () => fineTuneGlobalLstm(global, history, { onProgress: progressPrinter(`fine-tune ${held.name} ${k}d`) }), (model) => rollingMase(model, series, origins, h, scale)) : Number.NaN;
      const best = Math.min(...[snaive, naive, ours, hw, lstm].filter(Number.isFinite));
      coldRows.push(`| ${held.name} | ${k} d | ${origins.length} | ${fmt(snaive)} | ${fmt(naive)} | ${fmt(ours)} | ${fmt(hw)} | ${fmt(lstm)} | ${fmt(networkOnly)} | **${fmt(conditioned)}** | ${fmt(share)} | ${fmt(tuned)} | ${Number.isFinite(snaive) ? (conditioned < snaive ? 'yes' : 'no') : 'n/a'} | ${Math.min(conditioned, Number.isFinite(tuned) ? tuned : Infinity) < best ? 'yes' : 'no'} |`);
      log(`${held.name} ${k}d: snaive ${fmt(snaive)} naive ${fmt(naive)} hw ${fmt(hw)} lstm ${fmt(lstm)} network ${fmt(networkOnly)} global ${fmt(conditioned)} (network share ${fmt(share)}) tuned ${fmt(tuned)}`);
    }

    if (process.argv.includes('--cold-only')) {
      global.dispose();
      continue;
    }
    // Full history: the EVALUATION.md split; each model is fitted once on the training part and scored at both horizons.
    const train = sliceSeries(series, 0, held.nTrain);
    const { testLength } = splitSizes(series.values.length, m);
    const horizons = [['1h', h], ['1d', m]] as const;
    const scoreBoth = (model: FittedModel) =>
      horizons.map(([, horizon]) => {
        const origins = Array.from({ length: Math.floor(testLength / horizon) }, (_, j) => held.nTrain + j * horizon);
        return rollingMase(model, series, origins, horizon, scale);
      });
    const none = [Number.NaN, Number.NaN];
    const fullScores = async (label: string, fit: () => Promise<FittedModel>) => {
      try {
        const model = await fit();
        try {
          return scoreBoth(model);
        } finally {
          disposeModel(model);
        }
      } catch (error) {
        log(`${label}: n/a (${error instanceof Error ? error.message : String(error)})`);
        return none;
      }
    };
    const conditioned = await fullScores('global full', async () => global.conditionOn(train.values, train.startMs, train.stepMs));
    const networkOnly = await fullScores('network only full', async () => global.conditionOn(train.values, train.startMs, train.stepMs, undefined, { selfCheck: false }));
    const tuned = !withFineTune ? none : await fullScores('fine-tuned full', () => fineTuneGlobalLstm(global, train, { onProgress: progressPrinter(`fine-tune ${held.name} full`) }));
    const hw = await fullScores('hw full', () => holtWintersForecaster.fit(train));
    const lstm = withLstm ? await fullScores('lstm full', () => createLstmForecaster().fit(train, { seed: 1, onProgress: progressPrinter(`lstm ${held.name} full`) })) : none;
    horizons.forEach(([label, horizon], i) => {
      fullRows.push(`| ${held.name} | ${label} | ${Math.floor(testLength / horizon)} | ${fmt(networkOnly[i]!)} | ${fmt(conditioned[i]!)} | ${fmt(tuned[i]!)} | ${fmt(hw[i]!)} | ${withLstm ? fmt(lstm[i]!) : 'not run'} |`);
      log(`${held.name} full ${label}: global ${fmt(conditioned[i]!)} tuned ${fmt(tuned[i]!)} hw ${fmt(hw[i]!)} lstm ${fmt(lstm[i]!)}`);
    });
    global.dispose();
  }

  const text = [
    `Global LSTM leave-one-out benchmark, ${started} (\`npx tsx bench/global-lstm.ts ${process.argv.slice(2).join(' ')}\`), config ${JSON.stringify(config)}.`,
    '',
    '### Training (five traces\' training parts, the held-out trace unseen)',
    '',
    '| held out | wall s | cpu s | epochs | validation loss (start -> best) |',
    '|---|---:|---:|---|---|',
    ...trainRows,
    '',
    '### Cold start: one hour ahead from every hour of day k+1, fitted on the first k days only (MASE, EVALUATION.md scale)',
    '',
    '| held out | history | origins | seasonal naive | naive | our snaive | hw | lstm | network only | global (self-check) | network share | global fine-tuned | global < snaive | global (either) < best per-target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...coldRows,
    '',
    '### Full history: EVALUATION.md split (MASE)',
    '',
    '| held out | h | origins | network only (unseen trace) | global (self-check) | global fine-tuned | hw | lstm |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...fullRows,
    '',
  ].join('\n');
  process.stdout.write(text);
  const out = argument('--out');
  if (out) writeFileSync(out, text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
