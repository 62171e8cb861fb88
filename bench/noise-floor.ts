/**
 * `npx tsx bench/noise-floor.ts [--traces elb,twitter]`
 *
 * A noise floor for the forecast targets: the MASE, on EVALUATION.md's scored test points, of a smoother that
 * cheats by looking ahead. Each point is predicted by the mean of its k neighbours on each side (past and
 * future, leaving the point itself out), for the best k; no forecaster that sees only the past can do much
 * better than this on noise it cannot predict. Where 0.90x the best reference lies below (or near) this floor,
 * the target is out of reach for any forecaster, not only ours. Printed next to the target; seconds to run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvTrace } from '../src/core/csv-trace.js';
import { REPO_ROOT } from '../src/core/paths.js';
import { maseScale } from '../src/forecasting/accuracy.js';
import { evaluationSplit, horizonSteps } from '../src/forecasting/backtest.js';

const TRACES_DIR = join(REPO_ROOT, 'data', 'traces');
const HALF_WIDTHS = [1, 2, 3, 4, 6, 8, 12];

/** Best reference MASE per "series|1h" (every accuracy table of the repository's EVALUATION.md). */
function bestReference(): Map<string, { model: string; mase: number }> {
  const best = new Map<string, { model: string; mase: number }>();
  for (const line of readFileSync(join(TRACES_DIR, 'EVALUATION.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 10 || !/^(1h|1d) \(/.test(cells[3] ?? '')) continue;
    const key = `${cells[1]}|${cells[3]!.slice(0, 2)}`;
    const mase = Number(cells[5]);
    if (!(mase >= (best.get(key)?.mase ?? Infinity))) best.set(key, { model: cells[2]!, mase });
  }
  return best;
}

/** MASE of the leave-one-out centred mean of half-width k over the scored points. */
function lookAheadMase(y: number[], points: number[], k: number, scale: number): number {
  let sum = 0;
  for (const t of points) {
    let s = 0;
    let n = 0;
    for (let d = 1; d <= k; d++) {
      if (t - d >= 0) {
        s += y[t - d]!;
        n++;
      }
      if (t + d < y.length) {
        s += y[t + d]!;
        n++;
      }
    }
    sum += Math.abs(y[t]! - s / n);
  }
  return sum / points.length / scale;
}

const tracesArg = process.argv.indexOf('--traces');
const only = tracesArg >= 0 ? process.argv[tracesArg + 1]!.split(',') : undefined;
const refs = bestReference();
console.log('| series | h | best reference | 0.90x target | look-ahead smoother MASE (best k) | target / floor |');
console.log('|---|---|---|---:|---:|---:|');
for (const file of readdirSync(TRACES_DIR).filter((f) => f.endsWith('.csv') && (!only || only.some((t) => f.includes(t)))).sort()) {
  const { series, stepMs } = readCsvTrace(join(TRACES_DIR, file));
  const name = file.replace(/\.csv$/, '');
  for (const h of ['1h', '1d']) {
    const split = evaluationSplit(series.values.length, Math.round(86_400_000 / stepMs), horizonSteps(h, stepMs)!);
    const points = split.origins.flatMap((o) => Array.from({ length: split.horizon }, (_, j) => o + j));
    const scale = maseScale(series.values, split.nTrain, split.season);
    const floors = HALF_WIDTHS.map((k) => ({ k, mase: lookAheadMase(series.values, points, k, scale) }));
    const floor = floors.reduce((a, b) => (b.mase < a.mase ? b : a));
    const ref = refs.get(`${name}|${h}`);
    const target = ref ? 0.9 * ref.mase : NaN;
    console.log(`| ${name} | ${h} | ${ref ? `${ref.model} ${ref.mase.toFixed(3)}` : 'n/a'} | ${target.toFixed(3)} | ${floor.mase.toFixed(3)} (k=${floor.k}) | ${(target / floor.mase).toFixed(2)} |`);
  }
}
