/**
 * Holt-Winters (ETS) benchmark on the bundled real traces, with the rolling-origin split of
 * data/traces/EVALUATION.md: fit once on the training part, re-filter (update) to each origin, forecast
 * h = 1 hour and 1 day. Prints MASE, raw interval coverage and fit time against statsmodels' numbers parsed
 * from EVALUATION.md ("sm best": the best of snaive, hw_add, hw_mul, ets_aada; target: MASE <= 0.95 x that).
 * Run: npx tsx bench/hw-fit.ts [trace-name-substring]
 *
 * Fit time: the best of ten fits (JIT warm), wall clock and process CPU time; the machine is shared, so
 * look at the CPU column when the load average is high.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fitHoltWinters } from '../src/forecasting/holt-winters.js';
import { REPO_ROOT } from '../src/core/paths.js';

const TRACES = join(REPO_ROOT, 'data', 'traces');

interface Reference {
  mase: Map<string, number>; // `${model}|${h}` -> MASE
  etsFitSeconds: number;
}

function parseEvaluation(): Map<string, Reference> {
  const refs = new Map<string, Reference>();
  const text = readFileSync(join(TRACES, 'EVALUATION.md'), 'utf8');
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | series | model | h | origins | MASE | sMAPE % | cov80 | cov95 | fit s |
    if (cells.length < 11 || !/^\d+[hd] \(\d+\)$/.test(cells[3] ?? '')) continue;
    const [, series, model, h, , mase, , , , fit] = cells;
    const ref = refs.get(series!) ?? { mase: new Map(), etsFitSeconds: NaN };
    ref.mase.set(`${model}|${h!.split(' ')[0]}`, Number(mase));
    if (model === 'ets_aada') ref.etsFitSeconds = Number(fit);
    refs.set(series!, ref);
  }
  return refs;
}

function readTrace(file: string): { startMs: number; stepMs: number; values: number[] } {
  const lines = readFileSync(join(TRACES, file), 'utf8').trim().split('\n').slice(1);
  const times = lines.map((l) => Date.parse(l.slice(0, l.indexOf(','))));
  const values = lines.map((l) => Number(l.slice(l.indexOf(',') + 1)));
  const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 0).sort((a, b) => a - b);
  return { startMs: times[0]!, stepMs: gaps[Math.floor(gaps.length / 2)]!, values };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const filter = process.argv[2];
const refs = parseEvaluation();
const files = readdirSync(TRACES).filter((f) => f.endsWith('.csv') && (!filter || f.includes(filter))).sort();
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores)`);
const header = ['series', 'model', 'h', 'MASE', 'sm best', 'ratio', 'target', 'snaive', 'cov80', 'cov95', 'fit ms', 'fit cpu ms', 'ETSModel s', 'speed-up'];
console.log(header.join(' | '));
for (const file of files) {
  const name = file.replace(/\.csv$/, '');
  const { startMs, stepMs, values: y } = readTrace(file);
  const n = y.length;
  const m = Math.round(86_400_000 / stepMs);
  const T = Math.max(2 * m, Math.min(Math.floor(0.2 * n), 7 * m));
  const nTrain = n - T;
  let scale = 0;
  for (let t = m; t < nTrain; t++) scale += Math.abs(y[t]! - y[t - m]!);
  scale /= nTrain - m;
  const train = { startMs, stepMs, values: y.slice(0, nTrain) };

  let model = fitHoltWinters(train);
  let wall = Infinity;
  let cpu = Infinity;
  for (let rep = 0; rep < 10; rep++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    model = fitHoltWinters(train);
    wall = Math.min(wall, performance.now() - w0);
    cpu = Math.min(cpu, cpuMs() - c0);
  }
  const ref = refs.get(name);
  for (const [label, h] of [['1h', Math.round(3_600_000 / stepMs)], ['1d', m]] as const) {
    let current = model;
    let position = nTrain;
    let absErr = 0;
    let in80 = 0;
    let in95 = 0;
    let rows = 0;
    for (let j = 0; j < Math.floor(T / h); j++) {
      const origin = nTrain + j * h;
      if (origin > position) current = current.update(y.slice(position, origin));
      position = origin;
      const f = current.predict(h, [80, 95]);
      for (let k = 0; k < h; k++) {
        const actual = y[origin + k]!;
        absErr += Math.abs(actual - f.mean[k]!);
        const [i80, i95] = f.intervals;
        if (actual >= i80!.lower[k]! && actual <= i80!.upper[k]!) in80++;
        if (actual >= i95!.lower[k]! && actual <= i95!.upper[k]!) in95++;
        rows++;
      }
    }
    const mase = absErr / rows / scale;
    const smBest = ref ? Math.min(...['hw_add', 'hw_mul', 'ets_aada'].map((k) => ref.mase.get(`${k}|${label}`) ?? Infinity)) : NaN;
    const snaive = ref?.mase.get(`snaive|${label}`) ?? NaN;
    const best = Math.min(smBest, snaive);
    const ets = ref?.etsFitSeconds ?? NaN;
    console.log(
      [
        name,
        model.description,
        label,
        mase.toFixed(3),
        best.toFixed(3),
        (mase / best).toFixed(3),
        mase <= 0.95 * best ? 'met' : mase <= snaive ? 'missed' : 'MISSED, worse than snaive',
        snaive.toFixed(3),
        (in80 / rows).toFixed(2),
        (in95 / rows).toFixed(2),
        wall.toFixed(0),
        cpu.toFixed(0),
        ets.toFixed(2),
        `${((ets * 1000) / cpu).toFixed(1)}x`,
      ].join(' | '),
    );
  }
}
