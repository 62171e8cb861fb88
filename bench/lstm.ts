/**
 * LSTM benchmark on every real trace with the split of data/traces/EVALUATION.md: one fit on the training
 * part (timed), then rolling origins at h = 1 hour and 1 day, re-conditioning on the observations up to each
 * origin with `update` (no refit, no look-ahead). Prints MASE / sMAPE / coverage next to statsmodels' numbers.
 *
 *   npx tsx bench/lstm.ts [--only NAME] [--out DIR] [--config '{"units":16}'] [--champion one|two] [--verbose]
 * DIR gets forecast CSVs for shared/tools/score_forecast.py; --config overrides LstmConfig fields.
 * --champion fits as the service does (src/forecasting/champion.ts, the LSTM alone, validated one day ahead on
 * the champion's rolling origins, conformal intervals): `one` continues from the validated weights on all the
 * training part for a few epochs (one training), `two` trains again from scratch on it (the old way).
 * "fit s" is wall time, "fit cpu s" the process CPU time (what the fit costs on an otherwise idle machine).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/core/paths.js';
import { selectChampion } from '../src/forecasting/champion.js';
import type { FittedModel, FitOptions, RegularSeries } from '../src/forecasting/forecaster.js';
import { disposeModel } from '../src/forecasting/forecasters.js';
import { createLstmForecaster, currentLstmBackend } from '../src/forecasting/lstm.js';

const TRACES = join(REPO_ROOT, 'data', 'traces');

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function readTrace(file: string): { times: number[]; values: number[] } {
  const lines = readFileSync(join(TRACES, file), 'utf8').trim().split('\n').slice(1);
  const times: number[] = [];
  const values: number[] = [];
  for (const line of lines) {
    const [t, v] = line.split(',');
    times.push(Date.parse(t!));
    values.push(Number(v));
  }
  return { times, values };
}

interface Reference {
  best: number;
  bestModel: string;
  snaive: number;
}

/** Best statsmodels MASE (hw_add, hw_mul, ets_aada) and seasonal naive per series and horizon, from EVALUATION.md. */
function references(): Map<string, Reference> {
  const out = new Map<string, Reference>();
  const text = readFileSync(join(TRACES, 'EVALUATION.md'), 'utf8');
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 10 || !/^(1h|1d) \(/.test(cells[3] ?? '')) continue;
    const key = `${cells[1]}|${cells[3]!.slice(0, 2)}`;
    const mase = Number(cells[5]);
    const ref = out.get(key) ?? { best: Infinity, bestModel: '', snaive: NaN };
    if (cells[2] === 'snaive') ref.snaive = mase;
    else if (mase < ref.best) {
      ref.best = mase;
      ref.bestModel = cells[2]!;
    }
    out.set(key, ref);
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

async function main() {
  const only = argument('--only');
  const outDir = argument('--out');
  if (outDir) mkdirSync(outDir, { recursive: true });
  const refs = references();
  const lstmForecaster = createLstmForecaster(JSON.parse(argument('--config') ?? '{}'));
  console.error('config', JSON.stringify(lstmForecaster.config));
  const files = readdirSync(TRACES).filter((f) => f.endsWith('.csv') && (!only || f.includes(only))).sort();
  const rows: string[] = [];
  for (const file of files) {
    const name = file.replace(/\.csv$/, '');
    const { times, values } = readTrace(file);
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
    const stepMs = gaps[Math.floor(gaps.length / 2)]!;
    const m = Math.round(86_400_000 / stepMs);
    const n = values.length;
    const T = Math.max(2 * m, Math.min(Math.floor(0.2 * n), 7 * m));
    const nTrain = n - T;
    let scaleSum = 0;
    for (let t = m; t < nTrain; t++) scaleSum += Math.abs(values[t]! - values[t - m]!);
    const scale = scaleSum / (nTrain - m);

    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let lastMessage = '';
    const train: RegularSeries = { startMs: times[0]!, stepMs, values: values.slice(0, nTrain) };
    const championMode = argument('--champion');
    const fit = async (options: FitOptions): Promise<FittedModel> => {
      if (!championMode) return lstmForecaster.fit(train, options);
      if (championMode !== 'one' && championMode !== 'two') throw new Error(`--champion one|two, got "${championMode}"`);
      const champion = await selectChampion(train, {
        ...options,
        horizon: m,
        candidates: ['lstm'],
        baseline: false,
        ensembles: false,
        forecasters: { lstm: lstmForecaster },
        continueTraining: championMode === 'one',
      });
      console.error(`  ${name}: ${champion.notes.join('; ')}`);
      return champion.model;
    };
    const fitted = await fit(
      {
        seed: 1,
        onProgress: (_f, message) => {
          lastMessage = message ?? '';
          if (process.argv.includes('--verbose')) console.error(`  ${name}: ${lastMessage}`);
        },
      },
    );
    const fitSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.error(`${name}: fit ${fitSeconds.toFixed(1)} s (cpu ${fitCpuSeconds.toFixed(1)} s) on ${currentLstmBackend()} (${lastMessage})`);

    for (const [label, h] of [['1h', Math.round(3_600_000 / stepMs)], ['1d', m]] as const) {
      const origins = Math.floor(T / h);
      let model = fitted;
      let abs = 0, smape = 0, in80 = 0, in95 = 0, count = 0;
      const csv = ['origin,timestamp,yhat,lo80,hi80,lo95,hi95'];
      const predictStarted = performance.now();
      for (let j = 0; j < origins; j++) {
        const o = nTrain + j * h;
        const forecast = model.predict(h, [80, 95]);
        const [i80, i95] = forecast.intervals;
        for (let k = 0; k < h; k++) {
          const y = values[o + k]!;
          const yhat = forecast.mean[k]!;
          abs += Math.abs(y - yhat);
          smape += y === 0 && yhat === 0 ? 0 : (2 * Math.abs(y - yhat)) / (Math.abs(y) + Math.abs(yhat));
          if (y >= i80!.lower[k]! && y <= i80!.upper[k]!) in80++;
          if (y >= i95!.lower[k]! && y <= i95!.upper[k]!) in95++;
          count++;
          if (outDir) {
            csv.push([iso(times[o - 1]!), iso(times[o + k]!), yhat, i80!.lower[k], i80!.upper[k], i95!.lower[k], i95!.upper[k]].join(','));
          }
        }
        const next = model.update(values.slice(o, o + h));
        if (model !== fitted) disposeModel(model);
        model = next;
      }
      if (model !== fitted) disposeModel(model);
      const predictSeconds = (performance.now() - predictStarted) / 1000;
      if (outDir) writeFileSync(join(outDir, `${name}_lstm_${label}.csv`), csv.join('\n') + '\n');
      const mase = abs / count / scale;
      const ref = refs.get(`${name}|${label}`);
      const verdict = !ref ? '?' : mase <= 0.95 * ref.best ? 'beats (<=0.95x)' : mase <= ref.best ? 'beats' : mase < ref.snaive ? 'loses, beats snaive' : 'loses to snaive';
      rows.push(
        `| ${name} | ${label} (${h}) | ${origins} | ${mase.toFixed(3)} | ${(100 * smape / count).toFixed(2)} | ${(in80 / count).toFixed(2)} | ${(in95 / count).toFixed(2)} | ${fitSeconds.toFixed(1)} | ${fitCpuSeconds.toFixed(1)} | ${predictSeconds.toFixed(1)} | ${ref ? `${ref.best.toFixed(3)} ${ref.bestModel}` : '-'} | ${ref?.snaive.toFixed(3) ?? '-'} | ${verdict} |`,
      );
    }
    disposeModel(fitted);
  }
  console.log(`backend: ${currentLstmBackend()}`);
  console.log('| series | h | origins | MASE | sMAPE % | cov80 | cov95 | fit s | fit cpu s | predict s | best statsmodels MASE | snaive MASE | LSTM vs statsmodels |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|');
  for (const row of rows) console.log(row);
}

await main();
